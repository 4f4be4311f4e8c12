import { randomUUID } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { EventBridgeEvent } from "aws-lambda";
import { PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES, entrySize } from "../../shared/events/publisher.js";
/** What the router needs of a rule: its id (to find its target) and its event pattern. */
export interface LocalRule {
  id: string;
  pattern: Record<string, unknown>;
}
import { assertSupportedPattern, matchesPattern } from "./pattern.js";

/**
 * A local EventBridge: the PutEvents API (AWS JSON 1.1, as @aws-sdk/client-eventbridge sends it) on
 * 127.0.0.1, with the service's limits (10 entries, 256 KB), routing every accepted entry through the
 * shared rules to their targets. Delivery is asynchronous and retried like EventBridge's retry policy;
 * what still fails goes to a dead-letter file, from which `redrive` delivers it again.
 */
export type RuleTarget = (event: EventBridgeEvent<string, unknown>) => Promise<void>;

export interface LocalEventBridgeOptions {
  busName: string;
  rules: readonly LocalRule[];
  /** Per rule id: the target to invoke and its retry attempts. */
  targets: Record<string, { invoke: RuleTarget; retryAttempts: number }>;
  region?: string;
  /** Delay before retry n (1-based). EventBridge backs off over minutes; locally seconds. */
  retryDelayMs?: (attempt: number) => number;
  deadLetterFile?: string;
  /**
   * Where accepted deliveries are journaled until their target has run, so a crash between PutEvents and
   * delivery loses nothing (EventBridge itself is durable). Omitted = in memory only.
   */
  journalDir?: string;
  /** Called when a delivery is dead-lettered (after it is recorded). */
  onDeadLetter?: (deadLetter: DeadLetter) => void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** A delivery that failed after its retries: the rule, the last error and the event, as it is re-driven. */
export interface DeadLetter {
  rule: string;
  error: string;
  failedAt?: string;
  event: EventBridgeEvent<string, unknown>;
}

export interface LocalEventBridge {
  endpoint: string;
  /** The dead letters not re-driven yet (those of earlier runs too, when a dead-letter file is kept). */
  deadLetters(): readonly DeadLetter[];
  /**
   * Delivers the dead letters again to their rule's target (journaled first, so a crash loses none) and
   * removes them from the dead letters; those that fail again come back. Returns how many were re-driven.
   */
  redrive(filter?: { rule?: string }): number;
  /** Resolves when every delivery started so far has finished (succeeded or dead-lettered). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

interface WireEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number;
  Resources?: string[];
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startLocalEventBridge(options: LocalEventBridgeOptions): Promise<LocalEventBridge> {
  for (const rule of options.rules) {
    assertSupportedPattern(rule.pattern, `rule ${rule.id}`);
    if (!options.targets[rule.id]) throw new Error(`rule ${rule.id} has no local target`);
  }
  const region = options.region ?? "us-east-1";
  const retryDelay = options.retryDelayMs ?? ((attempt) => Math.min(200 * 2 ** (attempt - 1), 5_000));
  const log = options.log ?? (() => undefined);
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  const journal = options.journalDir;
  if (journal) mkdirSync(journal, { recursive: true });
  const journalFile = (ruleId: string, eventId: string) => join(journal!, `${eventId}.${ruleId}.json`);

  // Dead letters survive restarts in the dead-letter file (one JSON object a line); in memory otherwise.
  const deadLetterFile = options.deadLetterFile;
  const deadLetters: DeadLetter[] = [];
  if (deadLetterFile && existsSync(deadLetterFile)) {
    const text = readFileSync(deadLetterFile, "utf8");
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        deadLetters.push(JSON.parse(line) as DeadLetter);
      } catch {
        // a line cut short by a crash while it was appended
      }
    }
    if (text !== "" && !text.endsWith("\n")) rewriteDeadLetters(deadLetters);
  }

  function rewriteDeadLetters(kept: readonly DeadLetter[]): void {
    if (!deadLetterFile) return;
    const temporary = `${deadLetterFile}.tmp`;
    writeFileSync(temporary, kept.map((d) => JSON.stringify(d) + "\n").join(""));
    renameSync(temporary, deadLetterFile);
  }

  async function deliver(rule: LocalRule, event: EventBridgeEvent<string, unknown>): Promise<void> {
    const target = options.targets[rule.id]!;
    for (let attempt = 0; ; attempt++) {
      if (stopping) return; // still journaled: delivered after the next start
      try {
        await target.invoke(event);
        if (journal) unlinkSync(journalFile(rule.id, event.id));
        return;
      } catch (error) {
        if (stopping) return; // failed because the runtime is stopping: journaled, delivered after the next start
        if (attempt >= target.retryAttempts) {
          const message = (error as Error).message;
          const deadLetter: DeadLetter = { rule: rule.id, error: message, failedAt: new Date().toISOString(), event };
          deadLetters.push(deadLetter);
          // Synchronous, like the rewrite in redrive(): the two never interleave.
          if (deadLetterFile) appendFileSync(deadLetterFile, JSON.stringify(deadLetter) + "\n");
          if (journal) unlinkSync(journalFile(rule.id, event.id));
          options.onDeadLetter?.(deadLetter);
          log("delivery failed, dead-lettered", { rule: rule.id, eventId: event.id, error: message });
          return;
        }
        await new Promise((r) => setTimeout(r, retryDelay(attempt + 1)));
      }
    }
  }

  function redrive(filter: { rule?: string } = {}): number {
    const chosen = deadLetters.filter((d) => filter.rule === undefined || d.rule === filter.rule);
    const kept = deadLetters.filter((d) => !chosen.includes(d));
    const deliveries: Array<[LocalRule, EventBridgeEvent<string, unknown>]> = [];
    for (const deadLetter of chosen) {
      const rule = options.rules.find((r) => r.id === deadLetter.rule);
      if (!rule) {
        kept.push(deadLetter); // its rule is gone: kept for the operator to look at
        continue;
      }
      // Journaled before it leaves the dead letters: a crash in between delivers it (at least once).
      if (journal) writeFileSync(journalFile(rule.id, deadLetter.event.id), JSON.stringify(deadLetter.event));
      deliveries.push([rule, deadLetter.event]);
    }
    rewriteDeadLetters(kept);
    deadLetters.splice(0, deadLetters.length, ...kept);
    for (const [rule, event] of deliveries) startDelivery(rule, event);
    return deliveries.length;
  }

  function route(entry: Required<Pick<WireEntry, "Source" | "DetailType" | "Detail">> & WireEntry): string {
    const id = randomUUID();
    const event: EventBridgeEvent<string, unknown> = {
      version: "0",
      id,
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: "000000000000",
      time: new Date((entry.Time ?? Date.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail) as unknown,
    };
    for (const rule of options.rules) {
      if (!matchesPattern(rule.pattern, event as unknown as Record<string, unknown>)) continue;
      // Journaled before PutEvents answers: once accepted, an event survives a crash.
      if (journal) writeFileSync(journalFile(rule.id, id), JSON.stringify(event));
      startDelivery(rule, event);
    }
    return id;
  }

  function startDelivery(rule: LocalRule, event: EventBridgeEvent<string, unknown>): void {
    const delivery = deliver(rule, event).finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  }

  function resumeJournal(): void {
    if (!journal) return;
    for (const file of readdirSync(journal).filter((f) => f.endsWith(".json"))) {
      const ruleId = file.split(".")[1]!;
      const rule = options.rules.find((r) => r.id === ruleId);
      const event = JSON.parse(readFileSync(join(journal, file), "utf8")) as EventBridgeEvent<string, unknown>;
      if (rule) startDelivery(rule, event);
      else unlinkSync(join(journal, file)); // the rule no longer exists
    }
  }

  function putEvents(input: { Entries?: WireEntry[] }) {
    const entries = input.Entries ?? [];
    if (entries.length === 0 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
      throw new ApiError(
        "ValidationException",
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${PUT_EVENTS_MAX_ENTRIES}`,
      );
    }
    const total = entries.reduce(
      (n, e) =>
        n +
        entrySize({
          Source: e.Source ?? "",
          DetailType: e.DetailType ?? "",
          Detail: e.Detail ?? "",
          Time: new Date(),
          Resources: e.Resources ?? [],
        }),
      0,
    );
    if (total > PUT_EVENTS_MAX_BYTES) {
      throw new ApiError("ValidationException", "Total size of the entries in the request is over the limit.");
    }
    let failed = 0;
    const results = entries.map((entry) => {
      const bus = entry.EventBusName ?? "default";
      if (bus !== options.busName && !bus.endsWith(`:event-bus/${options.busName}`)) {
        failed++;
        return { ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${bus} does not exist.` };
      }
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        failed++;
        return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter(s) Source, DetailType or Detail are missing." };
      }
      try {
        const detail: unknown = JSON.parse(entry.Detail);
        if (typeof detail !== "object" || detail === null || Array.isArray(detail)) throw new Error("not an object");
      } catch {
        failed++;
        return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
      }
      return { EventId: route({ ...entry, Source: entry.Source, DetailType: entry.DetailType, Detail: entry.Detail }) };
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, {
        "Content-Type": "application/x-amz-json-1.1",
        ...(errorType && { "x-amzn-ErrorType": errorType }),
      });
      res.end(JSON.stringify(body));
    };
    try {
      const target = req.headers["x-amz-target"];
      if (req.method !== "POST" || target !== "AWSEvents.PutEvents") {
        throw new ApiError(
          "UnknownOperationException",
          `The local event bus implements PutEvents only (got ${target})`,
        );
      }
      reply(200, putEvents(JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Entries?: WireEntry[] }));
    } catch (error) {
      const apiError =
        error instanceof ApiError ? error : new ApiError("InternalException", (error as Error).message, 500);
      reply(apiError.status, { __type: apiError.type, message: apiError.message }, apiError.type);
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("event bus did not bind");
  resumeJournal();

  const drain = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    deadLetters: () => [...deadLetters],
    redrive,
    drain,
    async stop() {
      stopping = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await drain();
    },
  };
}
