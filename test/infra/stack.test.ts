import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { EVENT_SOURCE } from "../../shared/events/envelope.js";
import { CONSUMERS, RULES } from "../../shared/events/rules.js";
import {
  GATEWAY_RESPONSES,
  gatewayProblemBody,
  PROBLEM_CONTENT_TYPE,
  type GatewayResponseDefinition,
} from "../../shared/http/gateway-responses.js";
import { ROUTES } from "../../shared/http/routes.js";
import { ENV } from "../../shared/platform/config.js";
import { STREAM_FILTER_PATTERN, TABLE } from "../../shared/store/table.js";
import { logicalId, synthesize, unacknowledgedFindings } from "./stack.js";

// Template JSON is walked freely here; the assertions themselves pin its shape.

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

const { app, stack, template } = synthesize();
const resources = template.toJSON().Resources as Record<string, Resource>;

function ofType(type: string): Array<[string, Resource]> {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}
function only(type: string): [string, Resource] {
  const found = ofType(type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0]!;
}
function actions(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
/** Every statement of every policy attached to the role with this logical id. */
function statementsOfRole(roleId: string): Statement[] {
  return ofType("AWS::IAM::Policy")
    .filter(([, p]) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}
function roleOf(functionId: string): string {
  return resources[functionId]!.Properties.Role["Fn::GetAtt"][0] as string;
}
const getAtt = (id: string, attribute = "Arn") => ({ "Fn::GetAtt": [id, attribute] });

describe("table", () => {
  const [, table] = only("AWS::DynamoDB::Table");

  it("has the keys, stream, TTL and indexes of shared/store/table.ts", () => {
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
      { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
    ]);
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: "NEW_AND_OLD_IMAGES" });
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: "expiresAt", Enabled: true });
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      TABLE.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: "HASH" },
          { AttributeName: index.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      })),
    );
  });

  it("is on-demand, point-in-time recoverable, and retained when the stack goes", () => {
    expect(table.Properties.BillingMode).toBe("PAY_PER_REQUEST");
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe("Retain");
  });

  it("is deletion-protected unless the deployer turns it off", () => {
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    const unprotected = synthesize({ deletionProtection: false }, "Unprotected", { bundle: false });
    unprotected.template.hasResourceProperties("AWS::DynamoDB::Table", { DeletionProtectionEnabled: false });
  });
});

describe("stream publisher", () => {
  const publisherId = logicalId(stack.events.publisher);
  const [, mapping] = only("AWS::Lambda::EventSourceMapping");

  it("reads the table stream from the start, reporting partial batch failures and bisecting failed batches", () => {
    expect(mapping.Properties.EventSourceArn).toEqual(getAtt(logicalId(stack.data.table), "StreamArn"));
    expect(mapping.Properties.FunctionName).toEqual({ Ref: publisherId });
    expect(mapping.Properties.StartingPosition).toBe("TRIM_HORIZON");
    expect(mapping.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(mapping.Properties.BisectBatchOnFunctionError).toBe(true);
    expect(mapping.Properties.ParallelizationFactor).toBe(1);
  });

  it("hears only what STREAM_FILTER_PATTERN lets through", () => {
    expect(mapping.Properties.FilterCriteria).toEqual({
      Filters: [{ Pattern: JSON.stringify(STREAM_FILTER_PATTERN) }],
    });
  });

  it("gives up on a record after bounded retries and age, into an SQS queue", () => {
    const retries = mapping.Properties.MaximumRetryAttempts as number;
    const age = mapping.Properties.MaximumRecordAgeInSeconds as number;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(10);
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThanOrEqual(24 * 3600);
    const destination = mapping.Properties.DestinationConfig.OnFailure.Destination;
    expect(destination).toEqual(getAtt(logicalId(stack.events.publisherFailures)));
    expect(resources[logicalId(stack.events.publisherFailures)]!.Type).toBe("AWS::SQS::Queue");
  });

  it("may put events on the bus and nowhere else", () => {
    const putEvents = ofType("AWS::IAM::Policy")
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => actions(s).some((a) => a.startsWith("events:")));
    expect(putEvents).toEqual([
      { Action: "events:PutEvents", Effect: "Allow", Resource: getAtt(logicalId(stack.events.bus)) },
    ]);
    expect(statementsOfRole(roleOf(publisherId))).toContainEqual(putEvents[0]);
  });
});

