import type { Clock } from "../../kernel/clock.js";
import type { EventEnvelope } from "../../kernel/envelope.js";
import { NotFoundError } from "../../kernel/errors.js";
import type { Scope } from "../../kernel/tenancy.js";
import { messageAnnotationKey } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { listMessages } from "../sessions/messages.js";
import type { Message, Session } from "../sessions/model.js";
import { loadSession } from "../sessions/service.js";
import {
  insertAnnotation,
  listMessageAnnotations,
  messageAnnotation,
  messageAnnotationItem,
  sessionAnnotation,
  sessionAnnotationItem,
} from "./annotations.js";
import type {
  ActionItemsEngine,
  MeetingMessage,
  ProfanityEngine,
  SentimentEngine,
  SentimentScore,
  SummaryEngine,
} from "./engines.js";
import { ActionRequestSchema, type AnnotationTrigger, type PluginConfig, type PluginId } from "./model.js";
import { rollUpSentiment } from "./session-sentiment.js";
import { getPlugin } from "./settings.js";

/**
 * Runs one plugin over a batch of session events (an SQS batch of its queue): the message plugins
 * (profanity, sentiment) annotate each utterance of `message.created`; the session plugins (summary,
 * action items, the sentiment roll-up) annotate the session at `session.ended` and when one of their
 * actions is requested. Every annotation is a conditional insert keyed by (plugin, target, trigger), so a
 * redelivered event writes nothing twice; the sequencer publishes what was inserted. An event whose
 * plugin the project has disabled, or whose session is gone, is done. Anything else that fails fails
 * its record: the queue redelivers it, then dead-letters it.
 */

/** The engines a deployment runs, made on first use (the local NLP model loads only where it is needed). */
export interface Engines {
  profanity(): Promise<ProfanityEngine>;
  sentiment(): Promise<SentimentEngine>;
  summary(options: { maxSentences: number }): Promise<SummaryEngine>;
  actionItems(): Promise<ActionItemsEngine>;
}

export interface PluginDeps {
  store: Store;
  clock: Clock;
  engines: Engines;
}

export interface PluginRecord {
  /** The queue message id (a batch item failure names it). */
  key: string;
  envelope: EventEnvelope;
}

export interface PluginBatchResult {
  /** Keys of the records to retry. */
  failed: string[];
  errors: unknown[];
  counts: { annotated: number; already: number; skipped: number };
}

type Task =
  | { kind: "message"; keys: string[]; scope: Scope; message: Message }
  | { kind: "session"; keys: string[]; scope: Scope; sessionId: string; trigger: AnnotationTrigger };

function scopeOf(envelope: EventEnvelope): Scope {
  return { tenantId: envelope.tenantId, projectId: envelope.projectId };
}

/** What an event asks of this plugin (nothing, for an event it does not listen to). */
function taskOf(pluginId: PluginId, record: PluginRecord): Task | undefined {
  const { envelope } = record;
  const scope = scopeOf(envelope);
  const data = envelope.data as Record<string, unknown>;
  const sessionId = envelope.resource.startsWith("session:") ? envelope.resource.slice("session:".length) : undefined;
  if (envelope.type === "message.created") {
    const message = data.message as Message | undefined;
    if (pluginId !== "profanity" && pluginId !== "sentiment") return undefined;
    if (!message || message.type !== "user") return undefined;
    return { kind: "message", keys: [record.key], scope, message };
  }
  if (envelope.type === "session.ended" && sessionId) {
    if (pluginId === "profanity") return undefined;
    return { kind: "session", keys: [record.key], scope, sessionId, trigger: { kind: "session.ended" } };
  }
  if (envelope.type === "session.action.requested" && sessionId) {
    const action = ActionRequestSchema.safeParse(data.action);
    if (!action.success || action.data.pluginId !== pluginId) return undefined;
    return {
      kind: "session",
      keys: [record.key],
      scope,
      sessionId,
      trigger: { kind: "action", actionId: action.data.actionId, requestId: action.data.requestId },
    };
  }
  return undefined;
}

