import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { FORWARDED_HEADERS, LIVE_ENV, LIVE_METRIC } from "../../shared/adapters/live-host/config.js";
import { LIVE_IMAGES, LIVE_PORT } from "../../infra/constructs/live.js";
import { ROUTES, routeMethods } from "../../shared/app/http/routes.js";
import { EVENT_SOURCE } from "../../shared/kernel/envelope.js";
import { logicalId, synthesize, unacknowledgedFindings } from "./stack.js";

const { stack, template: root } = synthesize({ liveHost: "fargate" });
const live = Template.fromStack(stack.live!);
const resources = (t: Template, type: string): any[] => Object.values(t.findResources(type));

describe("the live host (liveHost: fargate)", () => {
  it("adds one nested stack to the root and nothing else of its own there", () => {
    // The root's nested stacks: the live host's, and the monitoring one every deployment has.
    const nested = Object.keys(root.findResources("AWS::CloudFormation::Stack"));
    expect(nested.filter((id) => id.startsWith("Live"))).toEqual([logicalId(stack.live!.nestedStackResource!)]);
    expect(nested.filter((id) => !id.startsWith("Live") && !id.startsWith("Monitoring"))).toEqual([]);
    root.resourceCountIs("AWS::ECS::Service", 0);
    root.resourceCountIs("AWS::SNS::Topic", 0);
  });

  it("runs an always-on Fargate service on ARM64 from stock images, the program copied from an S3 asset", () => {
    live.hasResourceProperties("AWS::ECS::Service", {
      LaunchType: "FARGATE",
      DesiredCount: 2,
      DeploymentConfiguration: Match.objectLike({ DeploymentCircuitBreaker: { Enable: true, Rollback: true } }),
    });
    const [task] = resources(live, "AWS::ECS::TaskDefinition");
    expect(task.Properties.RuntimePlatform).toEqual({ CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" });
    const containers = task.Properties.ContainerDefinitions as any[];
    const server = containers.find((c) => c.Image === LIVE_IMAGES.node);
    const fetch = containers.find((c) => c.Image === LIVE_IMAGES.awsCli);
    expect(fetch.Essential).toBe(false);
    expect(fetch.Command.slice(0, 2)).toEqual(["s3", "cp"]);
    expect(server.DependsOn).toEqual([{ ContainerName: fetch.Name, Condition: "SUCCESS" }]);
    expect(server.Command).toEqual(["node", "/app/live-service.mjs"]);
    expect(server.PortMappings).toEqual([expect.objectContaining({ ContainerPort: LIVE_PORT })]);
    const names = (server.Environment as Array<{ Name: string }>).map((e) => e.Name);
    expect(names).toEqual(
      expect.arrayContaining(["TABLE_NAME", LIVE_ENV.topicArn, LIVE_ENV.queuePrefix, LIVE_ENV.port]),
    );
    expect(server.Secrets).toEqual([expect.objectContaining({ Name: LIVE_ENV.forwardSecret })]);
  });

  it("scales on open connections per task (and CPU), from 2 to 20 tasks", () => {
    live.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", { MinCapacity: 2, MaxCapacity: 20 });
    live.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 5000,
        CustomizedMetricSpecification: Match.objectLike({
          Namespace: LIVE_METRIC.namespace,
          MetricName: LIVE_METRIC.name,
          Statistic: "Average",
        }),
      }),
    });
    live.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
      }),
    });
  });

  it("puts an internal NLB in front, its TCP idle timeout past the 15-minute stream", () => {
    live.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", { Type: "network", Scheme: "internal" });
    live.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Protocol: "TCP",
      Port: 80,
      ListenerAttributes: [{ Key: "tcp.idle_timeout.seconds", Value: "900" }],
    });
    live.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      TargetType: "ip",
      Port: LIVE_PORT,
      HealthCheckPath: "/healthz",
    });
    live.resourceCountIs("AWS::ApiGateway::VpcLink", 1);
    // No NAT gateway: tasks reach AWS APIs through their public IP; nothing outside the VPC may connect.
    live.resourceCountIs("AWS::EC2::NatGateway", 0);
    const groups = resources(live, "AWS::EC2::SecurityGroup").flatMap((g) => g.Properties.SecurityGroupIngress ?? []);
    expect(groups.length).toBeGreaterThan(0);
    for (const rule of groups) expect(rule.CidrIp).not.toBe("0.0.0.0/0");
  });

  it("feeds the tasks every committed event through a rule on the bus and one topic", () => {
    live.resourceCountIs("AWS::SNS::Topic", 1);
    const [rule] = resources(live, "AWS::Events::Rule");
    expect(rule.Properties.EventPattern).toEqual({ source: [EVENT_SOURCE] });
    expect(JSON.stringify(rule.Properties.Targets[0].Arn)).toContain("Events");
  });

  it("lets the task role manage only its own queues and this topic's subscriptions, and read the table", () => {
    const statements = resources(live, "AWS::IAM::Policy").flatMap((p) => p.Properties.PolicyDocument.Statement);
    const own = statements.find((s) => s.Sid === "OwnQueue");
    expect(JSON.stringify(own.Resource)).toMatch(/:sqs:.*-live-\*"/);
    expect(statements.find((s) => s.Sid === "Subscribe").Resource).toEqual({ Ref: expect.stringMatching(/Events/) });
    // The program's one object, not the asset bucket.
    expect(statements.find((s) => s.Sid === "Bundle")).toMatchObject({ Action: "s3:GetObject" });
    expect(JSON.stringify(statements.find((s) => s.Sid === "Bundle").Resource)).toMatch(/\.mjs"\]/);
    const writes = statements.filter((s) =>
      [s.Action].flat().some((a: string) => /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite)/.test(a)),
    );
    expect(writes).toEqual([]);
    expect(own.Action).toEqual(expect.arrayContaining(["sqs:DeleteQueue", "sqs:ListQueueTags", "sqs:TagQueue"]));
    // '*' only for ECR's token (the execution role's default) and for listing queues (the sweep of orphans:
    // SQS's one action without resource-level permissions), never to act on a queue, a topic, S3 or DynamoDB.
    for (const s of statements.filter((s) => s.Resource === "*")) {
      for (const action of [s.Action].flat())
        expect(action).toMatch(/^(ecr:GetAuthorizationToken|logs:|sqs:ListQueues$)/);
    }
    expect(statements.find((s) => s.Sid === "ListQueues")).toMatchObject({ Action: "sqs:ListQueues", Resource: "*" });
  });

  it("serves the SSE routes over the VPC link, streamed, with the authorizer's context forwarded", () => {
    const methods = resources(root, "AWS::ApiGateway::Method").map((m) => m.Properties);
    const sseOps = new Set<string>(ROUTES.filter((r) => r.handler === "sse").map((r) => r.operationId));
    const sse = methods.filter(
      (m) => sseOps.has(m.OperationName) || sseOps.has(String(m.OperationName).replace(/Head$/, "")),
    );
    expect(sse).toHaveLength(ROUTES.filter((r) => r.handler === "sse").flatMap((r) => routeMethods(r)).length);
    for (const method of sse) {
      expect(method.AuthorizationType).toBe("CUSTOM");
      expect(method.Integration).toMatchObject({
        Type: "HTTP_PROXY",
        ConnectionType: "VPC_LINK",
        ResponseTransferMode: "STREAM",
        TimeoutInMillis: 900_000,
      });
      const params = method.Integration.RequestParameters;
      expect(params[`integration.request.header.${FORWARDED_HEADERS.tenantId}`]).toBe("context.authorizer.tenantId");
      expect(params[`integration.request.header.${FORWARDED_HEADERS.projectScope}`]).toBe(
        "context.authorizer.projectScope",
      );
      expect(params["integration.request.path.projectId"]).toBe("method.request.path.projectId");
      expect(method.RequestParameters["method.request.path.projectId"]).toBe(true);
      expect(JSON.stringify(params[`integration.request.header.${FORWARDED_HEADERS.secret}`])).toContain(
        "resolve:secretsmanager",
      );
    }
    const others = methods.filter((m) => !sse.includes(m));
    for (const method of others) expect(method.Integration.Type).toBe("AWS_PROXY");
  });

  it("passes cdk-nag with every finding acknowledged individually", () => {
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });
});
