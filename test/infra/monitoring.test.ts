import { Template } from "aws-cdk-lib/assertions";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { describe, expect, it } from "vitest";
import { THRESHOLDS } from "../../infra/constructs/monitoring.js";
import { functionsOf, synthesize, unacknowledgedFindings } from "./stack.js";

/** The stack without bundling (the alarms do not depend on the bundles), with an alarm address. */
const { app, stack } = synthesize({ alarmEmail: "ops@example.com" }, "Cortex", { bundle: false });
const template = Template.fromStack(stack.monitoring);

interface AlarmProps {
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Threshold: number;
  EvaluationPeriods: number;
  Period?: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: unknown[];
  Dimensions?: Array<{ Name: string; Value: unknown }>;
}
const alarms = Object.entries(template.findResources("AWS::CloudWatch::Alarm")).map(
  ([id, r]) => [id, (r as { Properties: AlarmProps }).Properties] as const,
);
const byId = Object.fromEntries(alarms);

/** Every alarm's logical id with its metric, statistic and threshold: the list the runbook documents. */
const listing = alarms
  .map(
    ([id, p]) =>
      `${id.replace(/[0-9A-F]{8}$/, "")}: ${p.Namespace}/${p.MetricName} ${p.Statistic ?? p.ExtendedStatistic} ` +
      `>= ${p.Threshold} x${p.EvaluationPeriods}`,
  )
  .sort();

function alarmsOf(suffix: string): Array<readonly [string, AlarmProps]> {
  return alarms.filter(([id]) => id.replace(/[0-9A-F]{8}$/, "").endsWith(suffix));
}

describe("monitoring: alarms", () => {
  it("lists every alarm with its threshold", () => {
    // Printed so the runbook and the review see the full list; the assertions below pin each kind.
    console.log(listing.join("\n"));
    expect(listing.length).toBe(alarms.length);
  });

  it("alarms on any message in every dead-letter and failure queue", () => {
    const queues = stack.node.findAll().filter((c): c is sqs.Queue => c instanceof sqs.Queue);
    const failureQueues = queues.filter((q) => /Failures|DeadLetters|DeadLetter|Dlq/i.test(q.node.id));
    expect(failureQueues.length).toBeGreaterThanOrEqual(10);
    const watched = alarmsOf("Messages");
    // One alarm per failure queue, and none on a work queue (those hold messages by design).
    expect(watched).toHaveLength(failureQueues.length);
    for (const [, p] of watched) {
      expect(p).toMatchObject({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Statistic: "Maximum",
        Threshold: THRESHOLDS.failureQueueMessages,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        EvaluationPeriods: 1,
      });
    }
  });

  it("alarms on errors and throttles of every function", () => {
    const functions = stack.node.findAll().filter((c) => c instanceof lambda.Function);
    expect(functions.length).toBeGreaterThanOrEqual(functionsOf(stack).length);
    for (const [suffix, metric, threshold] of [
      ["Errors", "Errors", THRESHOLDS.functionErrors],
      ["Throttles", "Throttles", THRESHOLDS.functionThrottles],
    ] as const) {
      const found = alarmsOf(suffix).filter(([, p]) => p.Namespace === "AWS/Lambda");
      expect(found).toHaveLength(functions.length);
      for (const [, p] of found)
        expect(p).toMatchObject({ MetricName: metric, Statistic: "Sum", Threshold: threshold });
    }
  });

  it("alarms on the iterator age of each DynamoDB stream consumer", () => {
    const found = alarmsOf("IteratorAge");
    // The stream publisher and the message sequencer read the table's stream.
    expect(found).toHaveLength(2);
    for (const [, p] of found) {
      expect(p).toMatchObject({
        Namespace: "AWS/Lambda",
        MetricName: "IteratorAge",
        Statistic: "Maximum",
        Threshold: THRESHOLDS.iteratorAgeMs,
      });
    }
  });

  it("alarms on the API's 5xx rate and its function's p99 duration", () => {
    expect(alarmsOf("Api5xxRate")[0]?.[1]).toMatchObject({
      Namespace: "AWS/ApiGateway",
      MetricName: "5XXError",
      Statistic: "Average",
      Threshold: THRESHOLDS.api5xxRate,
      EvaluationPeriods: 2,
    });
    expect(alarmsOf("ApiLatencyP99")[0]?.[1]).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Duration",
      ExtendedStatistic: "p99",
      Threshold: THRESHOLDS.apiLatencyP99Ms,
      EvaluationPeriods: 3,
    });
  });

  it("counts failed webhook delivery attempts from the deliverer's log lines and alarms on them", () => {
    template.hasResourceProperties("AWS::Logs::MetricFilter", {
      FilterPattern: '{ ($.message = "delivery attempt") && ($.ok IS FALSE) }',
      MetricTransformations: [{ MetricNamespace: "Cortex", MetricName: "webhookDeliveryFailures", MetricValue: "1" }],
    });
    expect(alarmsOf("WebhookDeliveryFailures")[0]?.[1]).toMatchObject({
      Namespace: "Cortex",
      MetricName: "webhookDeliveryFailures",
      Statistic: "Sum",
      Period: 900,
      Threshold: THRESHOLDS.webhookDeliveryFailures,
    });
  });

  it("sends every alarm, and its recovery, to the one alert topic", () => {
    template.resourceCountIs("AWS::SNS::Topic", 1);
    const topic = Object.keys(template.findResources("AWS::SNS::Topic"))[0]!;
    for (const [, p] of alarms) {
      expect(p.AlarmActions).toEqual([{ Ref: topic }]);
      expect(p.TreatMissingData).toBe("notBreaching");
    }
    expect(Object.keys(byId).length).toBeGreaterThan(0);
  });

  it("subscribes the alarmEmail address, encrypts the topic with a rotated key and refuses plain HTTP", () => {
    template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com" });
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: {} });
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: [{ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }],
      },
    });
  });

  it("has no subscription when no address is given", () => {
    const bare = synthesize({}, "Bare", { bundle: false });
    Template.fromStack(bare.stack.monitoring).resourceCountIs("AWS::SNS::Subscription", 0);
  });
});

describe("monitoring: dashboard", () => {
  it("graphs the handler kit's metrics (Cortex namespace) for every function, the API and the failure queues", () => {
    const dashboards = template.findResources("AWS::CloudWatch::Dashboard");
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(stack.monitoring.resolve(Object.values(dashboards)[0]!.Properties.DashboardBody));
    for (const metric of ["invocations", "errors", "latency"]) {
      expect(body).toContain(`SEARCH('{Cortex,function,service} MetricName=\\\\\\"${metric}\\\\\\"'`);
    }
    for (const fragment of ["AWS/ApiGateway", "5XXError", "ApproximateNumberOfMessagesVisible", "IteratorAge"]) {
      expect(body).toContain(fragment);
    }
  });
});

describe("monitoring: the root stack", () => {
  it("adds one resource to the root stack (the nested stack), far from the 500 limit", () => {
    const root = Template.fromStack(stack);
    root.resourceCountIs("AWS::CloudFormation::Stack", 1);
    root.resourceCountIs("AWS::CloudWatch::Alarm", 0);
    const count = Object.keys(root.toJSON().Resources as object).length;
    expect(count).toBeLessThan(450);
  });

  it("leaves no unacknowledged cdk-nag finding", () => {
    expect(unacknowledgedFindings(app)).toEqual([]);
  });
});
