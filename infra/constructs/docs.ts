import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validations } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { Construct } from "constructs";
import { DOCS_SOURCES } from "../../local/dev/docs-sources.js";
import { DOCS_OPENAPI } from "../../shared/app/http/docs-page.js";
import { openApiDocument } from "../../shared/app/http/openapi.js";
import { createNodeFunction, type BaseEnvironment } from "./node-function.js";

export interface DocsProps {
  /** The API the page documents and is served by (under its stage, beside /v1). */
  restApi: apigw.RestApi;
  environment: BaseEnvironment;
}

/**
 * The API reference on the deployed stage: `GET /docs` and `GET /docs/{file}`, without an API key, answered
 * by one small function (functions/docs.ts) whose asset carries the page's files (DOCS_PAGE: Swagger UI from
 * swagger-ui-dist, the page, and the OpenAPI document generated at synth) next to its `index.mjs`. The
 * function reads only those files: its role holds nothing but its log group (and X-Ray, as every function).
 */
export class Docs extends Construct {
  readonly handler: NodejsFunction;
  /** The methods serving the page (GET only). */
  readonly methods: apigw.Method[];

  constructor(scope: Construct, id: string, props: DocsProps) {
    super(scope, id);
    // The document as `/v1/openapi.json` answers it; the function sets `servers` to the URL it is reached at.
    const generated = join(mkdtempSync(join(tmpdir(), "cortex-docs-")), DOCS_OPENAPI);
    writeFileSync(generated, JSON.stringify(openApiDocument()));

    this.handler = createNodeFunction(this, "Handler", {
      entry: "docs",
      description: "The API reference page at /docs (Swagger UI and the OpenAPI document, no API key)",
      environment: props.environment,
      assetFiles: { ...DOCS_SOURCES, [DOCS_OPENAPI]: generated },
    });

    // One invoke permission for this API, as the API functions have (infra/constructs/api.ts).
    const integration = new apigw.LambdaIntegration(this.handler, { proxy: true, scopePermissionToMethod: false });
    const page = props.restApi.root.addResource("docs");
    const file = page.addResource("{file}");
    this.methods = [
      page.addMethod("GET", integration, {
        operationName: "getDocsPage",
        authorizationType: apigw.AuthorizationType.NONE,
      }),
      file.addMethod("GET", integration, {
        operationName: "getDocsFile",
        authorizationType: apigw.AuthorizationType.NONE,
        requestParameters: { "method.request.path.file": true },
      }),
    ];
    for (const method of this.methods) {
      Validations.of(method).acknowledge(
        {
          id: "AwsSolutions-APIG4",
          reason:
            "The API reference is public by design: static documentation of the API's shape (no data), readable " +
            "before a key exists. Only the page's allow-listed files are served.",
        },
        { id: "AwsSolutions-COG4", reason: "A public documentation page: no caller identity is needed." },
      );
    }
    // With CORS configured, each resource also answers preflights (a keyless mock integration, as elsewhere).
    for (const resource of [page, file]) {
      const preflight = resource.node.tryFindChild("OPTIONS");
      if (!preflight) continue;
      Validations.of(preflight).acknowledge(
        {
          id: "AwsSolutions-APIG4",
          reason: "A CORS preflight (OPTIONS, a mock integration) carries no credentials by the standard.",
        },
        { id: "AwsSolutions-COG4", reason: "A CORS preflight (OPTIONS) carries no credentials by the standard." },
      );
    }
  }
}
