/**
 * A local EventBridge Scheduler: enough of the real Scheduler REST-JSON API that code using
 * `@aws-sdk/client-scheduler` works unchanged against it (point the client at `endpoint`, e.g. through
 * `AWS_ENDPOINT_URL_SCHEDULER`). Schedules are persisted in a DynamoDB table (DynamoDB Local) and fired by
 * a timer loop that calls `invokeTarget`; see timer.ts for delivery semantics and store.ts for the items.
 *
 * Operations (HTTP bindings as in the SDK's model):
 *   CreateSchedule        POST   /schedules/{Name}                  → { ScheduleArn }
 *   UpdateSchedule        PUT    /schedules/{Name}                  → { ScheduleArn } (full replacement)
 *   GetSchedule           GET    /schedules/{Name}?groupName=       → the definition + metadata
 *   DeleteSchedule        DELETE /schedules/{Name}?groupName=&clientToken=
 *   ListSchedules         GET    /schedules?ScheduleGroup=&NamePrefix=&State=&MaxResults=&NextToken=
 *   CreateScheduleGroup   POST   /schedule-groups/{Name}            → { ScheduleGroupArn }
 *   GetScheduleGroup      GET    /schedule-groups/{Name}
 *   DeleteScheduleGroup   DELETE /schedule-groups/{Name}            (deletes its schedules too)
 *   ListScheduleGroups    GET    /schedule-groups?NamePrefix=&MaxResults=&NextToken=
 * Errors: the modelled status, `x-amzn-ErrorType: <Name>` and `{ "Message": … }`.
 * Expressions: at() and rate(); cron() and time zones other than UTC are rejected with ValidationException.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { closeServer, listenOnLoopback, readJsonBody, sendJson } from "../http.js";
import { conflict, notFound, SchedulerApiError, validation } from "./errors.js";
import {
  DEFAULT_GROUP,
  validateName,
  validateScheduleBody,
  type ScheduleDefinition,
  type ValidatedSchedule,
} from "./model.js";
import { groupKey, parseDefinition, scheduleKey, ScheduleTable, type GroupItem, type ScheduleItem } from "./store.js";
import { TimerLoop, type Logger, type TargetInvocation } from "./timer.js";

export type { TargetInvocation } from "./timer.js";

export interface LocalSchedulerOptions {
  /** A client pointing at DynamoDB Local. */
  dynamodb: DynamoDBClient;
  /** The schedules' own table; created if missing (PK string hash key, on-demand). */
  tableName: string;
  /** Called when a schedule fires. A rejection counts as a failed delivery and is retried. */
  invokeTarget: (target: TargetInvocation) => Promise<void>;
  /** Timer loop period. Default 250 ms. */
  tickMs?: number;
  /** Clock for due times and creation dates (tests). Default: the system clock. */
  now?: () => Date;
  logger?: Logger;
  /** Listening port on 127.0.0.1. Default 0 (an ephemeral port). */
  port?: number;
  /** Used in ARNs. Defaults: us-east-1, 000000000000. */
  region?: string;
  accountId?: string;
  /**
   * Local cap on retries after a failed delivery (AWS allows up to 185 over up to 24 h). The effective
   * count is min(Target.RetryPolicy.MaximumRetryAttempts, this). Default 3.
   */
  maxRetryAttempts?: number;
  /** First retry delay; doubles per attempt, capped at 10 s. Default 500 ms. */
  retryBackoffMs?: number;
  /** How long a claim on a firing schedule lasts without renewal (a crashed runtime's claim expires). Default 30 s. */
  leaseMs?: number;
  /** Run the timer loop. Default true; false leaves firing to `fireDue()`. */
  autoFire?: boolean;
}

export interface LocalScheduler {
  /** `http://127.0.0.1:<port>`: the SchedulerClient `endpoint` (or AWS_ENDPOINT_URL_SCHEDULER). */
  endpoint: string;
  /** Runs one timer pass now and waits until the fires it started are done. */
  fireDue(): Promise<void>;
  /**
   * Writes (CreateSchedule, UpdateSchedule, DeleteSchedule that succeeded) per schedule name since start,
   * across groups; `refused` counts the write requests that failed (a create that conflicted, an update or
   * delete of a missing schedule), which cost a request on AWS all the same.
   */
  writes(namePrefix?: string): Record<string, ScheduleWrites>;
  /** Closes the server and the timer loop, waiting for a fire in flight. */
  stop(): Promise<void>;
}

