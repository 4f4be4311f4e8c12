import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { newId } from "../../shared/kernel/ids.js";
import { eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * Crash recovery of the local runtime: a SIGKILL with events in the bus journal, dead letters made visible
 * and re-driven, and DynamoDB Local dying under a running stack.
 */
async function api(rt: RunningRuntime, method: string, path: string, body?: unknown) {
  const response = await fetch(`${rt.apiUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${rt.apiKey}`,
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as any) : undefined,
  };
}

async function health(rt: RunningRuntime) {
  const response = await fetch(`${rt.apiUrl}/health`);
  return { status: response.status, body: (await response.json()) as any };
}

async function activityIds(rt: RunningRuntime, projectId: string, gatheringId: string): Promise<Map<string, string>> {
  const page = await api(rt, "GET", `/v1/projects/${projectId}/activity?limit=100`);
  const items = (page.body?.items ?? []) as Array<{ id: string; type: string; resource: string }>;
  return new Map(items.filter((e) => e.resource === `gathering:${gatheringId}`).map((e) => [e.id, e.type]));
}

/** A webhook receiver on 127.0.0.1 that keeps every delivery's body. */
async function receiver(): Promise<{ url: string; bodies: any[]; close(): Promise<void> }> {
  const bodies: any[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function stop(rt: RunningRuntime): Promise<void> {
  if (rt.process.exitCode !== null || rt.process.signalCode !== null) return;
  rt.process.kill("SIGINT");
  await rt.exited;
}

/** The DynamoDB Local (Java) process the runtime started. */
async function javaChildOf(pid: number): Promise<number> {
  const { stdout } = await promisify(execFile)("ps", ["-o", "pid=,comm=", "--ppid", String(pid)]);
  const line = stdout.split("\n").find((l) => /\bjava$/.test(l.trim()));
  if (!line) throw new Error(`no java child of ${pid}:\n${stdout}`);
  return Number(line.trim().split(/\s+/)[0]);
}

describe("the local runtime after a crash with events in flight", () => {
  it("delivers the journaled events after a restart, and every later event reaches the activity log and webhooks", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cortex-journal-"));
    const project = "proj_journal";
    const hook = await receiver();
    const first = await startRuntime(["--data-dir", dataDir]);
    let second: RunningRuntime | undefined;
    try {
      expect((await api(first, "POST", `/v1/projects/${project}/webhooks`, { url: hook.url })).status).toBe(201);
      const a = (await api(first, "POST", `/v1/projects/${project}/gatherings`, { name: "Before", type: "lobby" }))
        .body;
      // The envelope exactly as the bus carried it (the webhook body is the envelope).
      const envelope = await eventually(async () =>
        hook.bodies.find((b) => b.type === "gathering.created" && b.resource === `gathering:${a.id}`),
      );
      first.process.kill("SIGKILL");
      await first.exited;

      // What a SIGKILL between PutEvents and delivery leaves behind: journal entries for the activity and
      // webhooks rules (an event accepted by the bus, delivered to neither).
      const inFlight = { ...envelope, id: newId("event") };
      const journal = join(dataDir, "eventbridge-journal");
      mkdirSync(journal, { recursive: true });
      const busEventId = randomUUID();
      for (const rule of ["activity", "webhooks"]) {
        writeFileSync(
          join(journal, `${busEventId}.${rule}.json`),
          JSON.stringify({
            version: "0",
            id: busEventId,
            "detail-type": inFlight.type,
            source: "cortex",
            account: "000000000000",
            time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
            region: "us-east-1",
            resources: [],
            detail: inFlight,
          }),
        );
      }

      second = await startRuntime(["--data-dir", dataDir]);
      const rt = second;
      // The journaled event reaches both consumers…
      await eventually(
        async () => ((await activityIds(rt, project, a.id)).has(inFlight.id) ? true : undefined),
        120_000,
      );
      await eventually(async () => (hook.bodies.some((b) => b.id === inFlight.id) ? true : undefined), 120_000);

      // …and so does every event committed after the restart.
      const c = (await api(rt, "POST", `/v1/projects/${project}/gatherings`, { name: "After", type: "lobby" })).body;
      expect(
        (await api(rt, "POST", `/v1/projects/${project}/gatherings/${c.id}/members`, { participantId: "p1" })).status,
      ).toBe(201);
      // Deliveries are unordered: wait for both (the first member also makes an owner.changed).
      await eventually(async () => {
        const found = [...(await activityIds(rt, project, c.id)).values()];
        return found.includes("gathering.created") && found.includes("gathering.member.joined") ? true : undefined;
      }, 120_000);
      await eventually(async () => {
        const hooked = hook.bodies.filter((b) => b.resource === `gathering:${c.id}`).map((b) => b.type as string);
        return hooked.includes("gathering.created") && hooked.includes("gathering.member.joined") ? true : undefined;
      }, 120_000);

      // Nothing was dead-lettered, and the journal is empty.
      const report = await health(rt);
      expect(report.body.consumers).toEqual([]);
      expect(report.status).toBe(200);
      expect(readdirSync(journal)).toEqual([]);
    } finally {
      if (second) await stop(second);
      await stop(first);
      await hook.close();
    }
  });
});

describe("dead letters", () => {
  it("a failing consumer turns /health to 503 naming it; after the fix, npm run redrive delivers the event and /health is 200", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cortex-dead-letters-"));
    const flaky = mkdtempSync(join(tmpdir(), "cortex-flaky-"));
    const rt = await startRuntime(["--data-dir", dataDir, "--functions", "test/fixtures/flaky-functions.ts"], {
      FLAKY_FUNCTION_DIR: flaky,
    });
    try {
      expect((await health(rt)).status).toBe(200);
      const created = await api(rt, "POST", "/v1/projects/proj_dlq/gatherings", { name: "Flaky", type: "open" });
      expect(created.status).toBe(201);

      const sick = await eventually(async () => {
        const report = await health(rt);
        return report.status === 503 ? report.body : undefined;
      }, 120_000);
      expect(sick.status).toBe("unhealthy");
      expect(sick.consumers).toEqual([
        expect.objectContaining({
          function: "onGatheringCreated",
          deadLetters: 1,
          lastError: "the flaky function is broken",
        }),
      ]);
      expect(rt.output()).toMatch(/consumer onGatheringCreated failed on an event after its retries; dead-lettered/);

      writeFileSync(join(flaky, "fixed"), "");
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "local/redrive.ts", "--url", rt.apiUrl],
        {
          env: { ...process.env, CORTEX_API_KEY: rt.apiKey },
        },
      );
      expect(stdout).toMatch(/Re-driven: 1 dead-lettered event delivery/);

      const handled = await eventually(async () => {
        const file = join(flaky, "handled");
        return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : undefined;
      }, 120_000);
      expect(handled).toHaveLength(1);
      const healed = await health(rt);
      expect(healed.body.consumers).toEqual([]);
      expect(healed.status).toBe(200);
    } finally {
      await stop(rt);
    }
  });

  it("the redrive route refuses a request without the dev key", async () => {
    const rt = await startRuntime(["--in-memory"]);
    try {
      const response = await fetch(`${rt.apiUrl}/local/redrive`, { method: "POST" });
      expect(response.status).toBe(401);
    } finally {
      await stop(rt);
    }
  });
});

