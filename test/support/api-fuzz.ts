import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import type { RuntimeEndpoints } from "./runtime.js";
import { mintApiKey } from "./http.js";

/**
 * A property-based fuzzer of the whole HTTP API, driven by the OpenAPI document the API serves: every
 * operation, with generated path ids, query strings (cursors included), headers and bodies — schema-shaped
 * bodies, mutated ones, and the raw inputs outside testing found (numbers beyond 2^53, 1e-300, empty keys,
 * deep nesting, control characters in ids). It asserts, request by request:
 *   - never a 5xx;
 *   - a 4xx is always `application/problem+json` (the RSVP pages, meant for people, are HTML);
 *   - a rejected request changes nothing in the table.
 * Used bounded by `test/e2e/api-fuzz.test.ts` and unbounded by `npm run fuzz`.
 */
type Json = Record<string, any>;

export interface FuzzWorld {
  projectId: string;
  ids: Record<string, string[]>;
  /** The key for operations whose OpenAPI security is `botKey` (the bot API). */
  botKey?: string;
  /** A participant token (p1, the world's lobby): a quarter of the requests use it instead of the key. */
  participantToken?: string;
}

export interface FuzzCase {
  method: string;
  template: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
}

export interface FuzzReport {
  requests: number;
  byStatus: Record<number, number>;
  failures: string[];
}

const JUNK_IDS = [
  "",
  " ",
  "\u0000x",
  "a\r\nb",
  "\u007f",
  "😀",
  "../..",
  "%",
  "x".repeat(129),
  "y".repeat(5000),
  "gth_01aaaaaaaaaaaaaaaaaaaaaaaa",
  "sess_01aaaaaaaaaaaaaaaaaaaaaaaa",
  "a#b",
  "T#local#P#x",
];

/** Raw bodies that once reached DynamoDB or blew the stack. */
const NASTY_BODIES = [
  '{"name":"n","type":"lobby","metadata":{"discordId":1234567890123456789}}',
  '{"name":"n","type":"lobby","metadata":{"tiny":1e-300}}',
  '{"name":"n","type":"lobby","metadata":{"":1}}',
  '{"name":"n","type":"lobby","metadata":{"a":{"b":{"":1}}}}',
  `{"name":"n","type":"lobby","metadata":${'{"a":'.repeat(40)}1${"}".repeat(40)}}`,
  `{"name":"n","type":"lobby","metadata":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`,
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
  '{"displayName":"x","metadata":{"n":-1e400}}',
  "null",
  "[]",
  '"text"',
  "{",
  "{}",
  '{"__proto__":{"polluted":true}}',
];

function resolve(doc: Json, schema: Json | undefined): Json {
  if (schema?.$ref) return resolve(doc, doc.components.schemas[String(schema.$ref).split("/").pop()!]);
  return schema ?? {};
}