describe("event bus", () => {
  const [busId] = only("AWS::Events::EventBus");

  it("archives every event of this backend for replay", () => {
    const [, archive] = only("AWS::Events::Archive");
    expect(archive.Properties.SourceArn).toEqual(getAtt(busId));
    expect(archive.Properties.EventPattern).toEqual({ source: [EVENT_SOURCE] });
    expect(archive.Properties.RetentionDays).toBeGreaterThan(0);
  });

  it("has one rule per RULES entry, with the shared pattern, on the custom bus", () => {
    const rules = ofType("AWS::Events::Rule").map(([, r]) => r.Properties);
    expect(rules).toHaveLength(RULES.length);
    for (const rule of RULES) {
      const deployed = rules.filter((r) => JSON.stringify(r.EventPattern) === JSON.stringify(rule.pattern));
      expect(deployed, `rule ${rule.id}`).toHaveLength(1);
      expect(deployed[0]!.EventBusName).toEqual({ Ref: busId });
      expect(deployed[0]!.EventPattern).toEqual(rule.pattern);
    }
  });

  it("delivers each rule to its consumer with the consumer's retry policy and a dead-letter queue", () => {
    const rules = ofType("AWS::Events::Rule").map(([, r]) => r.Properties);
    for (const rule of RULES) {
      const deployed = rules.find((r) => JSON.stringify(r.EventPattern) === JSON.stringify(rule.pattern))!;
      const consumerId = logicalId(stack.events.consumers[rule.consumer]);
      expect(deployed.Targets).toEqual([
        expect.objectContaining({
          Arn: getAtt(consumerId),
          RetryPolicy: expect.objectContaining({
            MaximumRetryAttempts: CONSUMERS[rule.consumer].deliveryRetryAttempts,
          }),
          DeadLetterConfig: { Arn: expect.objectContaining({ "Fn::GetAtt": [expect.any(String), "Arn"] }) },
        }),
      ]);
      const dlqId = (deployed.Targets[0].DeadLetterConfig.Arn["Fn::GetAtt"] as string[])[0]!;
      expect(resources[dlqId]!.Type).toBe("AWS::SQS::Queue");
    }
  });

  it("runs each consumer with its own timeout, and sends what it fails on to its queue", () => {
    for (const [name, consumer] of Object.entries(CONSUMERS)) {
      const fnId = logicalId(stack.events.consumers[name as keyof typeof CONSUMERS]);
      expect(resources[fnId]!.Properties.Timeout).toBe(consumer.timeoutSeconds);
      template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: { Ref: fnId },
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
  });

  it("lets the activity recorder write the table but not read it", () => {
    const fnId = logicalId(stack.events.consumers.activityRecorder);
    const dynamo = statementsOfRole(roleOf(fnId))
      .flatMap((s) => actions(s))
      .filter((a) => a.startsWith("dynamodb:"));
    expect(dynamo).toContain("dynamodb:PutItem");
    expect(dynamo).not.toContain("dynamodb:GetItem");
    expect(dynamo).not.toContain("dynamodb:Query");
  });
});

describe("REST API", () => {
  const [apiId] = only("AWS::ApiGateway::RestApi");
  const [authorizerId, authorizer] = only("AWS::ApiGateway::Authorizer");
  const handlerArn = getAtt(logicalId(stack.api.handler));
  const streamHandlerArn = getAtt(logicalId(stack.api.streamHandler));

  /** Full path of every API Gateway resource, rebuilt from PathPart/ParentId. */
  function resourcePath(id: string): string {
    const resource = resources[id]!;
    const parent = resource.Properties.ParentId as { Ref?: string };
    const prefix = parent.Ref ? resourcePath(parent.Ref) : "";
    return `${prefix}/${resource.Properties.PathPart as string}`;
  }

  it("authorizes with a TOKEN authorizer on the Authorization header, cached for 300 s", () => {
    expect(authorizer.Properties).toMatchObject({
      Type: "TOKEN",
      IdentitySource: "method.request.header.Authorization",
      AuthorizerResultTtlInSeconds: 300,
      RestApiId: { Ref: apiId },
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(logicalId(stack.api.authorizerFunction));
  });

  it("has one method per route, proxied to its function (API or streaming SSE), behind the authorizer unless public", () => {
    const methods = ofType("AWS::ApiGateway::Method").map(([, m]) => m.Properties);
    expect(methods).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const method = methods.find(
        (m) => m.HttpMethod === route.method && resourcePath(m.ResourceId.Ref as string) === route.path,
      );
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      expect(method!.OperationName).toBe(route.operationId);
      expect(method!.Integration).toMatchObject({ Type: "AWS_PROXY", IntegrationHttpMethod: "POST" });
      if (route.handler === "sse") {
        // REST API response streaming: its own function, the streaming invocation path, up to 15 minutes.
        expect(method!.Integration).toMatchObject({ ResponseTransferMode: "STREAM", TimeoutInMillis: 900_000 });
        expect(JSON.stringify(method!.Integration.Uri)).toContain(JSON.stringify(streamHandlerArn));
        expect(JSON.stringify(method!.Integration.Uri)).toContain("/response-streaming-invocations");
      } else {
        expect(method!.Integration.ResponseTransferMode).toBeUndefined();
        expect(JSON.stringify(method!.Integration.Uri)).toContain(JSON.stringify(handlerArn));
      }
      if ("public" in route && route.public) {
        expect(method!.AuthorizationType).toBe("NONE");
        expect(method!.AuthorizerId).toBeUndefined();
      } else {
        expect(method!.AuthorizationType).toBe("CUSTOM");
        expect(method!.AuthorizerId).toEqual({ Ref: authorizerId });
      }
    }
  });

  it("answers gateway-made errors as problem+json with the shared bodies", () => {
    const responses = ofType("AWS::ApiGateway::GatewayResponse").map(([, r]) => r.Properties);
    expect(responses).toHaveLength(Object.keys(GATEWAY_RESPONSES).length);
    for (const [type, definition] of Object.entries(GATEWAY_RESPONSES) as Array<[string, GatewayResponseDefinition]>) {
      const response = responses.find((r) => r.ResponseType === type);
      expect(response, type).toBeDefined();
      // No status in the definition: the gateway keeps the status it chose (DEFAULT_4XX).
      expect(response!.StatusCode).toBe(definition.status === undefined ? undefined : String(definition.status));
      expect(response!.ResponseParameters).toEqual({
        "gatewayresponse.header.Content-Type": `'${PROBLEM_CONTENT_TYPE}'`,
      });
      const body: unknown = JSON.parse(response!.ResponseTemplates["application/json"] as string);
      expect(body).toEqual(gatewayProblemBody(type as keyof typeof GATEWAY_RESPONSES));
    }
  });

  it("throttles the whole stage, traces, and writes JSON access logs", () => {
    const [, stage] = only("AWS::ApiGateway::Stage");
    expect(stage.Properties.TracingEnabled).toBe(true);
    expect(stage.Properties.MethodSettings).toContainEqual(
      expect.objectContaining({
        HttpMethod: "*",
        ResourcePath: "/*",
        ThrottlingRateLimit: expect.any(Number),
        ThrottlingBurstLimit: expect.any(Number),
      }),
    );
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format as string) as Record<string, string>;
    expect(format).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
    expect(stage.Properties.AccessLogSetting.DestinationArn).toEqual(
      expect.objectContaining({ "Fn::GetAtt": expect.any(Array) }),
    );
  });

  it("leaves API Gateway's account-wide CloudWatch role alone", () => {
    template.resourceCountIs("AWS::ApiGateway::Account", 0);
  });

  it("lets the authorizer read the table and nothing more", () => {
    const fnId = logicalId(stack.api.authorizerFunction);
    const dynamo = statementsOfRole(roleOf(fnId))
      .flatMap((s) => actions(s))
      .filter((a) => a.startsWith("dynamodb:"));
    expect(dynamo.length).toBeGreaterThan(0);
    expect(
      dynamo.filter(
        (a) =>
          !["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"].includes(a),
      ),
    ).toEqual([]);
  });
});

describe("scheduling and mail", () => {
  it("has a schedule group and an execution role only EventBridge Scheduler of that group can assume", () => {
    const [groupId] = only("AWS::Scheduler::ScheduleGroup");
    const roleId = logicalId(stack.scheduling.executionRole);
    expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: "sts:AssumeRole",
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Condition: {
          StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" }, "aws:SourceArn": getAtt(groupId) },
        },
      },
    ]);
  });

  it("gives the execution role no permission until a target is granted", () => {
    expect(statementsOfRole(logicalId(stack.scheduling.executionRole))).toEqual([]);
  });

  it("has an SES configuration set that requires TLS", () => {
    const [, set] = only("AWS::SES::ConfigurationSet");
    expect(set.Properties.DeliveryOptions).toEqual({ TlsPolicy: "REQUIRE" });
  });
});

