import * as z from "../../kernel/zod.js";
import { EVENT_CATALOG, EVENT_TYPES, handlerNameFor } from "../../events/catalog.js";
import { EventEnvelopeSchema } from "../../kernel/envelope.js";
import { GATEWAY_RESPONSES, PROBLEM_CONTENT_TYPE } from "./gateway-responses.js";
import { PATH_PARAMS, ROUTES, type PathParamName, type RouteDefinition } from "./routes.js";

/**
 * The OpenAPI 3.1 document, generated from the same route table and zod schemas that validate requests,
 * so the document cannot disagree with the API. Schemas with a `.meta({ id })` become components; the
 * event catalog becomes the document's `webhooks` (what a webhook endpoint receives, one per event).
 * Everything below is derived from the route table: a route added there is documented without an edit here.
 */
const COMPONENT_REF = (id: string) => `#/components/schemas/${id}`;
const RESPONSE_REF = (id: string) => `#/components/responses/${id}`;
const HEADER_REF = (id: string) => `#/components/headers/${id}`;

/** `gathering.member.ready` → `GatheringMemberReadyEvent`: the component of an event's envelope. */
export const eventComponentId = (type: string) => handlerNameFor(type).slice(2) + "Event";

// Registered once, at import: each event's envelope with its `type` and typed `data` becomes a component.
const EVENT_SCHEMAS = Object.fromEntries(
  EVENT_TYPES.map((type) => [
    type,
    z.withMeta(z.extend(EventEnvelopeSchema, { type: z.literal(type), data: EVENT_CATALOG[type].data }), {
      id: eventComponentId(type),
      description: EVENT_CATALOG[type].description,
    }),
  ]),
) as Record<string, z.ZodMiniType>;

/** Tag descriptions; a route whose first path segment is not listed here gets a tag named after it. */
const TAGS: Record<string, { name: string; description: string }> = {
  gatherings: {
    name: "Gatherings",
    description: "Lobbies, appointments and open spaces: members, ready checks, invitations, live events.",
  },
  sessions: { name: "Sessions", description: "Transcribed sessions: messages, attendance, annotations, live events." },
  participants: { name: "Participants", description: "People of a project (name, email) members refer to." },
  webhooks: { name: "Webhooks", description: "Endpoints that receive every event (signed, Standard Webhooks)." },
  events: { name: "Webhooks", description: "" },
  plugins: { name: "Plugins", description: "Session plugins (profanity, sentiment, summary, action items)." },
  settings: { name: "Settings", description: "Per-project settings." },
  tokens: {
    name: "Participant tokens",
    description: "Short-lived signed tokens a game server mints for one participant's client.",
  },
  keys: { name: "Keys", description: "API keys: create (secret shown once), list, revoke, rotate." },
  activity: { name: "Activity", description: "The project's activity feed." },
  rsvp: { name: "RSVP", description: "Pages the accept/decline links in invitation emails open (no API key)." },
  "openapi.json": { name: "Meta", description: "This document." },
};
const BOT_TAG = {
  name: "Bot API",
  description:
    "What a meeting bot calls with its bot key. Bots receive commands on the bot command queue as the envelope " +
    "of `session.bot.requested`/`session.bot.released`; `data.command` is a `BotCommand`.",
};

function tagOf(route: RouteDefinition): string {
  if (route.credential === "bot") return BOT_TAG.name;
  const segments = route.path.split("/").filter((s) => s !== "" && s !== "v1");
  const first = segments[0] === "projects" ? segments[2] : segments[0];
  if (!first) return "Meta";
  return TAGS[first]?.name ?? first.charAt(0).toUpperCase() + first.slice(1);
}

function schemaRef(schema: z.ZodMiniType): Record<string, unknown> {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: COMPONENT_REF(id) };
  return z.toJSONSchema(schema, { unrepresentable: "any" }) as Record<string, unknown>;
}

