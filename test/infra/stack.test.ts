import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FUNCTIONS } from "../../shared/kernel/config.js";
import { Match } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { EVENT_SOURCE } from "../../shared/kernel/envelope.js";
import { QUEUE_RULES, CONSUMERS, QUEUES, RULES, SCHEDULE_TARGET } from "../../shared/events/rules.js";
import {
  GATEWAY_RESPONSES,
  gatewayProblemBody,
  gatewayResponseHeaders,
  PROBLEM_CONTENT_TYPE,
  type GatewayResponseDefinition,
} from "../../shared/app/http/gateway-responses.js";
import { ROUTES } from "../../shared/app/http/routes.js";
import { BASE_ENV, ENV, FUNCTION_ENV } from "../../shared/kernel/config.js";
import { STREAM_FILTER_PATTERN, TABLE } from "../../shared/store/table.js";
import { exampleUserFunctions, functionsOf, logicalId, synthesize, unacknowledgedFindings } from "./stack.js";

// Template JSON is walked freely here; the assertions themselves pin its shape.

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

const MAIL_FROM = "Cortex Invitations <invitations@mail.example.net>";
const { app, stack, template } = synthesize({ mailFrom: MAIL_FROM });
const resources = template.toJSON().Resources as Record<string, Resource>;
/** The deployer's other choices, on a cheap second copy (no bundling). */
const variant = synthesize(
  {
    deletionProtection: false,
    mailFrom: MAIL_FROM,
    mailIdentity: "invitations@mail.example.net",
    publicBaseUrl: "https://gatherings.example.net/",
  },
  "Variant",
  { bundle: false },
);

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
/** Every statement of every policy, with the logical id of each role it is attached to. */
function statementsByRole(): Array<[string, Statement]> {
  return ofType("AWS::IAM::Policy").flatMap(([, p]) =>
    (p.Properties.Roles as Array<{ Ref: string }>).flatMap((role) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).map((s): [string, Statement] => [role.Ref, s]),
    ),
  );
}
function roleOf(functionId: string): string {
  return resources[functionId]!.Properties.Role["Fn::GetAtt"][0] as string;
}
/** The table actions granted to a function's role. */
function dynamoActions(functionId: string): string[] {
  return statementsOfRole(roleOf(functionId))
    .flatMap((s) => actions(s))
    .filter((a) => a.startsWith("dynamodb:"));
}
function environmentOf(fn: IConstruct): Record<string, unknown> {
  return resources[logicalId(fn)]!.Properties.Environment.Variables as Record<string, unknown>;
}
const getAtt = (id: string, attribute = "Arn") => ({ "Fn::GetAtt": [id, attribute] });
const sorted = (values: readonly string[]) => [...values].sort();

/** Every function of the stack with its entry under functions/. */
const deployedFunctions = functionsOf(stack);

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
    variant.template.hasResourceProperties("AWS::DynamoDB::Table", { DeletionProtectionEnabled: false });
  });
});

