import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { storeClient } from "../support/dynamodb.js";
import { resolveApiKey } from "../../shared/domain/auth/api-keys.js";
import { receiveBotCommands } from "../support/bot-commands.js";
import { ApiClient, uniqueProject } from "../support/http.js";
import { eventually, scheduleWrites, sharedRuntime, startRuntime, type RuntimeEndpoints } from "../support/runtime.js";

/**
 * What the local runtime adds for sessions, through its own parts: the dev bot key, the bot command queue
 * a bot fleet consumes (EventBridge rule → SQS), and the scheduler's write counts for idle-stop tests.
 * The sessions API itself, debug audio through the local S3 included, is in sessions-api.test.ts.
 */
const rt = sharedRuntime();

function keyStore(endpoints: RuntimeEndpoints): DynamoDbStore {
  return new DynamoDbStore({ tableName: "cortex", client: storeClient(endpoints.dynamodbEndpoint) });
}

describe("the local runtime for sessions", () => {
  it("prints a dev bot key, distinct from the API key, stored as a bot credential for every project of tenant local", async () => {
    expect(rt.botKey).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
    expect(rt.botKey).not.toBe(rt.apiKey);
    expect(await resolveApiKey(keyStore(rt), rt.botKey)).toMatchObject({
      tenantId: "local",
      projectScope: "*",
      credential: "bot",
    });
    expect(await resolveApiKey(keyStore(rt), rt.apiKey)).toMatchObject({ credential: "api" });
    // A bot credential serves the bot API only.
    const bot = new ApiClient(rt, uniqueProject("devbot"), rt.botKey);
    expect((await bot.get("/gatherings")).status).toBe(403);
  });

  it("a session's join and leave commands land on the bot command queue as their envelopes; the dev bot key answers them and posts a sequenced message", async () => {
    expect(rt.botCommandQueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/000000000000\/bot-commands$/);
    const api = new ApiClient(rt, uniqueProject("botq"));
    const response = await api.post("/sessions", { title: "Queue check", externalRoomId: "room-q" });
    expect(response.status).toBe(201);
    const session = response.body;

    const [join] = await receiveBotCommands(rt, { sessionId: session.id });
    expect(join).toMatchObject({
      type: "session.bot.requested",
      resource: `session:${session.id}`,
      projectId: api.projectId,
      tenantId: "local",
      data: {
        command: {
          kind: "join",
          commandId: session.bot.commandId,
          sessionId: session.id,
          externalRoomId: "room-q",
        },
      },
    });
    // A bot acts on the command with its own credential.
    const bot = new ApiClient(rt, api.projectId, rt.botKey);
    const report = await bot.post(`/sessions/${session.id}/bot`, {
      state: "in_room",
      commandId: join!.data.command.commandId,
    });
    expect(report.status).toBe(200);
    // Its message is sequenced by the second stream consumer and published: message.created reaches the activity log.
    const posted = await bot.post(`/sessions/${session.id}/messages`, {
      senderName: "Ada",
      content: "hello",
      timestamp: new Date().toISOString(),
    });
    expect(posted.status).toBe(201);
    const created = await eventually(async () => {
      const page = await api.get("/activity?limit=100");
      return (page.body.items as Array<{ type: string; data: { message?: { id: string } } }>).find(
        (e) => e.type === "message.created",
      );
    });
    expect(created.data.message?.id).toBe(posted.body.id);

    expect((await api.post(`/sessions/${session.id}/stop`)).status).toBe(202);
    const [leave] = await receiveBotCommands(rt, { sessionId: session.id });
    expect(leave).toMatchObject({ type: "session.bot.released", data: { command: { kind: "leave" } } });
    expect(leave!.version).toBeGreaterThan(join!.version);
    expect(leave!.data.command.commandId).not.toBe(join!.data.command.commandId);
  });

  it("counts a session's schedule writes on /local/scheduler/writes (dev key only), by schedule name", async () => {
    const api = new ApiClient(rt, uniqueProject("writes"));
    const session = (await api.post("/sessions", { title: "Writes", externalRoomId: "room-w", idleTimeout: 600 })).body;
    // The bot's acknowledgement deadline is scheduled by scheduler-sync once session.bot.requested arrives.
    const report = await eventually(async () => {
      const r = await scheduleWrites(rt, session.id);
      return r.writes[`${session.id}-bot-ack`]?.create ? r : undefined;
    });
    expect(report.writes[`${session.id}-bot-ack`]).toEqual({
      create: 1,
      update: expect.any(Number),
      delete: expect.any(Number),
      refused: expect.any(Number),
    });
    for (const name of Object.keys(report.writes)) expect(name.startsWith(session.id)).toBe(true);
    expect(report.total).toBe(Object.values(report.writes).reduce((n, w) => n + w.create + w.update + w.delete, 0));
    expect(report.total).toBeGreaterThan(0);

    const anonymous = await fetch(`${rt.apiUrl}/local/scheduler/writes?prefix=${session.id}`);
    expect(anonymous.status).toBe(401);
    const wrongKey = await fetch(`${rt.apiUrl}/local/scheduler/writes?prefix=${session.id}`, {
      headers: { Authorization: `Bearer ${rt.botKey}` },
    });
    expect(wrongKey.status).toBe(401);
  });

  it("with a data directory, the dev bot key is kept owner-only in dev-bot-key and survives a restart; debug audio lives under s3/", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cortex-botkey-"));
    try {
      const first = await startRuntime(["--data-dir", dataDir]);
      first.process.kill("SIGINT");
      expect(await first.exited).toEqual({ code: 0, signal: null });
      const file = join(dataDir, "dev-bot-key");
      expect(readFileSync(file, "utf8").trim()).toBe(first.botKey);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, "s3", "cortex-debug-audio")).isDirectory()).toBe(true);

      const second = await startRuntime(["--data-dir", dataDir]);
      try {
        expect(second.botKey).toBe(first.botKey);
        expect(second.apiKey).toBe(first.apiKey);
        expect(await resolveApiKey(keyStore(second), second.botKey)).toMatchObject({ credential: "bot" });
      } finally {
        second.process.kill("SIGINT");
        await second.exited;
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
