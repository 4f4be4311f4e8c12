import { API_STAGE_NAME, AUTHORIZER_CACHE_SECONDS } from "../../shared/kernel/config.js";
import { Duration, Validations } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as iam from "aws-cdk-lib/aws-iam";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import {
  GATEWAY_RESPONSES,
  gatewayProblemBody,
  gatewayResponseHeaders,
  type GatewayResponseDefinition,
  PROBLEM_CONTENT_TYPE,
  type GatewayResponseType,
} from "../../shared/app/http/gateway-responses.js";
import { ROUTES, routeMethods } from "../../shared/app/http/routes.js";
import {
  CORS_ALLOW_HEADERS,
  CORS_ALLOW_METHODS,
  CORS_EXPOSE_HEADERS,
  CORS_MAX_AGE_SECONDS,
  parseAllowedOrigins,
} from "../../shared/app/http/cors.js";
import type { Data } from "./data.js";
import { createNodeFunction, type BaseEnvironment } from "./node-function.js";
import { WEBHOOK_TARGET_POLICY, type Webhooks } from "./webhooks.js";
import type { Sessions } from "./sessions.js";

export interface ApiThrottle {
  /** Steady-state requests per second across the stage. */
  rateLimit: number;
  burstLimit: number;
}

export interface ApiProps {
  data: Data;
  environment: BaseEnvironment;
  /** Endpoint management validates target URLs; replay queues deliveries. */
  webhooks: Webhooks;
  /** Debug audio: messages store it, downloads presign it, deletions remove it. */
  sessions: Sessions;
  /** @default "live" (routes carry their own /v1 prefix) */
  stageName?: string;
  /** @default 100 requests/s, bursts of 200 */
  throttle?: ApiThrottle;
  /** How long API Gateway reuses an authorizer answer for the same key. @default 300 s */
  authorizerCacheTtl?: Duration;
  /**
   * Browser origins allowed by CORS (`-c corsAllowedOrigins=https://a.example,https://b.example`, or `*`).
   * With any, every resource answers OPTIONS (a mock integration, no key) and gateway responses carry the
   * header. A preflight carries no key, so it can only use this list; a project's own `allowedOrigins`
   * setting applies to actual responses (the handler adds them). @default none: no CORS
   */
  corsAllowedOrigins?: string[];
  /**
   * The SSE routes' integration (e.g. the live host's, infra/constructs/live.ts), given each route's path
   * and method; its path parameters are declared on the method. @default the streaming SSE function
   */
  sseIntegration?: (path: string, httpMethod: string) => apigw.Integration;
}