/** `make`'s answer for each key, asked once (the batch's reads of the same settings or session). */
function oncePerKey<A extends unknown[], T>(keyOf: (...args: A) => string, make: (...args: A) => Promise<T>) {
  const made = new Map<string, Promise<T>>();
  return (...args: A): Promise<T> => {
    const key = keyOf(...args);
    let pending = made.get(key);
    if (!pending) {
      pending = make(...args);
      made.set(key, pending);
    }
    return pending;
  };
}

export async function runPlugin(
  deps: PluginDeps,
  pluginId: PluginId,
  records: readonly PluginRecord[],
): Promise<PluginBatchResult> {
  const result: PluginBatchResult = { failed: [], errors: [], counts: { annotated: 0, already: 0, skipped: 0 } };
  const tasks: Task[] = [];
  for (const record of records) {
    const task = taskOf(pluginId, record);
    if (task) tasks.push(task);
    else result.counts.skipped++;
  }
  // A project's settings are read once per batch: disabling a plugin stops it from the next batch on.
  const settingsOf = oncePerKey(
    (scope: Scope) => `${scope.tenantId}/${scope.projectId}`,
    (scope: Scope) => getPlugin(deps.store, scope, pluginId),
  );
  // A message's session is read once per batch: a session deleted since its messages were posted has
  // nothing to annotate (no engine call, no annotation for the sequencer to drop).
  const sessionExists = oncePerKey(
    (scope: Scope, sessionId: string) => `${scope.tenantId}/${scope.projectId}/${sessionId}`,
    (scope: Scope, sessionId: string) =>
      loadSession(deps.store, scope, sessionId).then(
        () => true,
        (error: unknown) => (error instanceof NotFoundError ? false : Promise.reject(error)),
      ),
  );

  const fail = (task: Task, error: unknown) => {
    result.failed.push(...task.keys);
    result.errors.push(error);
  };
  const count = (written: boolean) => (written ? result.counts.annotated++ : result.counts.already++);

  const messageTasks: Array<Extract<Task, { kind: "message" }>> = [];
  const sessionTasks: Array<Extract<Task, { kind: "session" }>> = [];
  await Promise.all(
    tasks.map(async (task) => {
      try {
        const settings = await settingsOf(task.scope);
        if (!settings.enabled) {
          result.counts.skipped++;
          return;
        }
        if (task.kind === "session") sessionTasks.push(task);
        else if (await sessionExists(task.scope, task.message.sessionId)) messageTasks.push(task);
        else result.counts.skipped++;
      } catch (error) {
        fail(task, error);
      }
    }),
  );

  if (messageTasks.length > 0) {
    try {
      const written = await annotateMessages(deps, pluginId, messageTasks);
      for (const w of written) count(w);
    } catch (error) {
      for (const task of messageTasks) fail(task, error);
    }
  }
  await Promise.all(
    sessionTasks.map(async (task) => {
      try {
        const settings = await settingsOf(task.scope);
        const written = await annotateSession(deps, pluginId, task, settings.config);
        if (written !== undefined) count(written);
        else result.counts.skipped++;
      } catch (error) {
        if (error instanceof NotFoundError)
          result.counts.skipped++; // the session is gone: nothing to annotate
        else fail(task, error);
      }
    }),
  );
  return result;
}

/** The message plugins: one engine call for the batch (Comprehend takes 25 texts a request), one insert each. */
async function annotateMessages(
  deps: PluginDeps,
  pluginId: PluginId,
  tasks: Array<Extract<Task, { kind: "message" }>>,
): Promise<boolean[]> {
  // A redelivered message that is already annotated costs no engine call.
  const fresh: typeof tasks = [];
  const already: boolean[] = [];
  await Promise.all(
    tasks.map(async (task) => {
      const key = messageAnnotationKey(task.scope, task.message.sessionId, task.message.id, pluginId);
      if (await deps.store.get(key)) already.push(false);
      else fresh.push(task);
    }),
  );
  if (fresh.length === 0) return already;
  const now = deps.clock.now();
  const texts = fresh.map((t) => t.message.content);
  const found: Array<{ type: "profanity" | "sentiment"; data: Record<string, unknown> } | undefined> = [];
  if (pluginId === "profanity") {
    const engine = await deps.engines.profanity();
    const results = await Promise.all(texts.map((text) => engine.check(text)));
    // Only a flagged line is annotated: a clean line has nothing to say.
    for (const r of results) found.push(r.flagged ? { type: "profanity", data: r } : undefined);
  } else {
    const engine = await deps.engines.sentiment();
    for (const r of await engine.score(texts)) found.push({ type: "sentiment", data: r });
  }
  const written = await Promise.all(
    fresh.map(async (task, i) => {
      const annotation = found[i];
      if (!annotation) return false;
      const made = messageAnnotation(
        task.scope,
        task.message.sessionId,
        task.message.id,
        { pluginId, type: annotation.type, data: annotation.data, trigger: { kind: "message.created" } },
        now,
      );
      return insertAnnotation(deps.store, messageAnnotationItem(made));
    }),
  );
  return [...already, ...written];
}

