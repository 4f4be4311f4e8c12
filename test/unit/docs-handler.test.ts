import { readFile } from "node:fs/promises";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { docsHandler, type ReadDocsFile } from "../../shared/adapters/lambda/docs.js";
import { lambdaContext } from "../../local/lambda.js";
import { DOCS_SOURCES } from "../../local/dev/docs-sources.js";
import { DOCS_PAGE, type DocsFileName } from "../../shared/app/http/docs-page.js";
import { openApiDocument } from "../../shared/app/http/openapi.js";

/**
 * The docs function (functions/docs.ts) as API Gateway invokes it for `GET /docs` and `GET /docs/{file}` on
 * the execute-api domain, reading the files the stack copies next to its bundle (here from where they come
 * from). test/infra/docs.test.ts runs the deployed asset's own bundle against its own folder.
 */
const STAGE_HOST = "abc123.execute-api.eu-west-1.amazonaws.com";

let reads: DocsFileName[];
const read: ReadDocsFile = async (name) => {
  reads.push(name);
  return name === "openapi.json"
    ? Buffer.from(JSON.stringify(openApiDocument()))
    : readFile(DOCS_SOURCES[name as keyof typeof DOCS_SOURCES]);
};

beforeEach(() => {
  reads = [];
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

/** `file`: the {file} path parameter as API Gateway decodes it; undefined for the /docs resource. */
function event(
  file: string | undefined,
  options: { method?: string; trailingSlash?: boolean; headers?: Record<string, string> } = {},
): APIGatewayProxyEvent {
  const path = file === undefined ? `/docs${options.trailingSlash ? "/" : ""}` : `/docs/${encodeURIComponent(file)}`;
  return {
    resource: file === undefined ? "/docs" : "/docs/{file}",
    path,
    httpMethod: options.method ?? "GET",
    headers: { Host: STAGE_HOST, "X-Forwarded-Proto": "https", ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: file === undefined ? null : { file },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      domainName: STAGE_HOST,
      path: `/live${path}`,
      stage: "live",
      httpMethod: options.method ?? "GET",
      requestId: "req-1",
    } as APIGatewayProxyEvent["requestContext"],
  };
}

async function invoke(
  e: APIGatewayProxyEvent,
  handler = docsHandler(read),
): Promise<APIGatewayProxyResult & { headers: Record<string, string> }> {
  return (await handler(e, lambdaContext({ functionName: "docs", timeoutSeconds: 10 }))) as never;
}

describe("the docs function", () => {
  it("serves every file of the page with its content type, cache policy and an ETag", async () => {
    const handler = docsHandler(read);
    for (const [name, { type }] of Object.entries(DOCS_PAGE)) {
      const response = await invoke(event(name), handler);
      expect({ name, status: response.statusCode, type: response.headers["Content-Type"] }).toEqual({
        name,
        status: 200,
        type,
      });
      expect(response.headers.ETag).toMatch(/^"[\w-]{22}"$/);
      expect(response.headers["X-Content-Type-Options"]).toBe("nosniff");
      expect(response.isBase64Encoded ?? false).toBe(false);
    }
    expect((await invoke(event("swagger-ui-bundle.js"), handler)).headers["Cache-Control"]).toBe(
      "public, max-age=3600",
    );
    expect((await invoke(event("index.html"), handler)).headers["Cache-Control"]).toBe("no-cache");
    expect((await invoke(event("swagger-ui.css"), handler)).body).toBe(
      await readFile(DOCS_SOURCES["swagger-ui.css"], "utf8"),
    );
    // Read once per container, however often served.
    expect(reads.filter((n) => n === "swagger-ui.css")).toHaveLength(1);
  });

  it("serves the page at /docs/ and sends /docs there, relative to the stage", async () => {
    const page = await invoke(event(undefined, { trailingSlash: true }));
    expect(page.statusCode).toBe(200);
    expect(page.headers["Content-Type"]).toBe("text/html; charset=utf-8");
    expect(page.body).toContain('<meta name="openapi-url" content="./openapi.json" />');
    expect(page.body).toContain('src="./swagger-ui-bundle.js"');

    const bare = await invoke(event(undefined));
    expect(bare.statusCode).toBe(302);
    expect(new URL(bare.headers.Location!, `https://${STAGE_HOST}/live/docs`).href).toBe(
      `https://${STAGE_HOST}/live/docs/`,
    );
  });

  it("the OpenAPI document's servers name the stage URL the page was reached at", async () => {
    const response = await invoke(event("openapi.json"));
    const document = JSON.parse(response.body);
    expect(document.servers).toEqual([{ url: `https://${STAGE_HOST}/live`, description: "This deployment" }]);
    expect(document.paths["/v1/projects/{projectId}/gatherings"]).toBeDefined();
    expect(document.webhooks["gathering.member.ready"]).toBeDefined();

    // A custom domain with a base path: the prefix is what precedes the route.
    const custom = event("openapi.json");
    custom.requestContext.domainName = "api.example.org";
    custom.requestContext.path = "/cortex/docs/openapi.json";
    expect(JSON.parse((await invoke(custom)).body).servers[0].url).toBe("https://api.example.org/cortex");
  });

  it("answers 304 to a revalidation with the current ETag, and the file to a stale one", async () => {
    const handler = docsHandler(read);
    const first = await invoke(event("docs.css"), handler);
    const again = await invoke(event("docs.css", { headers: { "If-None-Match": first.headers.ETag! } }), handler);
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers.ETag).toBe(first.headers.ETag);
    const stale = await invoke(event("docs.css", { headers: { "If-None-Match": '"older"' } }), handler);
    expect(stale.statusCode).toBe(200);
  });

  it.each([
    "nope.js",
    "index.mjs",
    "index.mjs.map",
    "package.json",
    "../index.html",
    "..%2Findex.html",
    "../../../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2findex.mjs",
    "./index.html",
    "INDEX.HTML",
    "constructor",
    "__proto__",
    "hasOwnProperty",
    "",
  ])("answers 404 problem+json for %j and reads nothing", async (file) => {
    const response = await invoke(event(file));
    expect(response.statusCode).toBe(404);
    expect(response.headers["Content-Type"]).toBe("application/problem+json");
    expect(JSON.parse(response.body)).toMatchObject({ status: 404, code: "not_found" });
    expect(reads).toEqual([]);
  });

  it.each(["POST", "PUT", "DELETE", "HEAD"])("answers %s with 405 and Allow: GET, reading nothing", async (method) => {
    const response = await invoke(event("index.html", { method }));
    expect(response.statusCode).toBe(405);
    expect(response.headers.Allow).toBe("GET");
    expect(JSON.parse(response.body)).toMatchObject({ status: 405, code: "method_not_allowed" });
    expect(reads).toEqual([]);
  });

  it("a file that cannot be read fails the invocation and is read again on the next request", async () => {
    let failing = true;
    const handler = docsHandler(async (name) => {
      if (failing) throw new Error("EIO");
      return read(name);
    });
    await expect(invoke(event("docs.css"), handler)).rejects.toThrow("EIO");
    failing = false;
    expect((await invoke(event("docs.css"), handler)).statusCode).toBe(200);
  });
});
