import { z } from "zod";
import { EventEnvelopeSchema } from "../events/envelope.js";
import { CreateGatheringBodySchema, GatheringSchema } from "../gatherings/model.js";

/**
 * The HTTP API, defined once: the CDK stack creates one API Gateway method per route (all behind the
 * authorizer unless `public`), the local server matches requests against the same table, the API
 * handler dispatches on `operationId`, and the OpenAPI document is generated from it.
 */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteDefinition {
  operationId: string;
  method: HttpMethod;
  /** API Gateway resource path with {params}. */
  path: string;
  summary: string;
  /** Served by which function (see FUNCTIONS in infra and local). */
  handler: "api";
  public?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });

const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(2048).optional(),
});

export const ActivityPageSchema = z
  .object({ items: z.array(EventEnvelopeSchema), nextCursor: z.string().optional() })
  .meta({ id: "ActivityPage" });

const notFound = { description: "Unknown resource (or not visible to this key)", schema: ProblemSchema };
const badRequest = { description: "Invalid request", schema: ProblemSchema };

export const ROUTES = [
  {
    operationId: "getOpenApi",
    method: "GET",
    path: "/v1/openapi.json",
    summary: "The OpenAPI 3.1 document of this API",
    handler: "api",
    public: true,
    responses: { 200: { description: "OpenAPI document" } },
  },
  {
    operationId: "createGathering",
    method: "POST",
    path: "/v1/projects/{projectId}/gatherings",
    summary: "Create a gathering (lobby, appointment or open)",
    handler: "api",
    body: CreateGatheringBodySchema,
    responses: {
      201: { description: "Created", schema: GatheringSchema },
      400: badRequest,
      422: { description: "Idempotency-Key reused with another body", schema: ProblemSchema },
    },
  },
  {
    operationId: "getGathering",
    method: "GET",
    path: "/v1/projects/{projectId}/gatherings/{gatheringId}",
    summary: "Get a gathering",
    handler: "api",
    responses: { 200: { description: "The gathering", schema: GatheringSchema }, 404: notFound },
  },
  {
    operationId: "listActivity",
    method: "GET",
    path: "/v1/projects/{projectId}/activity",
    summary: "The project's activity log: every delivered domain event, oldest first",
    handler: "api",
    query: PageQuerySchema,
    responses: { 200: { description: "A page of events", schema: ActivityPageSchema }, 400: badRequest },
  },
] as const satisfies readonly RouteDefinition[];

export type OperationId = (typeof ROUTES)[number]["operationId"];

/** Matches a concrete path against a route template; returns the path parameters or undefined. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split("/");
  const p = path.split("/");
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const segment = t[i]!;
    if (segment.startsWith("{") && segment.endsWith("}")) {
      if (p[i] === "") return undefined;
      params[segment.slice(1, -1)] = decodeURIComponent(p[i]!);
    } else if (segment !== p[i]) return undefined;
  }
  return params;
}