describe("every function", () => {
  const functions = ofType("AWS::Lambda::Function");

  it("runs Node.js 24 on arm64 with active tracing", () => {
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const [id, fn] of functions) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        TracingConfig: { Mode: "Active" },
        Handler: "index.handler",
      });
    }
  });

  it("logs to its own log group, which has a retention", () => {
    for (const [id, fn] of functions) {
      const logGroupId = fn.Properties.LoggingConfig?.LogGroup?.Ref as string | undefined;
      expect(logGroupId, id).toBeDefined();
      expect(resources[logGroupId!]!.Type).toBe("AWS::Logs::LogGroup");
      expect(resources[logGroupId!]!.Properties.RetentionInDays, id).toBeGreaterThan(0);
    }
  });

  it("gets every variable named in ENV", () => {
    for (const [id, fn] of functions) {
      const variables = Object.keys(fn.Properties.Environment.Variables as object);
      expect(variables, id).toEqual(expect.arrayContaining(Object.values(ENV)));
    }
  });

  it("has a role without AWS managed policies, with '*' only for actions that have no resource-level permissions", () => {
    const allowedOnAnyResource = new Set(["xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"]);
    for (const [, role] of ofType("AWS::IAM::Role")) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const onAnyResource = ofType("AWS::IAM::Policy")
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => JSON.stringify(s.Resource).includes("*"));
    for (const statement of onAnyResource) {
      expect(statement.Resource).toBe("*");
      expect(actions(statement).filter((a) => !allowedOnAnyResource.has(a))).toEqual([]);
    }
  });
});

describe("outputs", () => {
  it("exports the API URL, table name, bus name and schedule group name", () => {
    const outputs = Object.keys(template.toJSON().Outputs as object);
    expect(outputs).toEqual(expect.arrayContaining(["ApiUrl", "TableName", "EventBusName", "ScheduleGroupName"]));
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("leaves no unacknowledged error or warning (every acknowledgment is per finding, with a reason)", () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
  });
});