/** Values shaped by a JSON Schema (loosely: enough to get past the first checks and into the domain). */
function shaped(doc: Json, raw: Json | undefined, world: FuzzWorld, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  if (depth > 4) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return fc.oneof(...union.map((s: Json) => shaped(doc, s, world, depth + 1)));
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return shaped(doc, schema.allOf[0], world, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      if (schema.format === "date-time")
        return fc
          .integer({ min: -86_400_000, max: 30 * 86_400_000 })
          .map((offset) => new Date(Date.now() + offset).toISOString());
      if (schema.format === "email") return fc.constantFrom("a@example.com", "b@example.invalid", "not-an-email");
      return fc.oneof(
        fc.string({ maxLength: Math.min(Number(schema.maxLength ?? 40), 40) }),
        fc.constantFrom(...(world.ids.participantId ?? ["p1"]), ...(world.ids.joinCode ?? [])),
      );
    case "integer":
      return fc.integer({ min: Number(schema.minimum ?? -10), max: Number(schema.maximum ?? 1000) });
    case "number":
      return fc.double({ noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(shaped(doc, schema.items, world, depth + 1), { maxLength: 4 });
    case "object": {
      const props: Json = schema.properties ?? {};
      if (Object.keys(props).length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue());
      return fc.record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, shaped(doc, s as Json, world, depth + 1)])),
        { requiredKeys: (schema.required ?? []).filter((k: string) => k in props) },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** The smallest well-formed value of a schema (required fields only, tame strings): what gets past validation. */
function minimal(doc: Json, raw: Json | undefined, world: FuzzWorld, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (depth > 4 || schema.const !== undefined || Array.isArray(schema.enum) || schema.anyOf || schema.oneOf) {
    return shaped(doc, schema, world, depth);
  }
  if (type === "string" && !schema.format) {
    return fc.oneof(
      fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/),
      fc.constantFrom(...(world.ids.participantId ?? ["p1"])),
    );
  }
  if (type === "object" && schema.properties) {
    const required: string[] = (schema.required ?? []).filter((k: string) => k in schema.properties);
    return fc.record(
      Object.fromEntries(required.map((k) => [k, minimal(doc, schema.properties[k], world, depth + 1)])),
    );
  }
  return shaped(doc, schema, world, depth);
}

/** Webhook targets stay on this machine whatever the fuzzer writes: only loopback URLs or non-URLs. */
function keepTargetsLocal(template: string, body: string | undefined): string | undefined {
  if (!template.includes("/webhooks") || body === undefined) return body;
  return body.replace(/[a-z][a-z0-9+.-]*:\/\/[^"\\]*/gi, "http://127.0.0.1:9/hook");
}

export function fuzzCases(doc: Json, world: FuzzWorld): fc.Arbitrary<FuzzCase> {
  const operations: Array<{ method: string; template: string; op: Json }> = [];
  for (const [template, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops))
      operations.push({ method: method.toUpperCase(), template, op });
  }
  const id = (name: string) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...(world.ids[name] ?? ["x"])) },
      { weight: 1, arbitrary: fc.constantFrom(...JUNK_IDS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    );
  return fc.constantFrom(...operations).chain(({ method, template, op }) => {
    const params: Json[] = op.parameters ?? [];
    const pathNames = params.filter((p) => p.in === "path").map((p) => String(p.name));
    const queryNames = params.filter((p) => p.in === "query").map((p) => String(p.name));
    const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
    const body = bodySchema
      ? fc.oneof(
          { weight: 4, arbitrary: shaped(doc, bodySchema, world).map((v) => JSON.stringify(v)) },
          { weight: 3, arbitrary: minimal(doc, bodySchema, world).map((v) => JSON.stringify(v)) },
          { weight: 2, arbitrary: fc.constantFrom(...NASTY_BODIES) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
          { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
        )
      : method === "GET" || method === "DELETE"
        ? fc.constant(undefined)
        : fc.oneof(
            { weight: 5, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.constantFrom(...NASTY_BODIES) },
          );
    const queryValue = fc.oneof(
      fc.constantFrom("0", "1", "-1", "100", "101", "e30", "true", "lobby", "ready", "abc", "9".repeat(30)),
      fc.string({ maxLength: 12 }),
      fc.base64String({ maxLength: 40 }),
      fc.jsonValue({ maxDepth: 1 }).map((v) => Buffer.from(JSON.stringify(v)).toString("base64url")),
    );
    const query = fc
      .subarray(queryNames)
      .chain((names) => fc.tuple(...names.map((n) => queryValue.map((v) => [n, v] as [string, string]))));
    const someHeaders = fc.record(
      {
        "If-Match": fc.constantFrom("*", '"1"', '"999"', 'W/"2"', "garbage", '"-1"'),
        "Idempotency-Key": fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("k1", "k2", "é")),
        "Last-Event-ID": fc.constantFrom("0", "1", "99999", "x", "-1"),
      },
      { requiredKeys: [] },
    );
    // Most requests carry no extra headers, so the rest of the request decides what happens.
    const headers = fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: someHeaders });
    return fc
      .record({
        values: fc.tuple(...pathNames.map((n) => id(n).map((v) => [n, v] as [string, string]))),
        query,
        headers,
        body,
      })
      .map(({ values, query: pairs, headers: h, body: b }) => {
        const map = Object.fromEntries(values);
        const path = template.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(map[n] ?? "x"));
        return {
          method,
          template,
          path,
          query: new URLSearchParams(pairs).toString(),
          headers: Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\x20-\x7e]*$/.test(String(v)))) as Record<
            string,
            string
          >,
          ...(b !== undefined && { body: keepTargetsLocal(template, b) }),
        };
      });
  });
}