describe("stream publisher", () => {
  const publisherId = logicalId(stack.events.publisher);
  const mapping = ofType("AWS::Lambda::EventSourceMapping").find(
    ([, m]) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: publisherId }),
  )![1];

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

  /** The deployed rule of a RULES entry (two entries may share a pattern, so not found by pattern). */
  const deployedRule = (id: string) => resources[logicalId(stack.events.rules[id]!)]!.Properties;

  it("has one rule per RULES entry, with the shared pattern, on the custom bus", () => {
    const userRules = exampleUserFunctions?.bindings.length ?? 0;
    expect(ofType("AWS::Events::Rule")).toHaveLength(RULES.length + userRules + QUEUE_RULES.length);
    expect(Object.keys(stack.events.rules).sort()).toEqual(RULES.map((rule) => rule.id).sort());
    for (const rule of RULES) {
      const deployed = deployedRule(rule.id);
      expect(deployed.EventBusName, `rule ${rule.id}`).toEqual({ Ref: busId });
      expect(deployed.EventPattern, `rule ${rule.id}`).toEqual(rule.pattern);
      expect(deployed.Description).toBe(rule.description);
    }
  });

  it("deploys one function per user-function export, with a rule on its event, retries and a dead-letter queue", () => {
    expect(exampleUserFunctions?.bindings.length).toBeGreaterThan(0);
    for (const binding of exampleUserFunctions!.bindings) {
      const fn = stack.userFunctions!.functions[binding.exportName]!;
      const rule = stack.userFunctions!.rules[binding.exportName]!;
      const deployed = resources[logicalId(rule)]!.Properties;
      expect(deployed.EventPattern).toEqual({ source: [EVENT_SOURCE], "detail-type": [binding.eventType] });
      expect(deployed.EventBusName).toEqual({ Ref: busId });
      expect(deployed.Targets).toHaveLength(1);
      expect(deployed.Targets[0]).toMatchObject({
        Arn: getAtt(logicalId(fn)),
        RetryPolicy: { MaximumRetryAttempts: 8 },
        DeadLetterConfig: { Arn: getAtt(logicalId(stack.userFunctions!.failures)) },
      });
      const env = resources[logicalId(fn)]!.Properties.Environment.Variables;
      expect(env.USER_FUNCTION_EXPORT).toBe(binding.exportName);
      const invokeConfig = ofType("AWS::Lambda::EventInvokeConfig").find(
        ([, c]) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify({ Ref: logicalId(fn) }),
      );
      expect(invokeConfig?.[1].Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: getAtt(logicalId(stack.userFunctions!.failures)) } },
      });
    }
  });

  it("delivers each rule to its consumer with the consumer's retry policy and a dead-letter queue", () => {
    for (const rule of RULES) {
      const deployed = deployedRule(rule.id);
      const consumerId = logicalId(stack.events.consumers[rule.consumer]);
      expect(deployed.Targets).toEqual([
        expect.objectContaining({
          Arn: getAtt(consumerId),
          RetryPolicy: expect.objectContaining({
            MaximumRetryAttempts: FUNCTIONS[CONSUMERS[rule.consumer].entry].deliveryRetryAttempts,
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
      expect(resources[fnId]!.Properties.Timeout).toBe(FUNCTIONS[consumer.entry].timeoutSeconds);
      template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: { Ref: fnId },
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
  });

  it("lets the activity recorder write the table but not read it", () => {
    const dynamo = dynamoActions(logicalId(stack.events.consumers.activityRecorder));
    expect(dynamo).toContain("dynamodb:PutItem");
    expect(dynamo).not.toContain("dynamodb:GetItem");
    expect(dynamo).not.toContain("dynamodb:Query");
  });

  it("lets the scheduler sync read the table but not write it", () => {
    const dynamo = dynamoActions(logicalId(stack.events.consumers.schedulerSync));
    expect(dynamo).toContain("dynamodb:GetItem");
    expect(dynamo).not.toContain("dynamodb:PutItem");
    expect(dynamo).not.toContain("dynamodb:UpdateItem");
  });

  it("lets the mailer and the webhook fan-out read and write the table", () => {
    for (const fn of [stack.events.consumers.mailer, stack.events.consumers.webhookFanout]) {
      expect(dynamoActions(logicalId(fn))).toEqual(expect.arrayContaining(["dynamodb:GetItem", "dynamodb:PutItem"]));
    }
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
    // The API reference's methods (/docs, test/infra/docs.test.ts) are no routes of the table.
    const methods = ofType("AWS::ApiGateway::Method")
      .map(([, m]) => m.Properties)
      .filter((m) => !JSON.stringify(m.Integration?.Uri ?? "").includes(logicalId(stack.docs.handler)));
    const gets = ROUTES.filter((r) => r.method === "GET" && r.handler === "api");
    // Plus HEAD on the API's GET routes (the same integration; the platform drops the body).
    expect(methods).toHaveLength(ROUTES.length + gets.length);
    for (const route of gets) {
      const head = methods.find(
        (m) => m.HttpMethod === "HEAD" && resourcePath(m.ResourceId.Ref as string) === route.path,
      );
      expect(head, `HEAD ${route.path}`).toBeDefined();
      expect(JSON.stringify(head!.Integration.Uri)).toContain(JSON.stringify(handlerArn));
      expect(head!.AuthorizationType).toBe("public" in route && route.public ? "NONE" : "CUSTOM");
    }
    expect(methods.filter((m) => m.HttpMethod === "HEAD")).toHaveLength(gets.length);
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
        ...Object.fromEntries(
          Object.entries(gatewayResponseHeaders(type as keyof typeof GATEWAY_RESPONSES)).map(([k, v]) => [
            `gatewayresponse.header.${k}`,
            `'${v}'`,
          ]),
        ),
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

  it("lets the authorizer read the table and put only key lookup items (a key's last use)", () => {
    const fnId = logicalId(stack.api.authorizerFunction);
    const statements = statementsOfRole(roleOf(fnId));
    const puts = statements.filter((s) => actions(s).includes("dynamodb:PutItem"));
    expect(puts).toHaveLength(1);
    expect(actions(puts[0]!)).toEqual(["dynamodb:PutItem"]);
    expect(puts[0]).toMatchObject({
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["APIKEY#*"] } },
    });
    const dynamo = statements
      .filter((s) => !puts.includes(s))
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

describe("scheduling", () => {
  const executionRoleId = logicalId(stack.scheduling.executionRole);
  const targetId = logicalId(stack.scheduleTarget.handler);
  const syncRoleId = roleOf(logicalId(stack.events.consumers.schedulerSync));
  const isSchedulerOrIam = (s: Statement) => actions(s).some((a) => a.startsWith("scheduler:") || a.startsWith("iam:"));

  it("has a schedule group and an execution role only EventBridge Scheduler of that group can assume", () => {
    const [groupId] = only("AWS::Scheduler::ScheduleGroup");
    expect(resources[executionRoleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
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

  it("lets the execution role invoke the scheduler target function and nothing else", () => {
    expect(statementsOfRole(executionRoleId)).toEqual([
      { Action: "lambda:InvokeFunction", Effect: "Allow", Resource: getAtt(targetId) },
    ]);
  });

  it("runs the scheduler target with its timeout and table access, keeping what it failed on in a queue", () => {
    expect(resources[targetId]!.Properties.Timeout).toBe(FUNCTIONS[SCHEDULE_TARGET.entry].timeoutSeconds);
    expect(dynamoActions(targetId)).toEqual(expect.arrayContaining(["dynamodb:GetItem", "dynamodb:UpdateItem"]));
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: targetId },
      DestinationConfig: { OnFailure: { Destination: getAtt(logicalId(stack.scheduleTarget.failures)) } },
    });
  });

  it("lets the scheduler sync manage schedules of its group only, and pass only the execution role to Scheduler", () => {
    const statements = statementsOfRole(syncRoleId).filter(isSchedulerOrIam);
    expect(statements).toHaveLength(2);
    const [manage, pass] = statements.map((s) => ({ ...s, Action: sorted(actions(s)) }));
    expect(manage).toEqual({
      Action: sorted([
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
      ]),
      Effect: "Allow",
      Resource: stack.resolve(stack.scheduling.scheduleArn("*")),
    });
    const groupName = stack.resolve(stack.scheduling.group.scheduleGroupName) as string;
    expect(JSON.stringify(manage!.Resource)).toContain(`:schedule/${groupName}/*`);
    expect(pass).toEqual({
      Action: ["iam:PassRole"],
      Effect: "Allow",
      Resource: getAtt(executionRoleId),
      Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
    });
  });

  it("grants no other role than the sync and the target (which re-arms idle deadlines) a Scheduler or IAM action", () => {
    const holders = statementsByRole()
      .filter(([, s]) => isSchedulerOrIam(s))
      .map(([role]) => role);
    expect(new Set(holders)).toEqual(new Set([syncRoleId, roleOf(targetId)]));
    expect(statementsOfRole(roleOf(targetId)).filter(isSchedulerOrIam)).toEqual(
      statementsOfRole(syncRoleId).filter(isSchedulerOrIam),
    );
  });

  it("tells the scheduler sync and the target which group, role and target their schedules use", () => {
    const targetArn = stack.resolve(stack.scheduleTarget.functionArn);
    for (const fn of [stack.events.consumers.schedulerSync, stack.scheduleTarget.handler]) {
      expect(environmentOf(fn)).toMatchObject({
        [ENV.scheduleGroupName]: stack.resolve(stack.scheduling.group.scheduleGroupName),
        [ENV.schedulerRoleArn]: getAtt(executionRoleId),
        [ENV.schedulerTargetArn]: targetArn,
      });
    }
    // The ARN the schedules name is the target function's own (built from its fixed name, not a reference).
    const name = resources[targetId]!.Properties.FunctionName as string;
    expect(JSON.stringify(targetArn)).toContain(`:function:${name}`);
  });
});

describe("mail", () => {
  const mailerId = logicalId(stack.events.consumers.mailer);

  it("has an SES configuration set that requires TLS", () => {
    const [, set] = only("AWS::SES::ConfigurationSet");
    expect(set.Properties.DeliveryOptions).toEqual({ TlsPolicy: "REQUIRE" });
  });

  it("lets only the two mailers (invitations, summaries) send email, as the configured sender's identity and through the configuration set", () => {
    const sending = statementsByRole().filter(([, s]) => actions(s).some((a) => a.startsWith("ses:")));
    const summaryMailerId = logicalId(stack.events.consumers.summaryMailer);
    expect(sending.map(([roleId]) => roleId).sort()).toEqual([roleOf(mailerId), roleOf(summaryMailerId)].sort());
    const identity = stack.formatArn({ service: "ses", resource: "identity", resourceName: "mail.example.net" });
    const configurationSet = stack.formatArn({
      service: "ses",
      resource: "configuration-set",
      resourceName: stack.mail.configurationSet.configurationSetName,
    });
    for (const [, statement] of sending) {
      expect(sorted(actions(statement))).toEqual(["ses:SendEmail", "ses:SendRawEmail"]);
      expect(statement.Condition).toBeUndefined();
      expect(statement.Resource).toEqual(
        expect.arrayContaining([stack.resolve(identity), stack.resolve(configurationSet)]),
      );
      expect(statement.Resource).toHaveLength(2);
    }
  });

  it("sends as the address itself, and links to a custom domain, when the deployer says so", () => {
    const identity = variant.stack.formatArn({
      service: "ses",
      resource: "identity",
      resourceName: "invitations@mail.example.net",
    });
    const mailer = variant.stack.events.consumers.mailer;
    const statements = Object.values(variant.template.findResources("AWS::IAM::Policy"))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(mailer.role!)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => actions(s).some((a) => a.startsWith("ses:")));
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Resource).toContainEqual(variant.stack.resolve(identity));
    expect(JSON.stringify(statements[0]!.Resource)).not.toContain(":identity/mail.example.net");
    const environment = variant.template.toJSON().Resources[logicalId(mailer)].Properties.Environment.Variables;
    expect(environment[ENV.publicBaseUrl]).toBe("https://gatherings.example.net/");
  });

  it("gives the mailer the sender, the configuration set and the API's URL for links", () => {
    const environment = environmentOf(stack.events.consumers.mailer);
    expect(environment[ENV.mailFrom]).toBe(MAIL_FROM);
    expect(environment[ENV.sesConfigurationSet]).toEqual({ Ref: logicalId(stack.mail.configurationSet) });
    expect(environment[ENV.publicBaseUrl]).toEqual(stack.resolve(stack.api.url));
  });

  it("gives the summary mailer the sender and the configuration set, and no URL (its email has no links)", () => {
    const environment = environmentOf(stack.events.consumers.summaryMailer);
    expect(environment[ENV.mailFrom]).toBe(MAIL_FROM);
    expect(environment[ENV.sesConfigurationSet]).toEqual({ Ref: logicalId(stack.mail.configurationSet) });
    expect(environment[ENV.publicBaseUrl]).toBeUndefined();
  });
});

describe("webhooks", () => {
  const definition = QUEUES.webhookDeliveries;
  const queueId = logicalId(stack.webhooks.deliveries);
  const deadLettersId = logicalId(stack.webhooks.deadLetters);
  const delivererId = logicalId(stack.webhooks.deliverer);

  it("dead-letters a delivery message after QUEUES' maxReceiveCount receives", () => {
    expect(resources[queueId]!.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt(deadLettersId),
      maxReceiveCount: definition.maxReceiveCount,
    });
    expect(resources[deadLettersId]!.Type).toBe("AWS::SQS::Queue");
  });

  it("keeps the queues encrypted, TLS-only and within the emulator's 256 KiB message size", () => {
    expect(resources[queueId]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MaximumMessageSize: 262_144,
      VisibilityTimeout: definition.visibilityTimeoutSeconds,
    });
    expect(resources[deadLettersId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    for (const id of [queueId, deadLettersId]) {
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    }
  });

  it("feeds the deliver function from the queue in batches, reporting partial batch failures", () => {
    const mappings = ofType("AWS::Lambda::EventSourceMapping").filter(
      ([, m]) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: delivererId }),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toMatchObject({
      EventSourceArn: getAtt(queueId),
      BatchSize: definition.batchSize,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    const timeout = resources[delivererId]!.Properties.Timeout as number;
    expect(timeout).toBe(FUNCTIONS[definition.entry].timeoutSeconds);
    expect(timeout).toBeLessThanOrEqual(definition.visibilityTimeoutSeconds);
  });

  it("lets only the API, the fan-out consumer, user functions and the deliver function put messages on the delivery queue", () => {
    const senders = statementsByRole()
      .filter(([, s]) => actions(s).includes("sqs:SendMessage") && JSON.stringify(s.Resource).includes(queueId))
      .map(([role]) => role);
    // User functions act through the API's operations in-process (a webhook replay queues a delivery).
    const producers = [
      stack.api.handler,
      stack.events.consumers.webhookFanout,
      ...Object.values(stack.userFunctions?.functions ?? {}),
    ].map((fn) => roleOf(logicalId(fn)));
    expect(new Set(senders)).toEqual(new Set([...producers, roleOf(delivererId)]));
    for (const role of producers) {
      const onQueue = statementsOfRole(role).filter((s) => JSON.stringify(s.Resource).includes(queueId));
      expect(onQueue.flatMap((s) => actions(s))).toEqual(["sqs:SendMessage"]);
    }
  });

  it("delivers from outside any VPC with private and plain-http targets refused by configuration", () => {
    expect(resources[delivererId]!.Properties.VpcConfig).toBeUndefined();
    for (const fn of [stack.webhooks.deliverer, stack.api.handler]) {
      expect(environmentOf(fn)).toMatchObject({
        [ENV.webhookQueueUrl]: { Ref: queueId },
        [ENV.webhookAllowPrivateTargets]: "false",
        [ENV.webhookAllowHttp]: "false",
      });
    }
    expect(environmentOf(stack.webhooks.deliverer)[ENV.webhookRetryScale]).toBe("1");
    expect(environmentOf(stack.events.consumers.webhookFanout)[ENV.webhookQueueUrl]).toEqual({ Ref: queueId });
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

  it("is one of the FUNCTION_ENV entries, each deployed once (user-function once per export)", () => {
    expect(sorted([...new Set(deployedFunctions.map(([entry]) => entry))])).toEqual(sorted(Object.keys(FUNCTION_ENV)));
    expect(deployedFunctions.filter(([entry]) => entry !== "user-function").length).toBe(
      Object.keys(FUNCTION_ENV).length - 1,
    );
    expect(sorted(deployedFunctions.map(([, fn]) => logicalId(fn)))).toEqual(sorted(functions.map(([id]) => id)));
  });

  it("gets exactly BASE_ENV plus its own FUNCTION_ENV variables (and NODE_OPTIONS)", () => {
    for (const [entry, fn] of deployedFunctions) {
      const expected = [...BASE_ENV, ...FUNCTION_ENV[entry]].map((name) => ENV[name]);
      expect(sorted(Object.keys(environmentOf(fn))), entry).toEqual(sorted([...expected, "NODE_OPTIONS"]));
    }
  });

  it("gets the table, event source, replay window and log level of the stack", () => {
    for (const [entry, fn] of deployedFunctions) {
      expect(environmentOf(fn), entry).toMatchObject({
        [ENV.tableName]: { Ref: logicalId(stack.data.table) },
        [ENV.eventSource]: EVENT_SOURCE,
        [ENV.replayWindowDays]: "7",
        [ENV.logLevel]: "info",
      });
    }
    expect(environmentOf(stack.events.publisher)[ENV.eventBusName]).toEqual({ Ref: logicalId(stack.events.bus) });
  });

  it("has a role without AWS managed policies, with '*' only for actions that have no resource-level permissions", () => {
    const allowedOnAnyResource = new Set(["xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"]);
    // Comprehend's detect actions have no resource type either: each on its plugin's role only (plugins.test.ts).
    const comprehendOnAnyResource = new Map([
      ["comprehend:DetectToxicContent", roleOf(logicalId(stack.plugins.consumers.pluginProfanity.fn))],
      ["comprehend:BatchDetectSentiment", roleOf(logicalId(stack.plugins.consumers.pluginSentiment.fn))],
    ]);
    // Wildcards inside an ARN: the schedules of the stack's group (the sync and the target, asserted in
    // "scheduling") and the debug-audio objects (the API and user functions, asserted in sessions.test.ts).
    const schedulesOfGroup = JSON.stringify(stack.resolve(stack.scheduling.scheduleArn("*")));
    const debugAudioObjects = JSON.stringify(stack.resolve(stack.sessions.debugAudio.arnForObjects("*")));
    for (const [, role] of ofType("AWS::IAM::Role")) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const withWildcard = statementsByRole().filter(([, s]) => JSON.stringify(s.Resource).includes("*"));
    const syncRole = roleOf(logicalId(stack.events.consumers.schedulerSync));
    for (const [role, statement] of withWildcard) {
      if (JSON.stringify(statement.Resource) === schedulesOfGroup) {
        expect([syncRole, roleOf(logicalId(stack.scheduleTarget.handler))]).toContain(role);
        expect(actions(statement).every((a) => a.startsWith("scheduler:"))).toBe(true);
        continue;
      }
      if (JSON.stringify(statement.Resource) === debugAudioObjects) {
        expect(actions(statement).every((a) => a.startsWith("s3:"))).toBe(true);
        continue;
      }
      // The minutes model in any Region, only through its inference profile (asserted in plugins.test.ts).
      if (JSON.stringify(statement.Resource).includes(":bedrock:*::foundation-model/")) {
        expect(actions(statement)).toEqual(["bedrock:InvokeModel"]);
        expect(Object.keys(statement.Condition as object)).toEqual(["StringEquals"]);
        continue;
      }
      expect(statement.Resource).toBe("*");
      const comprehend = actions(statement).filter((a) => comprehendOnAnyResource.has(a));
      for (const action of comprehend) expect(role, action).toBe(comprehendOnAnyResource.get(action));
      expect(actions(statement).filter((a) => !allowedOnAnyResource.has(a) && !comprehend.includes(a))).toEqual([]);
    }
  });
});

describe("outputs", () => {
  it("exports the API URL, table, bus, schedule group, mail sender and webhook queues", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        "ApiUrl",
        "TableName",
        "EventBusName",
        "ScheduleGroupName",
        "MailFrom",
        "WebhookQueueUrl",
        "WebhookDeadLetterQueueName",
      ]),
    );
    expect(outputs.WebhookQueueUrl!.Value).toEqual({ Ref: logicalId(stack.webhooks.deliveries) });
    expect(outputs.WebhookDeadLetterQueueName!.Value).toEqual(
      getAtt(logicalId(stack.webhooks.deadLetters), "QueueName"),
    );
    expect(outputs.MailFrom!.Value).toBe(MAIL_FROM);
    expect(outputs.MailFrom!.Description).toContain("verified SES identity");
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("leaves no unacknowledged error or warning (every acknowledgment is per finding, with a reason)", () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
  });
});

describe("Lambda bundles", () => {
  /** The issue bar for every function (README, "Cold start"); the bench measures load time beside it. */
  const BUDGET_BYTES = 300 * 1024;
  const bundleOf = (fn: IConstruct): string => {
    const key = resources[logicalId(fn)]!.Properties.Code.S3Key as string;
    return readFileSync(join(app.synth().directory, `asset.${key.replace(/\.zip$/, "")}`, "index.mjs"), "utf8");
  };

  it("keeps every function's bundle within 300 KB, zod's English messages and no other locale", () => {
    const functions = functionsOf(stack);
    expect(new Set(functions.map(([entry]) => entry)).size).toBe(Object.keys(FUNCTIONS).length);
    for (const [entry, fn] of functions) {
      const code = bundleOf(fn);
      expect(Buffer.byteLength(code), entry).toBeLessThanOrEqual(BUDGET_BYTES);
      // zod's German and French messages: present only if a bundle carries zod's locales again.
      expect(code, entry).not.toMatch(/Ungültige Eingabe|Entrée invalide/);
    }
    expect(bundleOf(stack.api.handler)).toContain("Invalid input: expected");
  });
});