/**
 * The REST API: one method per `ROUTES` entry, every one a proxy integration of the API function and,
 * unless the route is public, behind the API-key authorizer. Gateway-made errors are problem+json.
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly handler: NodejsFunction;
  /** The SSE function: REST API response streaming, up to 15 minutes per connection. */
  readonly streamHandler: NodejsFunction;
  readonly authorizerFunction: NodejsFunction;
  readonly authorizer: apigw.TokenAuthorizer;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const corsOrigins = parseAllowedOrigins((props.corsAllowedOrigins ?? []).join(","));

    this.handler = createNodeFunction(this, "Handler", {
      entry: "http-api",
      description: "The HTTP API (every route in shared/app/http/routes.ts)",
      environment: {
        ...props.environment,
        ...WEBHOOK_TARGET_POLICY,
        webhookQueueUrl: props.webhooks.deliveries.queueUrl,
        debugAudioBucket: props.sessions.debugAudio.bucketName,
        s3ForcePathStyle: "false",
        corsAllowedOrigins: corsOrigins.join(","),
      },
    });
    props.data.grantReadWrite(this.handler);
    props.webhooks.grantEnqueue(this.handler);
    props.sessions.grantDebugAudio(this.handler);

    this.streamHandler = createNodeFunction(this, "StreamHandler", {
      entry: "sse",
      description: "Server-sent events (routes with handler: sse): tails an aggregate's event items",
      environment: { ...props.environment, corsAllowedOrigins: corsOrigins.join(",") },
    });
    props.data.grantRead(this.streamHandler);

    this.authorizerFunction = createNodeFunction(this, "AuthorizerFunction", {
      entry: "authorizer",
      description: "Resolves 'Authorization: Bearer <api key>' to tenant and project",
      environment: props.environment,
    });
    props.data.grantRead(this.authorizerFunction);
    // A key's "last used" (one conditional put per key every few minutes, api-keys.ts touchLastUsed): only
    // on the keys' lookup items, whose partition keys all start APIKEY#.
    this.authorizerFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:PutItem"],
        resources: [props.data.table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["APIKEY#*"] } },
      }),
    );

    this.authorizer = new apigw.TokenAuthorizer(this, "Authorizer", {
      handler: this.authorizerFunction,
      identitySource: apigw.IdentitySource.header("Authorization"),
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(AUTHORIZER_CACHE_SECONDS),
    });

    // Who called what: kept (until retention expires) even if the stack is deleted.
    const accessLogs = new logs.LogGroup(this, "AccessLogs", { retention: logs.RetentionDays.ONE_MONTH });
    const throttle = props.throttle ?? { rateLimit: 100, burstLimit: 200 };

    this.restApi = new apigw.RestApi(this, "RestApi", {
      description: "Gatherings & sessions API",
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The CloudWatch role is an account-wide setting of API Gateway; a stack must not own it.
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName ?? API_STAGE_NAME,
        tracingEnabled: true,
        metricsEnabled: true,
        // Stage-wide throttling (methodSettings */*), below the account quota other APIs share.
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
      },
      // Preflights on every resource, answered by API Gateway (CDK echoes a listed origin, else the first).
      ...(corsOrigins.length > 0 && {
        defaultCorsPreflightOptions: {
          allowOrigins: corsOrigins.includes("*") ? apigw.Cors.ALL_ORIGINS : corsOrigins,
          allowMethods: CORS_ALLOW_METHODS,
          allowHeaders: CORS_ALLOW_HEADERS,
          exposeHeaders: CORS_EXPOSE_HEADERS,
          maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
          statusCode: 204,
        },
      }),
    });

    // One invoke permission per function for this API (its execute-api ARN), not one per method: per-method
    // permissions were 2 resources per route (~105 with CORS) and pushed the stack past CloudFormation's 500.
    const integrations = {
      api: new apigw.LambdaIntegration(this.handler, { proxy: true, scopePermissionToMethod: false }),
      sse: new apigw.LambdaIntegration(this.streamHandler, {
        proxy: true,
        scopePermissionToMethod: false,
        responseTransferMode: apigw.ResponseTransferMode.STREAM,
        timeout: Duration.minutes(15),
      }),
    };
    for (const [route, httpMethod] of ROUTES.flatMap((r) => routeMethods(r).map((m) => [r, m] as const))) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const isPublic = "public" in route && route.public === true;
      const external = route.handler === "sse" ? props.sseIntegration : undefined;
      const method = resource.addMethod(httpMethod, external?.(route.path, httpMethod) ?? integrations[route.handler], {
        operationName: httpMethod === route.method ? route.operationId : `${route.operationId}Head`,
        ...(external && {
          requestParameters: Object.fromEntries(
            [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [`method.request.path.${m[1]}`, true]),
          ),
        }),
        ...(isPublic
          ? { authorizationType: apigw.AuthorizationType.NONE }
          : { authorizationType: apigw.AuthorizationType.CUSTOM, authorizer: this.authorizer }),
      });
      Validations.of(method).acknowledge({
        id: "AwsSolutions-COG4",
        reason:
          "Clients authenticate with per-project API keys (DESIGN.md §2.7), not Cognito user-pool tokens; the Lambda " +
          "authorizer resolves the hashed key.",
      });
      if (isPublic) {
        Validations.of(method).acknowledge({
          id: "AwsSolutions-APIG4",
          reason: `${route.operationId} is public by design (shared/app/http/routes.ts marks it public: true).`,
        });
      }
    }

    // Preflights carry no key by the CORS standard (the browser sends no Authorization on OPTIONS).
    for (const method of this.restApi.methods.filter((m) => m.httpMethod === "OPTIONS")) {
      Validations.of(method).acknowledge(
        {
          id: "AwsSolutions-APIG4",
          reason: "A CORS preflight (OPTIONS, a mock integration) carries no credentials by the standard.",
        },
        { id: "AwsSolutions-COG4", reason: "A CORS preflight (OPTIONS) carries no credentials by the standard." },
      );
    }

    for (const type of Object.keys(GATEWAY_RESPONSES) as GatewayResponseType[]) {
      const status: number | undefined = (GATEWAY_RESPONSES[type] as GatewayResponseDefinition).status;
      this.restApi.addGatewayResponse(`Response-${type}`, {
        type: apigw.ResponseType.of(type),
        ...(status !== undefined && { statusCode: String(status) }),
        responseHeaders: {
          "Content-Type": `'${PROBLEM_CONTENT_TYPE}'`,
          // Static: a gateway response cannot choose among several origins; it names the first (or *).
          ...(corsOrigins.length > 0 && {
            "Access-Control-Allow-Origin": `'${corsOrigins.includes("*") ? "*" : corsOrigins[0]}'`,
            "Access-Control-Expose-Headers": `'${CORS_EXPOSE_HEADERS.join(", ")}'`,
            ...(corsOrigins.length > 1 && !corsOrigins.includes("*") && { Vary: "'Origin'" }),
          }),
          ...Object.fromEntries(Object.entries(gatewayResponseHeaders(type)).map(([k, v]) => [k, `'${v}'`])),
        },
        templates: { "application/json": JSON.stringify(gatewayProblemBody(type)) },
      });
    }

    Validations.of(this.restApi).acknowledge(
      {
        id: "AwsSolutions-APIG3",
        reason:
          "A WAF web ACL (and its rules and cost) is the deployer's choice per account; associate one with the stage " +
          "if the API is exposed beyond trusted clients. Stage throttling and the authorizer are in place regardless.",
      },
      {
        id: "AwsSolutions-APIG2",
        reason:
          "Requests are validated by the handler's zod schemas (the ones the OpenAPI document is generated from), " +
          "which answer problem+json with field paths, identically on AWS and on the local server. A gateway " +
          "validator would need a second copy of the schemas and would answer in another format.",
      },
      {
        id: "AwsSolutions-APIG6",
        reason:
          "Execution logging needs API Gateway's account-wide CloudWatch role, which this stack deliberately does not " +
          "own; JSON access logs (with authorizer and integration errors) are enabled on the stage.",
      },
    );
  }

  /** The stage URL, ending with '/'. */
  get url(): string {
    return this.restApi.url;
  }
}

function accessLogFormat(): apigw.AccessLogFormat {
  const f = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: f.contextRequestId(),
      extendedRequestId: f.contextExtendedRequestId(),
      requestTime: f.contextRequestTime(),
      ip: f.contextIdentitySourceIp(),
      method: f.contextHttpMethod(),
      resourcePath: f.contextResourcePath(),
      path: f.contextPath(),
      protocol: f.contextProtocol(),
      status: f.contextStatus(),
      responseLength: f.contextResponseLength(),
      responseLatency: f.contextResponseLatency(),
      integrationLatency: f.contextIntegrationLatency(),
      integrationStatus: f.contextIntegrationStatus(),
      integrationError: f.contextIntegrationErrorMessage(),
      errorType: f.contextErrorResponseType(),
      errorMessage: f.contextErrorMessageString(),
      principalId: f.contextAuthorizerPrincipalId(),
      authorizerError: f.contextAuthorizerError(),
      xrayTraceId: f.contextXrayTraceId(),
    }),
  );
}
