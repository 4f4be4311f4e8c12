import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as s3assets from "aws-cdk-lib/aws-s3-assets";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Docs } from "../../infra/constructs/docs.js";
import { DOCS_SOURCES } from "../../local/dev/docs-sources.js";
import { lambdaContext } from "../../local/lambda.js";
import { DOCS_PAGE } from "../../shared/app/http/docs-page.js";
import { logicalId, synthesize, unacknowledgedFindings } from "./stack.js";

/**
 * The API reference on the deployed stage (infra/constructs/docs.ts): two keyless GET methods on the stage
 * backed by the `docs` function, whose asset carries the page's files, and whose role can write its logs and
 * nothing else. The stack is synthesized without bundling; the asset is built on a stack of its own.
 */
type Resource = { Type: string; Properties: Record<string, any> };

const { stack, template } = synthesize({}, "DocsStack", { bundle: false });
const resources = template.toJSON().Resources as Record<string, Resource>;
const docsFn = logicalId(stack.docs.handler);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

function resourcePath(id: string): string {
  const resource = resources[id]!.Properties;
  const parent = resource.ParentId as { Ref?: string };
  return `${parent.Ref ? resourcePath(parent.Ref) : ""}/${resource.PathPart}`;
}

describe("the API reference on the stage", () => {
  it("GET /docs and GET /docs/{file} reach the docs function without an authorizer, and nothing else does", () => {
    const onDocs = ofType("AWS::ApiGateway::Method")
      .map(([, m]) => m.Properties)
      .filter((m) => JSON.stringify(m.Integration?.Uri ?? "").includes(docsFn));
    expect(onDocs.map((m) => `${m.HttpMethod} ${resourcePath(m.ResourceId.Ref)}`).sort()).toEqual([
      "GET /docs",
      "GET /docs/{file}",
    ]);
    for (const method of onDocs) {
      expect(method.AuthorizationType).toBe("NONE");
      expect(method.AuthorizerId).toBeUndefined();
      expect(method.ApiKeyRequired ?? false).toBe(false);
      expect(method.Integration).toMatchObject({ Type: "AWS_PROXY", IntegrationHttpMethod: "POST" });
    }
    // No other method on the docs resources (no CORS configured here, so not even OPTIONS).
    const docsResources = ofType("AWS::ApiGateway::Resource")
      .filter(([id]) => resourcePath(id).startsWith("/docs"))
      .map(([id]) => id);
    const onResources = ofType("AWS::ApiGateway::Method").filter(([, m]) =>
      docsResources.includes(m.Properties.ResourceId?.Ref),
    );
    expect(onResources).toHaveLength(2);
  });

  it("the function's role may write its own logs and traces, nothing else, and holds no managed policy", () => {
    const role = ofType("AWS::IAM::Role").find(([id]) => id === resources[docsFn]!.Properties.Role["Fn::GetAtt"][0]);
    expect(role).toBeDefined();
    expect(role![1].Properties.ManagedPolicyArns).toBeUndefined();
    expect(role![1].Properties.Policies).toBeUndefined();
    const statements = ofType("AWS::IAM::Policy")
      .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role![0]))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      ["logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"].sort(),
    );
  });

  it("is the catalog's function with the base environment only", () => {
    const props = resources[docsFn]!.Properties;
    expect(props).toMatchObject({ Timeout: 10, MemorySize: 256, Runtime: "nodejs24.x", Architectures: ["arm64"] });
    expect(Object.keys(props.Environment.Variables).sort()).toEqual(
      ["EVENT_REPLAY_WINDOW_DAYS", "EVENT_SOURCE", "LOG_LEVEL", "NODE_OPTIONS", "TABLE_NAME"].sort(),
    );
  });

  it("leaves no cdk-nag finding unacknowledged, with CORS preflights on its resources too", () => {
    expect(unacknowledgedFindings(stack).filter((f) => /\/Docs\/|\/docs\b/.test(f))).toEqual([]);
    const cors = synthesize({ corsAllowedOrigins: ["https://game.example"] }, "DocsCors", { bundle: false });
    const page = cors.stack.api.restApi.root.getResource("docs")!;
    const preflights = [page, page.getResource("{file}")!].map((r) => r.node.tryFindChild("OPTIONS"));
    expect(preflights.every((m) => m instanceof apigw.Method)).toBe(true);
    expect(unacknowledgedFindings(cors.stack).filter((f) => /\/Docs\/|\/docs\b/.test(f))).toEqual([]);
  });

  it("the stack outputs the page's address under the stage", () => {
    expect(JSON.stringify(template.toJSON().Outputs.DocsUrl.Value)).toContain("docs/");
  });
});

describe("the docs function's asset", () => {
  // Bundled for real, on a stack of its own (bundling the whole stack takes minutes).
  const app = new App();
  const own = new Stack(app, "DocsAsset");
  const restApi = new apigw.RestApi(own, "Api", { deploy: false });
  const docs = new Docs(own, "Docs", {
    restApi,
    environment: { tableName: "t", eventSource: "cortex", replayWindowDays: "7", logLevel: "info" },
  });
  const asset = docs.handler.node.findAll().find((c): c is s3assets.Asset => c instanceof s3assets.Asset)!;
  const dir = resolve(app.outdir, asset.assetPath);

  beforeEach(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = "true";
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it("carries the bundle, Swagger UI, the page and the OpenAPI document as plain files", () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["index.mjs", "index.mjs.map", ...Object.keys(DOCS_PAGE)].sort());
    for (const [name, source] of Object.entries(DOCS_SOURCES)) {
      expect(readFileSync(join(dir, name)).equals(readFileSync(source)), name).toBe(true);
    }
    const document = JSON.parse(readFileSync(join(dir, "openapi.json"), "utf8"));
    expect(document.openapi).toBe("3.1.0");
    expect(document.paths["/v1/projects/{projectId}/gatherings"]).toBeDefined();
  });

  it("its own bundle stays small (≤ 150 KB)", () => {
    expect(readFileSync(join(dir, "index.mjs")).length).toBeLessThanOrEqual(150 * 1024);
  });

  it("its bundle serves the files beside it, the document naming the stage", async () => {
    const { handler } = (await import(pathToFileURL(join(dir, "index.mjs")).href)) as {
      handler: (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>;
    };
    const host = "abc123.execute-api.eu-west-1.amazonaws.com";
    const get = (file: string) =>
      handler(
        {
          resource: "/docs/{file}",
          path: `/docs/${file}`,
          httpMethod: "GET",
          headers: { Host: host },
          pathParameters: { file },
          requestContext: { domainName: host, path: `/live/docs/${file}`, stage: "live", requestId: "r" },
        } as unknown as APIGatewayProxyEvent,
        lambdaContext({ functionName: "docs", timeoutSeconds: 10 }),
      );
    const css = await get("swagger-ui.css");
    expect(css.statusCode).toBe(200);
    expect(css.body).toBe(readFileSync(DOCS_SOURCES["swagger-ui.css"], "utf8"));
    const document = JSON.parse((await get("openapi.json")).body);
    expect(document.servers[0].url).toBe(`https://${host}/live`);
    expect((await get("index.mjs")).statusCode).toBe(404);
  });
});
