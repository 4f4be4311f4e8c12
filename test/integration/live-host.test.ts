import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORWARDED_HEADERS } from "../../shared/adapters/live-host/config.js";
import { liveHostHandler } from "../../shared/adapters/live-host/host.js";
import { LiveHub } from "../../shared/app/live/hub.js";
import { createLiveServer } from "../../shared/app/live/server.js";
import { createGathering } from "../../shared/domain/gatherings/service.js";
import { createLogger } from "../../shared/kernel/logger.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";
import { openSse } from "../support/sse.js";

/**
 * The live host's HTTP side over a real socket, against DynamoDB Local: only requests API Gateway
 * forwarded (secret + authorizer context) are served, and a committed event handed to the hub (as the
 * task's queue does) reaches the watcher.
 */
const SECRET = "forwarded-secret-0123456789abcdefghijklmnopqrstu";
const ctx = { tenantId: "t-live", projectId: "p-live", actor: { type: "apiKey" as const, id: "key_live" } };
let table: TestTable;
let hub: LiveHub;
let server: Server;
let base: string;

beforeAll(async () => {
  table = await createTestTable();
  hub = new LiveHub({ store: table.store, heartbeatMs: 10_000, maxDurationMs: 60_000 });
  const live = createLiveServer({ hub, store: table.store });
  server = createServer(liveHostHandler({ secret: SECRET, live, logger: createLogger({}, () => undefined) }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  hub.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await table.drop();
});

const forwarded = {
  [FORWARDED_HEADERS.secret]: SECRET,
  [FORWARDED_HEADERS.tenantId]: ctx.tenantId,
  [FORWARDED_HEADERS.projectScope]: ctx.projectId,
  [FORWARDED_HEADERS.keyId]: "key_live",
  [FORWARDED_HEADERS.credential]: "api",
  [FORWARDED_HEADERS.requestId]: "req-live",
};

describe("the live host over a socket", () => {
  it("answers the load balancer's health check without credentials", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
  });

  it("refuses a request that did not come through API Gateway, as a 401 problem", async () => {
    const { [FORWARDED_HEADERS.secret]: _secret, ...withoutSecret } = forwarded;
    const response = await fetch(`${base}/v1/projects/${ctx.projectId}/gatherings/gth_x/events`, {
      headers: withoutSecret,
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });

  it("serves nothing but the event streams", async () => {
    const response = await fetch(`${base}/v1/projects/${ctx.projectId}/gatherings`, { headers: forwarded });
    expect(response.status).toBe(404);
  });

  it("answers a gathering of another project as not found, before any stream opens", async () => {
    const response = await fetch(`${base}/v1/projects/other/gatherings/gth_x/events`, { headers: forwarded });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });

  it("streams a committed event handed to the hub to a forwarded watcher, with its version as id", async () => {
    const deps = { store: table.store, clock: { now: () => new Date() }, eventRetentionSeconds: 3600 };
    const gathering = await createGathering(deps, ctx, { name: "live", type: "lobby" });
    const stream = await openSse(`${base}/v1/projects/${ctx.projectId}/gatherings/${gathering.id}/events`, forwarded);
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toContain("text/event-stream");
      const version = gathering.version + 1;
      hub.notify({
        id: "evt_live_1",
        type: "gathering.updated",
        version,
        projectId: ctx.projectId,
        tenantId: ctx.tenantId,
        resource: `gathering:${gathering.id}`,
        occurredAt: new Date().toISOString(),
        data: { name: "renamed" },
      });
      const message = await stream.next();
      expect(message).toMatchObject({ id: String(version), event: "gathering.updated" });
    } finally {
      stream.close();
    }
  });
});
