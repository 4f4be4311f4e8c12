import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import {
  AssetHashType,
  BundlingOutput,
  DockerImage,
  Duration,
  NestedStack,
  RemovalPolicy,
  Stack,
  Validations,
} from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3assets from "aws-cdk-lib/aws-s3-assets";
import * as secrets from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { BASE_ENV, ENV } from "../../shared/kernel/config.js";
import { EVENT_SOURCE } from "../../shared/kernel/envelope.js";
import {
  AUTHORIZER_CONTEXT,
  FORWARDED_HEADERS,
  LIVE_ENV,
  LIVE_HEALTH_PATH,
  LIVE_METRIC,
} from "../../shared/adapters/live-host/config.js";
import { acknowledgeWildcardResource } from "../nag.js";
import type { Data } from "./data.js";
import type { BaseEnvironment } from "./node-function.js";

const HOST_DIR = fileURLToPath(new URL("../../shared/adapters/live-host/", import.meta.url));
const ENTRY = fileURLToPath(new URL("../../shared/adapters/live-host/main.ts", import.meta.url));
const BUNDLE_FILE = "live-service.mjs";

/** Stock images from ECR Public (no Docker Hub rate limits; nothing is built at synth). */
export const LIVE_IMAGES = {
  node: "public.ecr.aws/docker/library/node:24-slim",
  awsCli: "public.ecr.aws/aws-cli/aws-cli:latest",
} as const;

/** Port of the HTTP server in the task; the load balancer listens on 80 inside the VPC. */
export const LIVE_PORT = 8080;

/** The live host's own VPC (literal, so the security group's one ingress rule is checkable). */
export const LIVE_VPC_CIDR = "10.64.0.0/16";

export interface LiveProps {
  data: Data;
  environment: BaseEnvironment;
  /** Browser origins allowed by CORS, as the API's (`-c corsAllowedOrigins=…`). @default none */
  corsAllowedOrigins?: string[];
  /** Tasks always running (one per AZ is the floor for availability). @default 2 */
  minTasks?: number;
  /** @default 20 (100,000 watchers at the connection target) */
  maxTasks?: number;
  /** Open SSE connections per task that scaling tracks. @default 5,000 */
  connectionsPerTask?: number;
  /** Task size: 0.5 vCPU, 1 GB by default (ARM64). */
  cpu?: number;
  memoryMiB?: number;
}

/**
 * The live host (issue 14): the two SSE routes served by a small always-on Node service on ECS Fargate
 * instead of one Lambda invocation per connection. API Gateway (the same stage URL and API key) keeps
 * authorizing; the routes become HTTP_PROXY integrations in STREAM mode over a VPC link to an internal
 * Network Load Balancer, with the authorizer's context and a shared secret forwarded as headers.
 * Committed events reach every task through EventBridge → SNS → one SQS queue per task (the task creates
 * its queue at start and deletes it at stop), so a task reads the table only to catch a watcher up, never
 * per watcher per poll. See docs-drafts/live-aws.md for the numbers.
 *
 * A NestedStack: it adds one resource (and a few parameters) to the root stack, which is near
 * CloudFormation's 500-resource limit.
 */
export class Live extends NestedStack {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly listener: elbv2.NetworkListener;
  readonly vpcLink: apigw.VpcLink;
  /** Every committed event, for the tasks' queues (fed by `feedFrom`). */
  readonly topic: sns.Topic;
  /** The secret API Gateway sends and the service checks (x-cortex-live-secret). */
  readonly forwardSecret: secrets.Secret;
  readonly scaling: ecs.ScalableTaskCount;
  /** The per-task queues' name prefix (the stack's name, so two stacks in one account never share). */
  readonly queuePrefix: string;

