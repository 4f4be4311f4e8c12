import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { MeetingMessage } from "../../shared/domain/plugins/engines.js";
import { MEETING } from "../fixtures/meeting.js";
import { ApiClient } from "./http.js";
import { eventually } from "./runtime.js";

/** A message annotation as the annotations API lists it. */
export type Annotation = {
  id: string;
  type: string;
  pluginId: string;
  messageId?: string;
  data: Record<string, any>;
  current?: boolean;
};

/** The meeting, re-timed to the last minutes (the API refuses future timestamps): same lines, same order. */
export function retimed(lines: readonly MeetingMessage[] = MEETING, base = Date.now() - 10 * 60_000) {
  const first = Date.parse(lines[0]!.timestamp);
  return lines.map((m) => ({ ...m, timestamp: new Date(base + Date.parse(m.timestamp) - first).toISOString() }));
}

/** A session of the API client's project with the lines posted through the bot API, as a bot would. */
export async function holdMeeting(api: ApiClient, botKey: string, lines: readonly MeetingMessage[] = MEETING) {
  const bot = new ApiClient(api.rt, api.projectId, botKey);
  const created = await api.post("/sessions", {
    title: "Stand-up",
    externalRoomId: `room-${api.projectId}-${randomUUID().slice(0, 8)}`,
    autoStart: false,
  });
  expect(created.status).toBe(201);
  const session = created.body as { id: string };
  for (const m of retimed(lines)) {
    const posted = await bot.post(`/sessions/${session.id}/messages`, {
      id: m.id,
      senderName: m.senderName,
      content: m.content,
      timestamp: m.timestamp,
    });
    expect(posted.status).toBe(201);
  }
  return session;
}

/** Every message annotation of a session, page by page (`GET …/sessions/{id}/message-annotations`). */
export async function allMessageAnnotations(api: ApiClient, sessionId: string): Promise<Annotation[]> {
  const items: Annotation[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get(
      `/sessions/${sessionId}/message-annotations?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

/**
 * Waits until a session's end-of-session annotations (summary, action items, the sentiment roll-up — the
 * plugins enabled by default) are published: after that, nothing more is written to an ended session, so
 * a test may compare its items.
 */
export async function endAnnotationsPublished(api: ApiClient, sessionId: string): Promise<void> {
  await eventually(async () => {
    const { body } = await api.get(`/sessions/${sessionId}/annotations`);
    const published = (body.items as Array<{ type: string; version?: number }>).filter((a) => a.version !== undefined);
    const types = new Set(published.map((a) => a.type));
    return ["summary", "action_items", "sentiment"].every((t) => types.has(t)) ? true : undefined;
  });
}
