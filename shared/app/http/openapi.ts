import { z } from "zod";
import { PROBLEM_CONTENT_TYPE } from "./gateway-responses.js";
import { PATH_PARAMS, ROUTES, type PathParamName, type RouteDefinition } from "./routes.js";

/**
 * The OpenAPI 3.1 document, generated from the same route table and zod schemas that validate requests,
 * so the document cannot disagree with the API. Schemas with a `.meta({ id })` become components.
 */
const COMPONENT_REF = (id: string) => `#/components/schemas/${id}`;

function schemaRef(schema: z.ZodType): Record<string, unknown> {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: COMPONENT_REF(id) };
  return z.toJSONSchema(schema, { unrepresentable: "any" }) as Record<string, unknown>;
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
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: z.toJSONSchema(schema as z.ZodType, { unrepresentable: "any", io: "input" }),
      }))
    : [];
  const idempotency =
    route.method === "POST"
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
          description: "The version you last saw (its ETag); a stale version is answered with 412.",
          schema: { type: "string", examples: ['"7"'] },
        },
      ]
    : [];
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => [
      status,
      {
        description: response.description,
        ...(response.schema && {
          content: {
            [Number(status) >= 400 ? PROBLEM_CONTENT_TYPE : "application/json"]: { schema: schemaRef(response.schema) },
          },
        }),
      },
    ]),
  );
  if (!route.public) {
    responses["401"] ??= {
      description: "Missing or invalid API key",
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: COMPONENT_REF("Problem") } } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.public && { security: [] }),
    ...(route.credential === "bot" && { security: [{ botKey: [] }], tags: ["Bot API"] }),
    ...(route.credential === "any" && { security: [{ bearerAuth: [] }, { botKey: [] }] }),
    parameters: [...pathParams, ...queryParams, ...idempotency, ...ifMatch],
    ...(route.body && {
      requestBody: {
        required: !route.optionalBody,
        content: { "application/json": { schema: schemaRef(route.body) } },
      },
    }),
    responses,
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES as readonly RouteDefinition[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const components = z.toJSONSchema(z.globalRegistry, { uri: COMPONENT_REF, unrepresentable: "any" }) as {
    schemas: Record<string, unknown>;
  };
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Cortex gatherings & sessions API",
      version: "1",
      description: "Gatherings (lobbies, appointments, open spaces) and sessions, with live events.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "A project or tenant API key" },
        botKey: {
          type: "http",
          scheme: "bearer",
          description:
            "A bot key (credential `bot`): only the bot API of sessions (tag `Bot API`). Bots receive commands " +
            "on the bot command queue as the envelope of `session.bot.requested`/`session.bot.released`; " +
            "`data.command` is a `BotCommand`.",
        },
      },
    },
  };
  return cached;
}
