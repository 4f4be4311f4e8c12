import type { APIGatewayProxyEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { baseUrlOf } from "../../shared/adapters/lambda/http.js";
import { eventComponentId, openApiDocument } from "../../shared/app/http/openapi.js";
import { ROUTES, type RouteDefinition } from "../../shared/app/http/routes.js";
import { EVENT_TYPES } from "../../shared/events/catalog.js";

const doc = openApiDocument() as any;
const routes = ROUTES as readonly RouteDefinition[];
const op = (route: RouteDefinition) => doc.paths[route.path][route.method.toLowerCase()];

describe("the OpenAPI document", () => {
  it("names the deployment it was fetched from in servers", () => {
    const url = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod";
    expect((openApiDocument(url) as any).servers).toEqual([{ url, description: "This deployment" }]);
    expect((openApiDocument(url + "/") as any).servers[0].url).toBe(url);
    expect(doc.servers).toEqual([{ url: "/" }]);
  });

  it("tags every operation, and every tag it uses is declared", () => {
    const declared = new Set(doc.tags.map((t: { name: string }) => t.name));
    for (const route of routes) {
      const tags = op(route).tags as string[];
      expect(tags, route.operationId).toHaveLength(1);
      expect(declared.has(tags[0]), `${route.operationId}: ${tags[0]}`).toBe(true);
    }
    const bot = routes.find((r) => r.credential === "bot")!;
    expect(op(bot).tags).toEqual(["Bot API"]);
    expect(op(routes.find((r) => r.operationId === "listGatherings")!).tags).toEqual(["Gatherings"]);
  });

  it("declares text/event-stream and Last-Event-ID on every live stream", () => {
    const streams = routes.filter((r) => r.handler === "sse");
    expect(streams.length).toBeGreaterThan(0);
    for (const route of streams) {
      expect(Object.keys(op(route).responses["200"].content), route.operationId).toEqual(["text/event-stream"]);
      const names = op(route).parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
      expect(names, route.operationId).toContain("header:Last-Event-ID");
    }
    for (const route of routes.filter((r) => r.handler !== "sse")) {
      expect(op(route).responses["200"]?.content?.["text/event-stream"], route.operationId).toBeUndefined();
    }
  });

  it("describes ETag on versioned responses, If-Match where honoured, and 429 with Retry-After", () => {
    const patch = op(routes.find((r) => r.operationId === "updateGathering")!);
    expect(patch.responses["200"].headers.ETag.$ref).toBe("#/components/headers/ETag");
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain("If-Match");
    const get = op(routes.find((r) => r.operationId === "getGathering")!);
    expect(get.responses["200"].headers.ETag).toBeDefined();
    expect(op(routes.find((r) => r.operationId === "listWebhooks")!).responses["200"].headers).toBeUndefined();
    for (const route of routes.filter((r) => !r.public)) {
      expect(op(route).responses["429"], route.operationId).toEqual({ $ref: "#/components/responses/TooManyRequests" });
    }
    expect(doc.components.responses.TooManyRequests.headers["Retry-After"]).toBeDefined();
    expect(doc.components.headers.ETag.schema).toEqual({ type: "string" });
  });

  it("lists every event of the catalog as a webhook with its typed payload", () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    const ready = doc.webhooks["gathering.member.ready"].post;
    expect(ready.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/GatheringMemberReadyEvent",
    });
    expect(ready.parameters.map((p: { name: string }) => p.name)).toEqual([
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
    ]);
    const payload = doc.components.schemas[eventComponentId("gathering.member.ready")];
    expect(payload.properties.type).toMatchObject({ const: "gathering.member.ready" });
    expect(payload.properties.data.properties.member).toEqual({ $ref: "#/components/schemas/Member" });
  });
});

describe("the API's base URL as a request reached it", () => {
  const event = (requestContext: Partial<APIGatewayProxyEvent["requestContext"]>, path = "/v1/openapi.json") =>
    ({ path, requestContext }) as APIGatewayProxyEvent;

  it("is the stage URL on the execute-api domain", () => {
    expect(
      baseUrlOf(event({ domainName: "abc.execute-api.eu-west-1.amazonaws.com", path: "/prod/v1/openapi.json" }), {
        "x-forwarded-proto": "https",
      }),
    ).toBe("https://abc.execute-api.eu-west-1.amazonaws.com/prod");
  });

  it("is the custom domain and its base path, and plain http only when the gateway says so", () => {
    expect(baseUrlOf(event({ domainName: "api.example.org", path: "/v1/openapi.json" }), {})).toBe(
      "https://api.example.org",
    );
    expect(
      baseUrlOf(event({ path: "/v1/openapi.json" }), { host: "127.0.0.1:3000", "x-forwarded-proto": "http" }),
    ).toBe("http://127.0.0.1:3000");
  });

  it("ignores a Host header that is not a host", () => {
    expect(baseUrlOf(event({ path: "/v1/openapi.json" }), { host: "evil.example/phish?" })).toBeUndefined();
  });
});
