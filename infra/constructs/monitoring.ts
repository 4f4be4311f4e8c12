import { CfnResource, Duration, NestedStack, Stack } from "aws-cdk-lib";
import type * as apigw from "aws-cdk-lib/aws-apigateway";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct, IConstruct } from "constructs";

/** The namespace and dimensions of the metrics the handler kit emits (shared/adapters/lambda/kit.ts). */
export const PRODUCT_METRICS = { namespace: "Cortex", dimensions: ["function", "service"] } as const;

/** Every alarm's threshold, in one place: the runbook (docs) and test/infra/monitoring.test.ts read these. */
export const THRESHOLDS = {
  /** Messages visible in a dead-letter or failure queue (Maximum over 5 minutes). */
  failureQueueMessages: 1,
  /** A function's unhandled errors (Sum over 5 minutes). */
  functionErrors: 1,
  /** A function's throttled invocations (Sum over 5 minutes). */
  functionThrottles: 1,
  /** Age of the oldest stream record a mapping has not processed, ms (Maximum over 5 minutes). */
  iteratorAgeMs: 60_000,
  /** Share of API requests answered 5xx (Average of 5XXError over 5 minutes, 2 periods in a row). */
  api5xxRate: 0.05,
  /** p99 duration of the API function, ms (5 minutes, 3 periods in a row). */
  apiLatencyP99Ms: 3_000,
  /** Webhook delivery attempts that failed (Sum over 15 minutes). */
  webhookDeliveryFailures: 10,
} as const;

/** A log line of the webhook deliverer (functions/webhook-deliver.ts) for an attempt that did not succeed. */
const FAILED_DELIVERY_PATTERN = logs.FilterPattern.all(
  logs.FilterPattern.stringValue("$.message", "=", "delivery attempt"),
  logs.FilterPattern.booleanValue("$.ok", false),
);

export interface MonitoredResources {
  /** Every function (an alarm each on errors and throttles). */
  functions: lambda.IFunction[];
  /** Functions reading a DynamoDB stream (an alarm each on iterator age). */
  streamConsumers: lambda.IFunction[];
  /** Queues that hold failures: dead-letter queues and on-failure destinations (an alarm each on any message). */
  failureQueues: sqs.IQueue[];
  api: { restApi: apigw.RestApi; handler: lambda.IFunction };
  /** The webhook deliverer's log group: failed attempts are counted from its "delivery attempt" lines. */
  webhookDeliveryLogs: logs.ILogGroup;
}

export interface MonitoringProps {
  resources: MonitoredResources;
  /** An address subscribed to the alert topic (context `alarmEmail`). @default no subscription */
  alarmEmail?: string;
}

/**
 * Alarms, the alert topic and the dashboard, in a nested stack of their own (the root stack stays far
 * from CloudFormation's 500-resource limit; every alarm is one resource). Build the list of what to watch
 * with `monitoredResources(stack)`, so a new function or failure queue is watched without anyone
 * remembering to add it.
 */
export class Monitoring extends NestedStack {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, by the id it was created with. */
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id, { description: "Cortex alarms, alert topic and dashboard" });
    const { resources } = props;

    // Alarms publish to the topic: its key must let CloudWatch use it (the AWS managed SNS key cannot).
    const key = new kms.Key(this, "AlertKey", {
      description: "Encrypts the Cortex alert topic",
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": this.account } },
      }),
    );
    this.topic = new sns.Topic(this, "Alerts", { displayName: "Cortex alerts", masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

    const alarms: Record<string, cloudwatch.Alarm> = {};
    const alarm = (
      alarmId: string,
      description: string,
      options: cloudwatch.CreateAlarmOptions & { metric: cloudwatch.IMetric },
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      alarms[alarmId] = created;
      return created;
    };
    const fiveMinutes = Duration.minutes(5);

    for (const queue of resources.failureQueues) {
      alarm(`${nameOf(queue)}Messages`, `A failure queue holds messages (${queue.node.path}): see the runbook`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: "Maximum" }),
        threshold: THRESHOLDS.failureQueueMessages,
        evaluationPeriods: 1,
      });
    }
    for (const fn of resources.functions) {
      alarm(`${nameOf(fn)}Errors`, `Function errors (${fn.node.path})`, {
        metric: fn.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
        threshold: THRESHOLDS.functionErrors,
        evaluationPeriods: 1,
      });
      alarm(`${nameOf(fn)}Throttles`, `Function throttled (${fn.node.path})`, {
        metric: fn.metricThrottles({ period: fiveMinutes, statistic: "Sum" }),
        threshold: THRESHOLDS.functionThrottles,
        evaluationPeriods: 1,
      });
    }
    const iteratorAge = (fn: lambda.IFunction) =>
      fn.metric("IteratorAge", { period: fiveMinutes, statistic: "Maximum" });
    for (const fn of resources.streamConsumers) {
      alarm(`${nameOf(fn)}IteratorAge`, `The stream consumer falls behind (${fn.node.path})`, {
        metric: iteratorAge(fn),
        threshold: THRESHOLDS.iteratorAgeMs,
        evaluationPeriods: 1,
      });
    }
    const { restApi, handler } = resources.api;
    const api5xx = restApi.metricServerError({ period: fiveMinutes, statistic: "Average" });
    alarm("Api5xxRate", "The API answers 5xx to more than 5% of requests", {
      metric: api5xx,
      threshold: THRESHOLDS.api5xxRate,
      evaluationPeriods: 2,
    });
    // The API function's duration, not API Gateway's Latency: the stage also carries SSE streams, which
    // stay open for minutes by design.
    const apiDuration = handler.metricDuration({ period: fiveMinutes, statistic: "p99" });
    alarm("ApiLatencyP99", "The API function's p99 duration is high", {
      metric: apiDuration,
      threshold: THRESHOLDS.apiLatencyP99Ms,
      evaluationPeriods: 3,
    });
    const failedDeliveries = new logs.MetricFilter(this, "WebhookDeliveryFailureFilter", {
      logGroup: resources.webhookDeliveryLogs,
      filterPattern: FAILED_DELIVERY_PATTERN,
      metricNamespace: PRODUCT_METRICS.namespace,
      metricName: "webhookDeliveryFailures",
      metricValue: "1",
      unit: cloudwatch.Unit.COUNT,
    }).metric({ period: Duration.minutes(15), statistic: "Sum" });
    alarm("WebhookDeliveryFailures", "Webhook deliveries to subscribers' endpoints are failing", {
      metric: failedDeliveries,
      threshold: THRESHOLDS.webhookDeliveryFailures,
      evaluationPeriods: 1,
    });
    this.alarms = alarms;

    // ── The dashboard: the product's own metrics first, then the platform's ───────────────────────────
    const search = (metric: string, statistic: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${PRODUCT_METRICS.namespace},${PRODUCT_METRICS.dimensions.join(",")}} MetricName="${metric}"', '${statistic}', 300)`,
        label,
        usingMetrics: {},
        period: fiveMinutes,
      });
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: "Invocations by function (Cortex/invocations)",
            left: [search("invocations", "Sum", "")],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: "Failures by function (Cortex/errors)",
            left: [search("errors", "Sum", "")],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: "Handler latency p99 by function, ms (Cortex/latency)",
            left: [search("latency", "p99", "")],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: "API requests and errors",
            left: [
              restApi.metricCount({ period: fiveMinutes }),
              restApi.metricClientError({ period: fiveMinutes, statistic: "Sum" }),
              restApi.metricServerError({ period: fiveMinutes, statistic: "Sum" }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: "API function duration, ms",
            left: [handler.metricDuration({ period: fiveMinutes, statistic: "p50" }), apiDuration],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: "Webhook delivery attempts failed",
            left: [failedDeliveries],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Failure queues: messages visible",
            left: resources.failureQueues.map((q) =>
              q.metricApproximateNumberOfMessagesVisible({
                period: fiveMinutes,
                statistic: "Maximum",
                label: nameOf(q),
              }),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: "Stream iterator age, ms",
            left: resources.streamConsumers.map((fn) =>
              fn.metric("IteratorAge", { period: fiveMinutes, statistic: "Maximum", label: nameOf(fn) }),
            ),
            width: 12,
          }),
        ],
        [
          new cloudwatch.AlarmStatusWidget({
            title: "Alarms",
            alarms: Object.values(alarms),
            width: 24,
            height: 8,
          }),
        ],
      ],
    });
  }
}

