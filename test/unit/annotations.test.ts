import { describe, expect, it } from "vitest";
import { buildEnvelopes } from "../../shared/store/commit.js";
import { commitOptions } from "../../shared/domain/sessions/service.js";
import { newSession, sessionCommit } from "../../shared/domain/sessions/session.js";
import { pendingOf, publishOrder, sequenceChunk, SEQUENCER } from "../../shared/domain/sessions/sequencer.js";
import { messageItem } from "../../shared/domain/sessions/messages.js";
import {
  messageAnnotation,
  messageAnnotationFromItem,
  messageAnnotationItem,
  sessionAnnotation,
  sessionAnnotationFromItem,
  sessionAnnotationItem,
  triggerKey,
  withCurrent,
} from "../../shared/domain/plugins/annotations.js";
import { PLUGINS, UpdatePluginBodySchema } from "../../shared/domain/plugins/model.js";
import { EVENT_CATALOG } from "../../shared/events/catalog.js";

const scope = { tenantId: "t1", projectId: "p1" };
const at = new Date("2026-11-28T09:00:00.000Z");
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);
const session = {
  ...newSession({
    id: "sess_1",
    ...scope,
    externalRoomId: "room",
    title: "Stand-up",
    createdBy: "key_1",
    at: at.toISOString(),
  }),
  version: 7,
  messageCount: 3,
};

describe("annotation items and the sequencer", () => {
  it("a message annotation round-trips through its item, keyed by message and plugin in the session's partition", () => {
    const annotation = messageAnnotation(
      scope,
      "sess_1",
      "msg_9",
      {
        pluginId: "profanity",
        type: "profanity",
        data: { flagged: true, engine: "obscenity@0.4.6" },
        trigger: { kind: "message.created" },
      },
      at,
    );
    const item = messageAnnotationItem(annotation);
    expect(item).toMatchObject({
      PK: "T#t1#P#p1#S#sess_1",
      SK: "MAN#msg_9#profanity",
      kind: "annotation",
      target: "message",
    });
    expect(messageAnnotationFromItem(item)).toEqual(annotation);
    expect(annotation.pluginInstanceId).toBe("p1/profanity");
    expect(annotation.id).toMatch(/^ann_/);
  });

  it("a session annotation is keyed by plugin and trigger: one per end, one per action request", () => {
    const ended = sessionAnnotation(
      scope,
      "sess_1",
      { pluginId: "summary", type: "summary", data: {}, trigger: { kind: "session.ended" } },
      at,
    );
    const asked = sessionAnnotation(
      scope,
      "sess_1",
      {
        pluginId: "summary",
        type: "summary",
        data: {},
        trigger: { kind: "action", actionId: "generate-minutes", requestId: "req_1" },
      },
      later(5),
    );
    expect(sessionAnnotationItem(ended).SK).toBe("SAN#summary#session.ended");
    expect(sessionAnnotationItem(asked).SK).toBe("SAN#summary#action#req_1");
    expect(triggerKey({ kind: "action", requestId: "req_2" })).toBe("action#req_2");
    expect(sessionAnnotationFromItem(sessionAnnotationItem(asked), true)).toEqual({ ...asked, current: true });
  });

  it("the newest annotation of each type is current; the superseded ones are kept, oldest first", () => {
    const make = (type: "summary" | "action_items", seconds: number) =>
      sessionAnnotation(
        scope,
        "sess_1",
        { pluginId: type, type, data: {}, trigger: { kind: "session.ended" } },
        later(seconds),
      );
    const first = make("summary", 0);
    const items = make("action_items", 1);
    const second = make("summary", 2);
    const marked = withCurrent([second, first, items]);
    expect(marked.map((a) => [a.id, a.current])).toEqual([
      [first.id, false],
      [items.id, true],
      [second.id, true],
    ]);
  });

  it("sequences messages first, then annotations; an annotation moves only the version, and a message annotation's resource is the message", () => {
    const message = {
      id: "msg_9",
      sessionId: "sess_1",
      tenantId: "t1",
      projectId: "p1",
      type: "user" as const,
      senderName: "Ada",
      content: "hello",
      timestamp: at.toISOString(),
      hasDebugAudio: false,
      createdAt: at.toISOString(),
    };
    const onMessage = messageAnnotationItem(
      messageAnnotation(
        scope,
        "sess_1",
        "msg_8",
        {
          pluginId: "sentiment",
          type: "sentiment",
          data: { score: 0.5, label: "positive", engine: "x" },
          trigger: { kind: "message.created" },
        },
        at,
      ),
    );
    const onSession = sessionAnnotationItem(
      sessionAnnotation(
        scope,
        "sess_1",
        { pluginId: "summary", type: "summary", data: { summary: "s" }, trigger: { kind: "session.ended" } },
        later(1),
      ),
    );
    const pending = [pendingOf(onSession), pendingOf(onMessage), pendingOf(messageItem(scope, message))].sort(
      publishOrder,
    );
    const { steps, puts } = sequenceChunk(session, pending, later(2).toISOString());
    expect(steps.map((s) => s.type)).toEqual([
      "message.created",
      "message.annotation.created",
      "session.annotation.created",
    ]);
    expect(puts!.map((p) => p.item.version)).toEqual([8, 9, 10]);
    expect(steps[1]!.session).toEqual(steps[0]!.session);
    expect(steps[2]!.session.messageCount).toBe(4);
    const request = sessionCommit(session.version, steps, SEQUENCER, { puts });
    const envelopes = buildEnvelopes(request, later(2), commitOptions({ eventRetentionSeconds: 60 }, later(2)).events);
    expect(envelopes.map((e) => [e.type, e.version, e.resource])).toEqual([
      ["message.created", 8, "session:sess_1"],
      ["message.annotation.created", 9, "message:msg_8"],
      ["session.annotation.created", 10, "session:sess_1"],
    ]);
    expect(envelopes[1]!.data).toEqual({ annotation: expect.objectContaining({ messageId: "msg_8", version: 9 }) });
    expect(envelopes[2]!.data).toEqual({ annotation: expect.objectContaining({ current: true, version: 10 }) });
    expect(envelopes[2]!.data).not.toHaveProperty("session");
  });
});

describe("the plugin catalog", () => {
  it("declares every annotation type once, each plugin's defaults parse with its own schema, and the events are in the catalog", () => {
    const written = Object.values(PLUGINS).flatMap((p) => [...p.writes]);
    expect(new Set(written)).toEqual(new Set(["profanity", "sentiment", "summary", "action_items"]));
    for (const plugin of Object.values(PLUGINS))
      expect(plugin.config.safeParse(plugin.defaults.config).success).toBe(true);
    expect(Object.keys(EVENT_CATALOG)).toEqual(
      expect.arrayContaining(["message.annotation.created", "session.annotation.created", "session.action.requested"]),
    );
  });

  it("refuses an empty or unknown plugin update, and an unknown configuration field", () => {
    expect(UpdatePluginBodySchema.safeParse({}).success).toBe(false);
    expect(UpdatePluginBodySchema.safeParse({ enabled: true, extra: 1 }).success).toBe(false);
    expect(PLUGINS.summary.config.safeParse({ maxSentences: 0 }).success).toBe(false);
    expect(PLUGINS.summary.config.safeParse({ maxSentences: 3, other: true }).success).toBe(false);
    expect(PLUGINS.sentiment.config.safeParse({ sessionRollup: false }).success).toBe(true);
  });
});