describe("when DynamoDB Local dies", () => {
  it("requests answer 503 problem+json with Retry-After, never 500, until it is restarted on the same data", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cortex-ddb-restart-"));
    const rt = await startRuntime(["--data-dir", dataDir]);
    try {
      const before = await api(rt, "POST", "/v1/projects/proj_ddb/gatherings", { name: "Before", type: "lobby" });
      expect(before.status).toBe(201);
      process.kill(await javaChildOf(rt.process.pid!), "SIGKILL");

      const statuses: number[] = [];
      let unavailable: Awaited<ReturnType<typeof api>> | undefined;
      const after = await eventually(async () => {
        const response = await api(rt, "POST", "/v1/projects/proj_ddb/gatherings", { name: "During", type: "lobby" });
        statuses.push(response.status);
        if (response.status === 503) unavailable ??= response;
        return unavailable && response.status === 201 ? response : undefined;
      }, 180_000);
      expect(new Set(statuses)).toEqual(new Set([503, 201]));
      expect(unavailable!.headers.get("content-type")).toBe("application/problem+json");
      expect(unavailable!.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(unavailable!.body).toMatchObject({ status: 503, code: "service_unavailable" });
      expect(after.body.id).toMatch(/^gth_/);

      expect(rt.output()).toMatch(/DynamoDB Local exited on its own/);
      expect(rt.output()).toMatch(/DynamoDB Local restarted/);
      // The data it had is still there.
      expect((await api(rt, "GET", `/v1/projects/proj_ddb/gatherings/${before.body.id}`)).status).toBe(200);
      const report = await health(rt);
      expect(report.body.dynamodb).toEqual({ up: true, restarts: 1 });
    } finally {
      await stop(rt);
    }
  });

  it("in memory (its data gone), the runtime exits non-zero with a clear message", async () => {
    const rt = await startRuntime(["--in-memory"]);
    try {
      process.kill(await javaChildOf(rt.process.pid!), "SIGKILL");
      expect((await rt.exited).code).toBe(1);
      expect(rt.output()).toMatch(/DynamoDB Local \(in memory\) exited; its data is gone/);
    } finally {
      await stop(rt);
    }
  });
});