/** A resource whose version is its ETag: the routes that honour If-Match, the commands, and GETs of them. */
const VERSIONED_PATHS = new Set(
  (ROUTES as readonly RouteDefinition[]).filter((r) => r.ifMatch || r.mutation === "aggregate").map((r) => r.path),
);
const hasEtag = (route: RouteDefinition) =>
  route.ifMatch === true ||
  route.mutation === "aggregate" ||
  (route.method === "GET" && VERSIONED_PATHS.has(route.path));

function responsesOf(route: RouteDefinition): Record<string, unknown> {
  const sse = route.handler === "sse";
  const responses: Record<string, unknown> = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => {
      const ok = Number(status) < 300;
      const content =
        sse && ok
          ? { "text/event-stream": { schema: { type: "string", description: "A stream of server-sent events" } } }
          : response.schema && {
              [Number(status) >= 400 ? PROBLEM_CONTENT_TYPE : "application/json"]: {
                schema: schemaRef(response.schema),
              },
            };
      return [
        status,
        {
          description: response.description,
          ...(ok && hasEtag(route) && { headers: { ETag: { $ref: HEADER_REF("ETag") } } }),
          ...(content && { content }),
        },
      ];
    }),
  );
  if (!route.public) {
    responses["401"] ??= {
      description: "Missing or invalid API key",
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: COMPONENT_REF("Problem") } } },
    };
    responses["429"] ??= { $ref: RESPONSE_REF("TooManyRequests") };
  }
  return responses;
}

function operation(route: RouteDefinition): Record<string, unknown> {
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => {
    const { $schema: _, ...schema } = z.toJSONSchema(PATH_PARAMS[m[1] as PathParamName], { io: "input" });
    return { name: m[1], in: "path", required: true, schema };
  });
  const queryParams = route.query
    ? Object.entries(route.query.shape).map(([name, schema]) => ({
        name,
        in: "query",
        required: !(schema as z.ZodMiniType).safeParse(undefined).success,
        schema: z.toJSONSchema(schema as z.ZodMiniType, { unrepresentable: "any", io: "input" }),
      }))
    : [];
  const lastEventId =
    route.handler === "sse"
      ? [
          {
            name: "Last-Event-ID",
            in: "header",
            required: false,
            description:
              "The `id:` of the last event received (a version): the stream resumes after it. Browsers' EventSource " +
              "sends it when reconnecting; `?after=` does the same for clients that cannot set headers.",
            schema: { type: "string", examples: ["7"] },
          },
        ]
      : [];
  const idempotency = route.mutation
    ? [
        {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description: "Retries with the same key return the first response; the effect happens once.",
          schema: { type: "string", maxLength: 255 },
        },
      ]
    : [];
  const ifMatch = route.ifMatch
    ? [
        {
          name: "If-Match",
          in: "header",
          required: false,
          description:
            "The version you last saw (the `ETag` of your last read or write); a stale version is answered with 412 " +
            "and nothing changes.",
          schema: { type: "string", examples: ['"7"'] },
        },
      ]
    : [];
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [tagOf(route)],
    ...(route.public && { security: [] }),
    ...(route.credential === "bot" && { security: [{ botKey: [] }] }),
    ...(route.credential === "any" && { security: [{ bearerAuth: [] }, { botKey: [] }] }),
    parameters: [...pathParams, ...queryParams, ...lastEventId, ...idempotency, ...ifMatch],
    ...(route.body && {
      requestBody: {
        required: !route.optionalBody,
        content: { "application/json": { schema: schemaRef(route.body) } },
      },
    }),
    responses: responsesOf(route),
  };
}

const WEBHOOK_HEADERS = [
  ["webhook-id", "The message id: the same on every retry of this event to this endpoint (dedupe on it)."],
  ["webhook-timestamp", "Unix seconds when this attempt was signed; reject old timestamps (replay protection)."],
  [
    "webhook-signature",
    "Space-separated `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` with each active secret " +
      "(two during a rotation); verify with any Standard Webhooks library.",
  ],
] as const;