  constructor(scope: Construct, id: string, props: LiveProps) {
    super(scope, id, { description: "Live delivery: the SSE host on ECS Fargate (issue 14)" });
    const root = Stack.of(scope);
    this.queuePrefix = `${root.stackName}-live`;

    // Public subnets only, no NAT gateway ($0.045/h each): tasks get a public IP for egress (ECR Public,
    // DynamoDB, SQS, SNS, CloudWatch) and accept nothing from outside the VPC (security group below).
    this.vpc = new ec2.Vpc(this, "Vpc", {
      ipAddresses: ec2.IpAddresses.cidr(LIVE_VPC_CIDR),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    this.vpc.addFlowLog("RejectedFlows", {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, "FlowLogs", {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
    });

    this.topic = new sns.Topic(this, "Events", {
      displayName: "Committed events for the live host's tasks",
      enforceSSL: true,
    });
    this.forwardSecret = new secrets.Secret(this, "ForwardSecret", {
      description:
        "Sent by API Gateway to the live host with the authorizer's context; the host refuses requests without it",
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
    });

    this.cluster = new ecs.Cluster(this, "Cluster", {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, "Task", {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryMiB ?? 1024,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const taskRole = this.taskDefinition.taskRole;

    // The program: bundled with esbuild at synth (no Docker), an S3 asset the task copies at start.
    const bundle = new s3assets.Asset(this, "Bundle", {
      path: HOST_DIR,
      exclude: ["**"],
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Local bundling only (esbuild in this process): the image is never pulled, synth needs no Docker.
        image: DockerImage.fromRegistry("unused-local-bundling-only"),
        outputType: BundlingOutput.SINGLE_FILE,
        local: { tryBundle: (outputDir) => (bundleService(outputDir), true) },
      },
    });
    // The one object, not the whole asset bucket.
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "Bundle",
        actions: ["s3:GetObject"],
        resources: [bundle.bucket.arnForObjects(bundle.s3ObjectKey)],
      }),
    );
    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const volume = "app";
    this.taskDefinition.addVolume({ name: volume });
    const fetch = this.taskDefinition.addContainer("FetchBundle", {
      image: ecs.ContainerImage.fromRegistry(LIVE_IMAGES.awsCli),
      essential: false,
      command: ["s3", "cp", bundle.s3ObjectUrl, `/app/${BUNDLE_FILE}`],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "fetch" }),
    });
    fetch.addMountPoints({ sourceVolume: volume, containerPath: "/app", readOnly: false });

    const environment: Record<string, string> = {
      ...Object.fromEntries(BASE_ENV.map((name) => [ENV[name], props.environment[name]])),
      [LIVE_ENV.port]: String(LIVE_PORT),
      [LIVE_ENV.topicArn]: this.topic.topicArn,
      [LIVE_ENV.queuePrefix]: this.queuePrefix,
      [LIVE_ENV.metricNamespace]: LIVE_METRIC.namespace,
      [LIVE_ENV.metricService]: this.queuePrefix,
      ...(props.corsAllowedOrigins?.length && { [ENV.corsAllowedOrigins]: props.corsAllowedOrigins.join(",") }),
      NODE_OPTIONS: "--enable-source-maps",
    };
    const server = this.taskDefinition.addContainer("Server", {
      image: ecs.ContainerImage.fromRegistry(LIVE_IMAGES.node),
      command: ["node", `/app/${BUNDLE_FILE}`],
      essential: true,
      environment,
      secrets: { [LIVE_ENV.forwardSecret]: ecs.Secret.fromSecretsManager(this.forwardSecret) },
      portMappings: [{ containerPort: LIVE_PORT }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: "live" }),
      // Idle SSE connections hold file descriptors: raise the soft limit above the default 1,024.
      ulimits: [{ name: ecs.UlimitName.NOFILE, softLimit: 65_536, hardLimit: 65_536 }],
      stopTimeout: Duration.seconds(30),
    });
    server.addMountPoints({ sourceVolume: volume, containerPath: "/app", readOnly: true });
    server.addContainerDependencies({ container: fetch, condition: ecs.ContainerDependencyCondition.SUCCESS });