/** The whole table, minus what asynchronous consumers write on their own schedule. */
async function snapshot(client: DynamoDBClient): Promise<Map<string, Json>> {
  const items = new Map<string, Json>();
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: "cortex", ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      items.set(`${item.PK}|${item.SK}`, item);
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return items;
}

// Plugins annotate messages and sessions on their own queues, after the request that made them; the summary
// mailer claims and records each recipient's delivery (summaryDelivery) whenever a session's summary lands.
const ASYNC_KINDS = new Set(["activity", "fanout", "webhookAttempt", "signingKey", "annotation", "summaryDelivery"]);
const ASYNC_ACTORS = new Set(["system", "schedule"]);

/**
 * What changed between two snapshots that a request must answer for. Consumers (the mailer recording a
 * delivery, a schedule starting an appointment, the activity log) keep writing after a successful request;
 * their commits carry their own actor, so an item is excused when the event that last changed it is theirs.
 */
function unexplained(before: Map<string, Json>, after: Map<string, Json>): string[] {
  const byConsumer = new Set<string>();
  for (const item of after.values()) {
    if (item.kind === "event" && ASYNC_ACTORS.has(item.event?.actor?.type))
      byConsumer.add(`${item.PK}|${item.event.version}`);
  }
  const changes: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key);
    const b = after.get(key);
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const item = (b ?? a)!;
    if (ASYNC_KINDS.has(String(item.kind))) continue;
    if (item.kind === "event" && ASYNC_ACTORS.has(item.event?.actor?.type)) continue;
    if (typeof b?.version === "number" && byConsumer.has(`${b.PK}|${b.version}`)) continue;
    changes.push(`${a ? (b ? "changed" : "deleted") : "added"} ${key}`);
  }
  return changes;
}