/**
 * What the monitoring watches, found by walking the stack (nested stacks excluded): every Lambda
 * function; the functions with a DynamoDB stream mapping; and every queue something sends its failures to
 * (another queue's redrive target, an event source mapping's or async invoke's on-failure destination, an
 * EventBridge target's dead-letter queue).
 */
export function monitoredResources(
  stack: Stack,
  api: MonitoredResources["api"],
  webhookDeliveryLogs: logs.ILogGroup,
): MonitoredResources {
  const constructs = ownConstructs(stack);
  const functions = constructs.filter((c): c is lambda.Function => c instanceof lambda.Function);
  const streamConsumers = functions.filter((fn) =>
    fn.node.children.some(
      (child) =>
        child instanceof lambda.EventSourceMapping &&
        (child.node.defaultChild as lambda.CfnEventSourceMapping).startingPosition !== undefined,
    ),
  );

  // Where failures are sent, as resolved references (the same form a queue's ARN resolves to).
  const destinations = new Set<string>();
  const add = (value: unknown) => {
    if (value !== undefined) destinations.add(JSON.stringify(stack.resolve(value)));
  };
  for (const c of constructs) {
    if (!(c instanceof CfnResource)) continue;
    const resolved = stack.resolve((c as unknown as { _toCloudFormation(): unknown })._toCloudFormation()) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    for (const resource of Object.values(resolved.Resources)) {
      const p = resource.Properties ?? {};
      switch (resource.Type) {
        case "AWS::SQS::Queue":
          add((p.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn);
          break;
        case "AWS::Lambda::EventSourceMapping":
        case "AWS::Lambda::EventInvokeConfig":
          add((p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination);
          break;
        case "AWS::Events::Rule":
          for (const target of (p.Targets as Array<{ DeadLetterConfig?: { Arn?: unknown } }> | undefined) ?? [])
            add(target.DeadLetterConfig?.Arn);
          break;
        case "AWS::Scheduler::Schedule":
          add((p.Target as { DeadLetterConfig?: { Arn?: unknown } } | undefined)?.DeadLetterConfig?.Arn);
          break;
      }
    }
  }
  const failureQueues = constructs.filter(
    (c): c is sqs.Queue => c instanceof sqs.Queue && destinations.has(JSON.stringify(stack.resolve(c.queueArn))),
  );
  return { functions, streamConsumers, failureQueues, api, webhookDeliveryLogs };
}

/** The constructs of `stack` itself, not of its nested stacks. */
function ownConstructs(stack: Stack): IConstruct[] {
  const found: IConstruct[] = [];
  const visit = (c: IConstruct) => {
    found.push(c);
    for (const child of c.node.children) if (!(child instanceof Stack)) visit(child);
  };
  visit(stack);
  return found;
}

/** A readable, unique id from the construct's path under its stack ("Events/Mailer" → "EventsMailer"). */
function nameOf(c: IConstruct): string {
  const path = c.node.path.split("/").slice(1).join("");
  return path.replace(/[^A-Za-z0-9]/g, "");
}