/** The event catalog as OpenAPI 3.1 webhooks: what a webhook endpoint receives for each event. */
function webhooks(): Record<string, unknown> {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: handlerNameFor(type),
          summary: EVENT_CATALOG[type].description,
          description:
            `${EVENT_CATALOG[type].description} Delivered to every webhook endpoint subscribed to \`${type}\` ` +
            `(at least once, signed); a user function \`${handlerNameFor(type)}\` receives the same envelope.`,
          security: [],
          parameters: WEBHOOK_HEADERS.map(([name, description]) => ({
            name,
            in: "header",
            required: true,
            description,
            schema: { type: "string" },
          })),
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaRef(EVENT_SCHEMAS[type]!) } },
          },
          responses: {
            "200": { description: "Any 2xx: delivered. Anything else (or no answer in time) is retried later." },
          },
        },
      },
    ]),
  );
}

let cached: Record<string, unknown> | undefined;

function baseDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES as readonly RouteDefinition[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const components = z.toJSONSchema(z.globalRegistry, { uri: COMPONENT_REF, unrepresentable: "any" }) as {
    schemas: Record<string, unknown>;
  };
  const usedTags = new Set(
    Object.values(paths).flatMap((ops) => Object.values(ops).map((o) => (o as { tags: string[] }).tags[0]!)),
  );
  const tags = [
    ...new Map(
      [...Object.values(TAGS), BOT_TAG]
        .filter((t) => usedTags.has(t.name) && t.description !== "")
        .map((t) => [t.name, t] as const),
    ).values(),
    ...[...usedTags]
      .filter((name) => ![...Object.values(TAGS), BOT_TAG].some((t) => t.name === name))
      .map((name) => ({ name })),
  ];
  const throttled = GATEWAY_RESPONSES.THROTTLED;
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Cortex gatherings & sessions API",
      version: "1",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
      description:
        "Gatherings (lobbies, appointments, open spaces) and sessions, with live events.\n\n" +
        "**Versions and ETags.** A gathering or session carries a `version`; responses send it as `ETag` " +
        '(e.g. `"7"`). Send it back as `If-Match` on a change and a concurrent change is answered with 412 ' +
        "instead of being overwritten.\n\n" +
        "**Retries.** Changes take an `Idempotency-Key`: a retry with the same key returns the first answer. " +
        "A 429 (throttled) or 503 carries `Retry-After`; retry with backoff.\n\n" +
        "**Errors** are `application/problem+json` with a stable `code`.\n\n" +
        "**Events** are listed under *Webhooks*: the envelope every webhook endpoint, live stream and user " +
        "function receives.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }],
    tags,
    paths,
    webhooks: webhooks(),
    components: {
      schemas: components.schemas,
      responses: {
        TooManyRequests: {
          description: `${throttled.title}: the API's rate limit was exceeded (${throttled.detail})`,
          headers: { "Retry-After": { $ref: HEADER_REF("RetryAfter") } },
          content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: COMPONENT_REF("Problem") } } },
        },
      },
      headers: {
        ETag: {
          description: 'The version of the resource, quoted (e.g. `"7"`): send it as `If-Match` to change it safely.',
          schema: { type: "string" },
        },
        RetryAfter: {
          description: "Seconds to wait before retrying (when the gateway knows).",
          schema: { type: "integer", minimum: 0 },
        },
      },
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "A project or tenant API key" },
        botKey: {
          type: "http",
          scheme: "bearer",
          description: "A bot key (credential `bot`): only the bot API of sessions (tag `Bot API`).",
        },
      },
    },
  };
  return cached;
}

/**
 * The document, its `servers` naming the API's base URL as the caller reached it (on AWS the stage URL, e.g.
 * `https://abc.execute-api.eu-west-1.amazonaws.com/prod`; locally the API URL), so generated clients and
 * the docs page call the right place. Without one (in process), `/`.
 */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const doc = baseDocument();
  if (!serverUrl) return doc;
  return { ...doc, servers: [{ url: serverUrl.replace(/\/+$/, ""), description: "This deployment" }] };
}
