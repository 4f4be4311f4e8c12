import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, isListening, startRuntime, type RunningRuntime } from "../support/runtime.js";

/** The local runtime as a user runs it: real sockets, the banner's URL and key, DynamoDB Local, the event path. */
async function api(rt: RunningRuntime, method: string, path: string, body?: unknown, key: string | null = rt.apiKey) {
  const response = await fetch(`${rt.apiUrl}${path}`, {
    method,
    headers: {
      ...(key !== null && { Authorization: `Bearer ${key}` }),
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: text ? JSON.parse(text) : undefined,
  };
}

async function tableItemCount(rt: RunningRuntime): Promise<number> {
  const client = new DynamoDBClient({
    endpoint: rt.dynamodbEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const result = await client.send(new ScanCommand({ TableName: "cortex", Select: "COUNT", ConsistentRead: true }));
  return result.Count ?? 0;
}

async function activityFor(rt: RunningRuntime, projectId: string, gatheringId: string) {
  const page = await api(rt, "GET", `/v1/projects/${projectId}/activity?limit=100`);
  return (page.body.items as Array<{ id: string; type: string; resource: string }>).filter(
    (e) => e.resource === `gathering:${gatheringId}`,
  );
}

describe("the local runtime (npm start)", () => {
  let rt: RunningRuntime;
  beforeAll(async () => {
    rt = await startRuntime(["--in-memory"]);
  });
  afterAll(async () => {
    rt.process.kill("SIGINT");
    await rt.exited;
  });

  it("prints the API URL, inbox URL and dev API key, all on 127.0.0.1", () => {
    expect(rt.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rt.inboxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(rt.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rt.apiKey).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
  });

  it("creates a lobby (201 with id, type, status, version 1, createdAt) and reads back the same body", async () => {
    const created = await api(rt, "POST", "/v1/projects/proj_e2e/gatherings", { name: "Ranked 5v5", type: "lobby" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: "lobby", status: "open", version: 1, name: "Ranked 5v5" });
    expect(created.body.id).toMatch(/^gth_/);
    expect(Date.parse(created.body.createdAt)).not.toBeNaN();
    const read = await api(rt, "GET", `/v1/projects/proj_e2e/gatherings/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it("delivers gathering.created through stream, publisher and bus to the activity rule target", async () => {
    const created = await api(rt, "POST", "/v1/projects/proj_e2e/gatherings", { name: "Events", type: "open" });
    const events = await eventually(async () => {
      const found = await activityFor(rt, "proj_e2e", created.body.id);
      return found.length > 0 ? found : undefined;
    });
    expect(events.map((e) => e.type)).toEqual(["gathering.created"]);
  });

  it("answers 401 problem+json without a key or with a wrong one, and writes nothing", async () => {
    const before = await tableItemCount(rt);
    for (const key of [null, "ck_wrongwrongwrongwrongwrongwrongwrongwrongwro", "not a key"]) {
      const response = await api(rt, "POST", "/v1/projects/p/gatherings", { name: "x", type: "lobby" }, key);
      expect(response.status).toBe(401);
      expect(response.type).toBe("application/problem+json");
      expect(response.body).toMatchObject({ status: 401, code: "unauthorized" });
    }
    expect(await tableItemCount(rt)).toBe(before);
  });

  it("answers 400 problem+json naming the field for an unknown type, and writes nothing", async () => {
    const before = await tableItemCount(rt);
    const response = await api(rt, "POST", "/v1/projects/p/gatherings", { name: "x", type: "party" });
    expect(response.status).toBe(400);
    expect(response.type).toBe("application/problem+json");
    expect(response.body.code).toBe("validation_failed");
    expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(["type"]);
    expect(await tableItemCount(rt)).toBe(before);
  });

  it("answers 400 for malformed JSON, 415 for a non-JSON body and 404 for unknown routes and ids", async () => {
    const raw = await fetch(`${rt.apiUrl}/v1/projects/p/gatherings`, {
      method: "POST",
      headers: { Authorization: `Bearer ${rt.apiKey}`, "Content-Type": "application/json" },
      body: "{nope",
    });
    expect(raw.status).toBe(400);
    const text = await fetch(`${rt.apiUrl}/v1/projects/p/gatherings`, {
      method: "POST",
      headers: { Authorization: `Bearer ${rt.apiKey}`, "Content-Type": "text/plain" },
      body: "hi",
    });
    expect(text.status).toBe(415);
    expect((await api(rt, "GET", "/v1/nothing/here")).status).toBe(404);
    const missing = await api(rt, "GET", "/v1/projects/p/gatherings/gth_01aaaaaaaaaaaaaaaaaaaaaaaa");
    expect(missing).toMatchObject({ status: 404, type: "application/problem+json", body: { code: "not_found" } });
  });

  it("serves an OpenAPI 3.1 document without a key, covering every route", async () => {
    const doc = await api(rt, "GET", "/v1/openapi.json", undefined, null);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    expect(Object.keys(doc.body.paths)).toContain("/v1/projects/{projectId}/gatherings/{gatheringId}");
    expect(doc.body.components.schemas.Gathering.properties.version).toBeDefined();
  });
});

describe("the local runtime's durability and shutdown", () => {
  it("after SIGKILL right after a create, a restart still delivers gathering.created, and the target acts once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cortex-e2e-"));
    const first = await startRuntime(["--data-dir", dataDir]);
    const created = await api(first, "POST", "/v1/projects/proj_kill/gatherings", { name: "Kill me", type: "lobby" });
    expect(created.status).toBe(201);
    first.process.kill("SIGKILL");
    await first.exited;
    // The launcher's watchdog takes DynamoDB Local down with its parent: no orphan Java process.
    await eventually(async () => ((await isListening(first.dynamodbEndpoint)) ? undefined : true), 15_000);

    const second = await startRuntime(["--data-dir", dataDir]);
    try {
      expect(second.apiKey).toBe(first.apiKey); // the dev key persists under the data dir
      const events = await eventually(async () => {
        const found = await activityFor(second, "proj_kill", created.body.id);
        return found.length > 0 ? found : undefined;
      });
      // A change after the restart is the marker: once it is recorded, a redelivery of the first had its chance.
      const marker = await api(second, "POST", "/v1/projects/proj_kill/gatherings", { name: "Marker", type: "lobby" });
      await eventually(async () =>
        (await activityFor(second, "proj_kill", marker.body.id)).length > 0 ? true : undefined,
      );
      expect((await activityFor(second, "proj_kill", created.body.id)).map((e) => e.type)).toEqual([
        "gathering.created",
      ]);
      expect(events[0]!.type).toBe("gathering.created");
    } finally {
      second.process.kill("SIGINT");
      await second.exited;
    }
  });

  it("Ctrl-C (SIGINT) stops everything it started: API, DynamoDB Local and the inbox stop listening", async () => {
    const rt = await startRuntime(["--in-memory"]);
    expect(await isListening(rt.dynamodbEndpoint)).toBe(true);
    rt.process.kill("SIGINT");
    expect(await rt.exited).toEqual({ code: 0, signal: null });
    expect(await isListening(rt.apiUrl)).toBe(false);
    expect(await isListening(rt.dynamodbEndpoint)).toBe(false);
    expect(await isListening(rt.inboxUrl)).toBe(false);
  });
});