const TRANSCRIPT_PAGE = 1000;

/** The meeting's utterances, in transcript order (system messages are not part of what was said). */
async function meetingOf(store: Store, scope: Scope, sessionId: string): Promise<MeetingMessage[]> {
  const messages: MeetingMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await listMessages(store, scope, sessionId, {
      limit: TRANSCRIPT_PAGE,
      ...(cursor !== undefined && { cursor }),
    });
    for (const m of page.items) {
      if (m.type === "user")
        messages.push({ id: m.id, senderName: m.senderName, content: m.content, timestamp: m.timestamp });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return messages;
}

/** The session plugins; undefined when there is nothing to write (the sentiment roll-up switched off). */
async function annotateSession(
  deps: PluginDeps,
  pluginId: PluginId,
  task: Extract<Task, { kind: "session" }>,
  config: Record<string, unknown>,
): Promise<boolean | undefined> {
  const session: Session = await loadSession(deps.store, task.scope, task.sessionId);
  if (pluginId === "sentiment" && !(config as PluginConfig<"sentiment">).sessionRollup) return undefined;
  if (pluginId === "profanity") return undefined;
  const meeting = await meetingOf(deps.store, task.scope, session.id);
  let annotation: { type: "summary" | "action_items" | "sentiment"; data: Record<string, unknown> };
  if (pluginId === "summary") {
    const { maxSentences } = config as PluginConfig<"summary">;
    const engine = await deps.engines.summary({ maxSentences });
    const result = await engine.summarize(meeting);
    annotation = { type: "summary", data: { ...result, messageCount: meeting.length } };
  } else if (pluginId === "action_items") {
    const engine = await deps.engines.actionItems();
    annotation = { type: "action_items", data: { ...(await engine.extract(meeting)) } };
  } else {
    annotation = { type: "sentiment", data: { ...(await sessionSentiment(deps, task.scope, session.id, meeting)) } };
  }
  const made = sessionAnnotation(
    task.scope,
    session.id,
    { pluginId, type: annotation.type, data: annotation.data, trigger: task.trigger },
    deps.clock.now(),
  );
  return insertAnnotation(deps.store, sessionAnnotationItem(made));
}

/**
 * The meeting's sentiment: the message annotations already written, and a score for any utterance whose
 * annotation is still on its way (or was made while the plugin was off), so the roll-up is never short.
 */
async function sessionSentiment(deps: PluginDeps, scope: Scope, sessionId: string, meeting: MeetingMessage[]) {
  const scored = new Map<string, SentimentScore>();
  let cursor: string | undefined;
  do {
    const page = await listMessageAnnotations(deps.store, scope, sessionId, {
      limit: 1000,
      ...(cursor !== undefined && { cursor }),
    });
    for (const a of page.items) if (a.type === "sentiment") scored.set(a.messageId, a.data as SentimentScore);
    cursor = page.nextCursor;
  } while (cursor);
  const missing = meeting.filter((m) => !scored.has(m.id));
  if (missing.length > 0) {
    const engine = await deps.engines.sentiment();
    const scores = await engine.score(missing.map((m) => m.content));
    missing.forEach((m, i) => scored.set(m.id, scores[i]!));
  }
  return rollUpSentiment(meeting.map((m) => scored.get(m.id)!));
}