export interface ScheduleWrites {
  create: number;
  update: number;
  delete: number;
  refused: number;
}

const DEFAULT_TICK_MS = 250;
const MAX_BODY_BYTES = 1024 * 1024;

const defaultLogger: Logger = (msg, fields) => {
  process.stderr.write(JSON.stringify({ component: "local-scheduler", message: msg, ...fields }) + "\n");
};

/** The SDK reads REST-JSON timestamps as epoch seconds. */
const epochSeconds = (ms: number) => ms / 1000;

interface Response {
  status?: number;
  body: Record<string, unknown>;
}

export async function startLocalScheduler(options: LocalSchedulerOptions): Promise<LocalScheduler> {
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? defaultLogger;
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const table = new ScheduleTable(options.dynamodb, options.tableName);
  await table.ensureTable();

  const groupArn = (name: string) => `arn:aws:scheduler:${region}:${accountId}:schedule-group/${name}`;
  const scheduleArn = (group: string, name: string) =>
    `arn:aws:scheduler:${region}:${accountId}:schedule/${group}/${name}`;

  // The default group always exists, as on AWS.
  const startedAt = now().getTime();
  await table.putNew({
    PK: groupKey(DEFAULT_GROUP),
    kind: "group",
    name: DEFAULT_GROUP,
    arn: groupArn(DEFAULT_GROUP),
    createdAt: startedAt,
    modifiedAt: startedAt,
  });

  async function requireGroup(name: string): Promise<GroupItem> {
    const group = await table.getGroup(name);
    if (!group) throw notFound(`Schedule group ${name} does not exist.`);
    return group;
  }

  /** The first due time of a definition, or undefined if it will never fire. */
  function firstDue(validated: ValidatedSchedule, nowMs: number): { dueAt?: number; rateAnchor?: number } {
    const { expression, definition } = validated;
    if (expression.kind === "at") return { dueAt: expression.atMs };
    // A rate schedule starts at StartDate, or at once when it has none, then runs every period.
    const anchor = definition.StartDate !== undefined ? Math.max(definition.StartDate * 1000, nowMs) : nowMs;
    if (definition.EndDate !== undefined && anchor > definition.EndDate * 1000) return { rateAnchor: anchor };
    return { dueAt: anchor, rateAnchor: anchor };
  }

  function buildItem(name: string, validated: ValidatedSchedule, createdAt: number, revision: number): ScheduleItem {
    const nowMs = now().getTime();
    const { dueAt, rateAnchor } = firstDue(validated, nowMs);
    return {
      PK: scheduleKey(validated.groupName, name),
      kind: "schedule",
      name,
      groupName: validated.groupName,
      arn: scheduleArn(validated.groupName, name),
      definition: JSON.stringify(validated.definition),
      state: validated.definition.State,
      status: dueAt === undefined ? "COMPLETED" : "SCHEDULED",
      ...(dueAt !== undefined && { dueAt }),
      ...(rateAnchor !== undefined && { rateAnchor }),
      revision,
      createdAt,
      modifiedAt: nowMs,
      ...(validated.clientToken !== undefined && { clientToken: validated.clientToken }),
    };
  }

  async function createSchedule(name: string, body: unknown): Promise<Response> {
    validateName(name, "Name");
    const validated = validateScheduleBody(body);
    await requireGroup(validated.groupName);
    const item = buildItem(name, validated, now().getTime(), 1);
    if (!(await table.putNew(item))) {
      const existing = await table.getSchedule(validated.groupName, name);
      // A retried request (same ClientToken) succeeds again instead of conflicting with itself.
      if (existing && validated.clientToken !== undefined && existing.clientToken === validated.clientToken) {
        return { body: { ScheduleArn: existing.arn } };
      }
      throw conflict(`Schedule ${name} already exists.`);
    }
    logger("local scheduler: created schedule", {
      schedule: name,
      group: validated.groupName,
      expression: validated.definition.ScheduleExpression,
    });
    return { body: { ScheduleArn: item.arn } };
  }

  async function updateSchedule(name: string, body: unknown): Promise<Response> {
    validateName(name, "Name");
    const validated = validateScheduleBody(body);
    await requireGroup(validated.groupName);
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await table.getSchedule(validated.groupName, name);
      if (!existing) throw notFound(`Schedule ${name} does not exist.`);
      const item = buildItem(name, validated, existing.createdAt, existing.revision + 1);
      if (await table.replaceSchedule(item, existing.revision)) {
        logger("local scheduler: updated schedule", {
          schedule: name,
          group: validated.groupName,
          expression: validated.definition.ScheduleExpression,
        });
        return { body: { ScheduleArn: item.arn } };
      }
    }
    throw conflict(`Schedule ${name} was modified concurrently; retry the update.`);
  }

  function groupFrom(query: URLSearchParams, parameter: string): string {
    const value = query.get(parameter);
    return value === null ? DEFAULT_GROUP : validateName(value, "GroupName");
  }

  async function getSchedule(name: string, query: URLSearchParams): Promise<Response> {
    validateName(name, "Name");
    const groupName = groupFrom(query, "groupName");
    const item = await table.getSchedule(groupName, name);
    if (!item) throw notFound(`Schedule ${name} does not exist.`);
    const definition: ScheduleDefinition = parseDefinition(item);
    return {
      body: {
        Arn: item.arn,
        Name: item.name,
        GroupName: item.groupName,
        ...definition,
        CreationDate: epochSeconds(item.createdAt),
        LastModificationDate: epochSeconds(item.modifiedAt),
      },
    };
  }

  async function deleteSchedule(name: string, query: URLSearchParams): Promise<Response> {
    validateName(name, "Name");
    const groupName = groupFrom(query, "groupName");
    if (!(await table.deleteExisting(scheduleKey(groupName, name)))) throw notFound(`Schedule ${name} does not exist.`);
    logger("local scheduler: deleted schedule", { schedule: name, group: groupName });
    return { body: {} };
  }

  function page<T>(items: T[], keyOf: (item: T) => string, query: URLSearchParams): { items: T[]; nextToken?: string } {
    const max = query.get("MaxResults");
    const limit = max === null ? 100 : Number(max);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw validation("MaxResults must be an integer between 1 and 100.");
    const token = query.get("NextToken");
    let after: string | undefined;
    if (token !== null) {
      try {
        after = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { after: string }).after;
      } catch {
        throw validation("The NextToken is not valid.");
      }
      if (typeof after !== "string") throw validation("The NextToken is not valid.");
    }
    const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
    const slice = rest.slice(0, limit);
    return {
      items: slice,
      ...(rest.length > limit && {
        nextToken: Buffer.from(JSON.stringify({ after: keyOf(slice[slice.length - 1]!) })).toString("base64url"),
      }),
    };
  }

  async function listSchedules(query: URLSearchParams): Promise<Response> {
    const group = query.get("ScheduleGroup");
    const prefix = query.get("NamePrefix");
    const state = query.get("State");
    if (state !== null && state !== "ENABLED" && state !== "DISABLED")
      throw validation("State must be one of ENABLED, DISABLED.");
    const all = (await table.listSchedules()).filter(
      (s) =>
        (group === null || s.groupName === group) &&
        (prefix === null || s.name.startsWith(prefix)) &&
        (state === null || s.state === state),
    );
    const { items, nextToken } = page(all, (s) => s.PK, query);
    return {
      body: {
        Schedules: items.map((s) => ({
          Arn: s.arn,
          Name: s.name,
          GroupName: s.groupName,
          State: s.state,
          CreationDate: epochSeconds(s.createdAt),
          LastModificationDate: epochSeconds(s.modifiedAt),
          Target: { Arn: parseDefinition(s).Target.Arn },
        })),
        ...(nextToken && { NextToken: nextToken }),
      },
    };
  }

  const groupSummary = (g: GroupItem) => ({
    Arn: g.arn,
    Name: g.name,
    State: "ACTIVE",
    CreationDate: epochSeconds(g.createdAt),
    LastModificationDate: epochSeconds(g.modifiedAt),
  });

  async function createGroup(name: string): Promise<Response> {
    validateName(name, "Name");
    const nowMs = now().getTime();
    const item: GroupItem = {
      PK: groupKey(name),
      kind: "group",
      name,
      arn: groupArn(name),
      createdAt: nowMs,
      modifiedAt: nowMs,
    };
    if (!(await table.putNew(item))) throw conflict(`Schedule group ${name} already exists.`);
    return { body: { ScheduleGroupArn: item.arn } };
  }

  async function getGroup(name: string): Promise<Response> {
    validateName(name, "Name");
    return { body: groupSummary(await requireGroup(name)) };
  }

  async function deleteGroup(name: string): Promise<Response> {
    validateName(name, "Name");
    if (name === DEFAULT_GROUP) throw validation("The default schedule group cannot be deleted.");
    await requireGroup(name);
    // AWS deletes the group's schedules with it (asynchronously); locally it happens before we answer.
    for (const schedule of await table.listSchedules()) {
      if (schedule.groupName === name) await table.deleteExisting(schedule.PK);
    }
    if (!(await table.deleteExisting(groupKey(name)))) throw notFound(`Schedule group ${name} does not exist.`);
    return { body: {} };
  }

  async function listGroups(query: URLSearchParams): Promise<Response> {
    const prefix = query.get("NamePrefix");
    const all = (await table.listGroups()).filter((g) => prefix === null || g.name.startsWith(prefix));
    const { items, nextToken } = page(all, (g) => g.name, query);
    return { body: { ScheduleGroups: items.map(groupSummary), ...(nextToken && { NextToken: nextToken }) } };
  }

  const writeCounts = new Map<string, ScheduleWrites>();
  async function countWrite(name: string, kind: "create" | "update" | "delete", write: () => Promise<Response>) {
    let counts = writeCounts.get(name);
    if (!counts) writeCounts.set(name, (counts = { create: 0, update: 0, delete: 0, refused: 0 }));
    try {
      const response = await write();
      counts[kind]++;
      return response;
    } catch (error) {
      counts.refused++;
      throw error;
    }
  }

  async function route(method: string, url: URL, body: () => Promise<unknown>): Promise<Response> {
    const parts = url.pathname
      .split("/")
      .filter((p) => p.length > 0)
      .map((p) => decodeURIComponent(p));
    const query = url.searchParams;
    const [collection, name, ...extra] = parts;
    if (extra.length === 0 && collection === "schedules") {
      if (name === undefined) {
        if (method === "GET") return listSchedules(query);
      } else {
        if (method === "POST") return countWrite(name, "create", async () => createSchedule(name, await body()));
        if (method === "PUT") return countWrite(name, "update", async () => updateSchedule(name, await body()));
        if (method === "GET") return getSchedule(name, query);
        if (method === "DELETE") return countWrite(name, "delete", () => deleteSchedule(name, query));
      }
    }
    if (extra.length === 0 && collection === "schedule-groups") {
      if (name === undefined) {
        if (method === "GET") return listGroups(query);
      } else {
        if (method === "POST") return createGroup(name);
        if (method === "GET") return getGroup(name);
        if (method === "DELETE") return deleteGroup(name);
      }
    }
    throw validation(`${method} ${url.pathname} is not supported by the local scheduler.`);
  }

  const readBody = (req: IncomingMessage) =>
    readJsonBody(req, {
      maxBytes: MAX_BODY_BYTES,
      onTooLarge: () => validation("The request body is too large."),
      onInvalid: () => validation("The request body is not valid JSON."),
    });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    let bodyRead: Promise<unknown> | undefined;
    const body = () => (bodyRead ??= readBody(req));
    route(method, url, body).then(
      (response) => {
        if (!bodyRead) req.resume(); // drain an unread body
        sendJson(res, response.status ?? 200, response.body);
      },
      (error: unknown) => {
        if (!bodyRead) req.resume();
        if (error instanceof SchedulerApiError) {
          sendJson(res, error.status, { Message: error.message }, { "x-amzn-errortype": error.type });
          return;
        }
        logger("local scheduler: internal error", { method, path: url.pathname, error: String(error) });
        sendJson(
          res,
          500,
          { Message: "Internal error in the local scheduler." },
          { "x-amzn-errortype": "InternalServerException" },
        );
      },
    );
  });

  const port = await listenOnLoopback(server, options.port ?? 0);

  const loop = new TimerLoop({
    table,
    invokeTarget: options.invokeTarget,
    tickMs: options.tickMs ?? DEFAULT_TICK_MS,
    now,
    logger,
    maxRetryAttempts: options.maxRetryAttempts ?? 3,
    retryBackoffMs: options.retryBackoffMs ?? 500,
    leaseMs: options.leaseMs ?? 30_000,
  });
  if (options.autoFire ?? true) loop.start();

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    fireDue: () => loop.fireDue(),
    writes: (namePrefix = "") =>
      Object.fromEntries(
        [...writeCounts]
          .filter(([name]) => name.startsWith(namePrefix))
          .map(([name, counts]) => [name, { ...counts }] as const),
      ),
    stop: () => (stopped ??= closeServer(server, () => loop.stop())),
  };
}