    // Least privilege: read the table (catch-up and gap-filling reads), own queues under the prefix (its own,
    // and the orphans of killed tasks it sweeps), the topic's subscriptions.
    props.data.grantRead(taskRole);
    const queueArn = Stack.of(this).formatArn({ service: "sqs", resource: `${this.queuePrefix}-*` });
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "OwnQueue",
        actions: [
          "sqs:CreateQueue",
          "sqs:DeleteQueue",
          "sqs:GetQueueAttributes",
          "sqs:SetQueueAttributes",
          "sqs:TagQueue",
          "sqs:ListQueueTags",
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
        ],
        resources: [queueArn],
      }),
    );
    // The sweep of orphaned queues (QueueFeed.sweep) lists the queues under the prefix. ListQueues is the one
    // SQS action without resource-level permissions; it reveals queue URLs only, no attribute or message.
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: "ListQueues", actions: ["sqs:ListQueues"], resources: ["*"] }),
    );
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: "Subscribe", actions: ["sns:Subscribe"], resources: [this.topic.topicArn] }),
    );
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "Unsubscribe",
        actions: ["sns:Unsubscribe"],
        resources: [`${this.topic.topicArn}:*`],
      }),
    );
    acknowledgeWildcardResource(
      taskRole,
      queueArn,
      "The task creates its own queue at start and deletes it at stop; the names are not known at deploy, only their " +
        "prefix (the stack's name), which scopes the grant to this stack's live queues.",
    );
    acknowledgeWildcardResource(
      taskRole,
      "*",
      "sqs:ListQueues has no resource-level permissions (SQS's one such action): the sweep of orphaned live queues " +
        "lists the queues under this stack's prefix; the call returns queue URLs only, and every action on a queue " +
        "is granted on the prefix alone.",
    );
    acknowledgeWildcardResource(
      taskRole,
      `${this.topic.topicArn}:*`,
      "sns:Unsubscribe acts on a subscription ARN (the topic ARN and a generated id): only this topic's subscriptions.",
    );
    for (const scoped of [this.taskDefinition, this.taskDefinition.obtainExecutionRole()]) {
      Validations.of(scoped).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "Added by ECS for the execution role: ecr:GetAuthorizationToken has no resource-level permissions (the " +
          "images are public, the permission is CDK's default for registry images).",
      });
    }

    const serviceGroup = new ec2.SecurityGroup(this, "ServiceSecurityGroup", {
      vpc: this.vpc,
      description: "Live host tasks: the port from inside the VPC (the load balancer) only",
      allowAllOutbound: true,
    });
    serviceGroup.addIngressRule(ec2.Peer.ipv4(LIVE_VPC_CIDR), ec2.Port.tcp(LIVE_PORT), "from the NLB");

    this.service = new ecs.FargateService(this, "Service", {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.minTasks ?? 2,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [serviceGroup],
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
    });

    // An internal NLB: TCP passthrough, so nothing between API Gateway and the task buffers the stream.
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, "LoadBalancer", {
      vpc: this.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      crossZoneEnabled: true,
    });
    this.listener = this.loadBalancer.addListener("Http", {
      port: 80,
      protocol: elbv2.Protocol.TCP,
      // API Gateway ends a streamed response at 15 minutes; heartbeats every 10 s keep the flow active anyway.
      tcpIdleTimeout: Duration.minutes(15),
    });
    this.listener.addTargets("Tasks", {
      port: LIVE_PORT,
      protocol: elbv2.Protocol.TCP,
      targets: [this.service.loadBalancerTarget({ containerName: server.containerName, containerPort: LIVE_PORT })],
      // A stopping task closes its streams itself (clients resume with Last-Event-ID).
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { protocol: elbv2.Protocol.HTTP, path: LIVE_HEALTH_PATH, interval: Duration.seconds(10) },
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: "AwsSolutions-ELB2",
      reason:
        "Internal NLB with a TCP listener: NLB access logs exist only for TLS listeners. API Gateway's access log " +
        "records every SSE request (principal, status, latency).",
    });

    this.vpcLink = new apigw.VpcLink(this, "VpcLink", {
      description: "API Gateway → the live host's NLB",
      targets: [this.loadBalancer],
    });

    // Scale on open connections (the EMF metric every task writes each minute), and on CPU for bursts.
    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: props.minTasks ?? 2,
      maxCapacity: props.maxTasks ?? 20,
    });
    this.scaling.scaleToTrackCustomMetric("Connections", {
      metric: new cloudwatch.Metric({
        namespace: LIVE_METRIC.namespace,
        metricName: LIVE_METRIC.name,
        dimensionsMap: { Service: this.queuePrefix },
        statistic: cloudwatch.Stats.AVERAGE,
        period: Duration.minutes(1),
      }),
      targetValue: props.connectionsPerTask ?? 5_000,
      scaleInCooldown: Duration.minutes(10),
      scaleOutCooldown: Duration.minutes(1),
    });
    this.scaling.scaleOnCpuUtilization("Cpu", {
      targetUtilizationPercent: 60,
      scaleInCooldown: Duration.minutes(10),
      scaleOutCooldown: Duration.minutes(1),
    });

    Validations.of(this.forwardSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "The value is copied into the API's integration at deploy: rotating it means redeploying the stack (a new " +
        "value at each replacement of the secret), not a rotation Lambda.",
    });
    Validations.of(this.topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason:
        "The topic carries the same events the bus does, for seconds; a KMS key would have to be shared with every " +
        "per-task queue created at run time. Publishing requires TLS (SNS3 enforced).",
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: "AwsSolutions-ECS2",
      reason:
        "Environment variables are configuration (table name, topic ARN, queue prefix, port); the one secret comes " +
        "from Secrets Manager as an ECS secret.",
    });
  }

  /** Every committed event on `bus` to the topic the tasks' queues subscribe to. */
  feedFrom(bus: events.IEventBus): events.Rule {
    const rule = new events.Rule(this, "FeedRule", {
      eventBus: bus,
      description: "Every committed event to the live host's tasks",
      eventPattern: { source: [EVENT_SOURCE] },
    });
    rule.addTarget(new targets.SnsTopic(this.topic));
    return rule;
  }

  /**
   * The integration of an SSE route (`path` as in ROUTES, e.g. /v1/projects/{projectId}/…): HTTP_PROXY over
   * the VPC link, streamed for up to 15 minutes, with the path parameters and the authorizer's context mapped.
   */
  sseIntegration(path: string, httpMethod: string): apigw.Integration {
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const secret = this.forwardSecret.secretValue.unsafeUnwrap();
    return new apigw.Integration({
      type: apigw.IntegrationType.HTTP_PROXY,
      integrationHttpMethod: httpMethod,
      uri: `http://${this.loadBalancer.loadBalancerDnsName}${path}`,
      options: {
        connectionType: apigw.ConnectionType.VPC_LINK,
        vpcLink: this.vpcLink,
        responseTransferMode: apigw.ResponseTransferMode.STREAM,
        timeout: Duration.minutes(15),
        requestParameters: {
          ...Object.fromEntries(params.map((p) => [`integration.request.path.${p}`, `method.request.path.${p}`])),
          ...Object.fromEntries(
            (Object.keys(AUTHORIZER_CONTEXT) as Array<keyof typeof AUTHORIZER_CONTEXT>).map((k) => [
              `integration.request.header.${FORWARDED_HEADERS[k]}`,
              `context.authorizer.${AUTHORIZER_CONTEXT[k]}`,
            ]),
          ),
          [`integration.request.header.${FORWARDED_HEADERS.requestId}`]: "context.requestId",
          [`integration.request.header.${FORWARDED_HEADERS.secret}`]: `'${secret}'`,
        },
      },
    });
  }
}

/** esbuild, as NodejsFunction bundles the functions: one ESM file for Node 24. */
function bundleService(outputDir: string): void {
  mkdirSync(outputDir, { recursive: true });
  buildSync({
    entryPoints: [ENTRY],
    outfile: `${outputDir}/${BUNDLE_FILE}`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    mainFields: ["module", "main"],
    minify: true,
    sourcemap: "inline",
    sourcesContent: false,
    logLevel: "warning",
    banner: {
      js: "import { createRequire as __cortexCreateRequire } from 'node:module'; const require = __cortexCreateRequire(import.meta.url);",
    },
  });
}