export async function runApiFuzz(
  rt: RuntimeEndpoints,
  world: FuzzWorld,
  options: {
    numRuns: number;
    seed?: number;
    /** Keep going after a failure (to count them all) instead of stopping at the first. */
    collectAll?: boolean;
    onProgress?: (report: FuzzReport) => void;
  },
): Promise<FuzzReport> {
  const doc = (await (await fetch(`${rt.apiUrl}/v1/openapi.json`)).json()) as Json;
  const client = new DynamoDBClient({
    endpoint: rt.dynamodbEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const report: FuzzReport = { requests: 0, byStatus: {}, failures: [] };
  // The bot API takes a bot key (the OpenAPI security `botKey`); everything else the dev key.
  const botOperations = new Set<string>();
  for (const [template, methods] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(methods as Json)) {
      const security = (op as Json).security as Json[] | undefined;
      if (security?.length === 1 && "botKey" in security[0]!) botOperations.add(`${method.toUpperCase()} ${template}`);
    }
  }
  const keyFor = (c: FuzzCase) =>
    botOperations.has(`${c.method} ${c.template}`) && world.botKey ? world.botKey : rt.apiKey;
  const details = await fc.check(
    fc.asyncProperty(fuzzCases(doc, world), fc.nat({ max: 3 }), async (c, credential) => {
      const before = await snapshot(client);
      const secret = credential === 0 && world.participantToken ? world.participantToken : keyFor(c);
      const response = await fetch(`${rt.apiUrl}${c.path}${c.query ? `?${c.query}` : ""}`, {
        method: c.method,
        headers: {
          Authorization: `Bearer ${secret}`,
          ...(c.body !== undefined && { "Content-Type": "application/json" }),
          ...c.headers,
        },
        ...(c.body !== undefined && { body: c.body }),
        signal: AbortSignal.timeout(30_000),
      });
      const type = response.headers.get("content-type") ?? "";
      // A stream that opened is closed at once: its status and headers are what is being tested.
      const text = type.startsWith("text/event-stream") ? (await response.body?.cancel(), "") : await response.text();
      report.requests++;
      report.byStatus[response.status] = (report.byStatus[response.status] ?? 0) + 1;
      options.onProgress?.(report);
      const what = `${c.method} ${c.path.slice(0, 200)}?${c.query.slice(0, 200)} body=${(c.body ?? "").slice(0, 200)} as ${secret === world.participantToken ? "participant" : "key"}`;
      const problems: string[] = [];
      if (response.status >= 500) problems.push(`${response.status} ${text.slice(0, 300)}`);
      if (response.status >= 400 && response.status < 500) {
        const page = c.template.startsWith("/v1/rsvp/") && type.startsWith("text/html");
        if (!page && !type.startsWith("application/problem+json"))
          problems.push(`4xx as ${type}: ${text.slice(0, 200)}`);
        const changed = unexplained(before, await snapshot(client));
        if (changed.length > 0)
          problems.push(`rejected with ${response.status} but wrote: ${changed.slice(0, 5).join("; ")}`);
      }
      if (problems.length > 0) {
        report.failures.push(`${what} → ${problems.join(" | ")}`);
        return options.collectAll === true;
      }
      return true;
    }),
    // No shrinking: every failing request is already recorded with what was sent.
    { numRuns: options.numRuns, ...(options.seed !== undefined && { seed: options.seed }), endOnFailure: true },
  );
  // A request that could not be made at all (a reset connection, a timeout) is a failure too.
  if (details.failed && report.failures.length === 0) {
    report.failures.push(
      `${String(details.errorInstance)} with ${JSON.stringify(details.counterexample)?.slice(0, 500)}`,
    );
  }
  return report;
}

/** A project with one of everything a route can address, for the fuzzer to aim at. */
export async function buildFuzzWorld(rt: RuntimeEndpoints, projectId: string): Promise<FuzzWorld> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${rt.apiUrl}/v1/projects/${projectId}${path}`, {
      method,
      headers: { Authorization: `Bearer ${rt.apiKey}`, "Content-Type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Json;
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const lobby = await call("POST", "/gatherings", { name: "Fuzz lobby", type: "lobby", maxMembers: 20 });
  for (const participantId of ["p1", "p2"]) await call("POST", `/gatherings/${lobby.id}/members`, { participantId });
  await call("PUT", "/participants/p1", { displayName: "Pat", email: "pat@example.com" });
  const invited = await call("POST", `/gatherings/${lobby.id}/invitations`, { participantIds: ["p1"] });
  const webhook = await call("POST", "/webhooks", { url: "http://127.0.0.1:9/hook", enabled: false });
  const other = await call("POST", "/gatherings", { name: "Fuzz session", type: "lobby" });
  const started = await call("POST", `/gatherings/${other.id}/start`, { autoStartSession: true, roomId: "room" });
  // A session with its bot in the room and a message, for the bot API and the transcript routes.
  const botKey = await mintApiKey(rt, "local", undefined, "bot");
  const session = await call("POST", "/sessions", { title: "Fuzz session", externalRoomId: "fuzz-room" });
  const asBot = async (path: string, body: unknown) => {
    const response = await fetch(`${rt.apiUrl}/v1/projects/${projectId}${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${botKey}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Json;
  };
  await asBot(`/sessions/${session.id}/bot`, { state: "in_room", commandId: session.bot.commandId });
  const message = await asBot(`/sessions/${session.id}/messages`, {
    id: "fuzz-m1",
    senderName: "Pat",
    content: "hello",
    timestamp: new Date().toISOString(),
  });
  const events = await call("GET", "/activity");
  const minted = await call("POST", "/tokens", { participantId: "p1", ttlSeconds: 3600 });
  return {
    projectId,
    ids: {
      projectId: [projectId],
      gatheringId: [lobby.id, other.id],
      participantId: ["p1", "p2", "p3"],
      invitationId: [invited.invitations[0].id],
      webhookId: [webhook.id],
      sessionId: [started.sessionId, session.id],
      messageId: [message.id, "msg_01aaaaaaaaaaaaaaaaaaaaaaaa"],
      eventId: events.items.length > 0 ? [events.items[0].id] : ["evt_01aaaaaaaaaaaaaaaaaaaaaaaa"],
      token: ["eyJ2IjoyfQ.AAAA", "x.y"],
      joinCode: [lobby.joinCode],
      pluginId: ["summary", "profanity", "no_such_plugin"],
      actionId: ["generate-minutes", "extract-action-items", "no-such-action"],
    },
    botKey,
    participantToken: String(minted.token),
  };
}
