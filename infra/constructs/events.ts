import { Duration, Validations } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { EVENT_SOURCE } from "../../shared/events/envelope.js";
import { CONSUMERS, RULES } from "../../shared/events/rules.js";
import { STREAM_FILTER_PATTERN } from "../../shared/store/table.js";
import type { Data } from "./data.js";
import { createNodeFunction, type FunctionEnvironment } from "./node-function.js";

type ConsumerName = keyof typeof CONSUMERS;

/**
 * What each consumer may touch. Keyed by `CONSUMERS`, so a consumer added in shared/ does not compile
 * here until its permissions are decided.
 */
const CONSUMER_GRANTS: { [K in ConsumerName]: (fn: lambda.IFunction, data: Data) => void } = {
  activityRecorder: (fn, data) => data.grantWrite(fn),
};

export interface EventsProps {
  data: Data;
  /** The variables of every function except the bus name, which this construct provides. */
  environment: Omit<FunctionEnvironment, "eventBusName">;
  /** How long EventBridge keeps every published event for replay. @default 30 days */
  archiveRetention?: Duration;
}

/**
 * The event backbone: the custom bus and its archive, the stream publisher that turns inserted event
 * items into PutEvents, and one rule per `RULES` entry targeting that consumer's function.
 */
export class Events extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  readonly publisher: NodejsFunction;
  readonly publisherFailures: sqs.Queue;
  readonly consumers: Readonly<Record<ConsumerName, NodejsFunction>>;
  /** `props.environment` plus the bus name: the environment of every function in the stack. */
  readonly functionEnvironment: FunctionEnvironment;
  private readonly consumerFailures = new Map<ConsumerName, sqs.Queue>();

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);

    this.bus = new events.EventBus(this, "Bus", { description: "Domain events of the gatherings backend" });
    this.functionEnvironment = { ...props.environment, eventBusName: this.bus.eventBusName };

    this.archive = new events.Archive(this, "Archive", {
      sourceEventBus: this.bus,
      description: `Every ${EVENT_SOURCE} event, kept for replay`,
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(30),
    });

    this.publisherFailures = deadLetterQueue(this, "PublisherFailures");
    this.publisher = createNodeFunction(this, "StreamPublisher", {
      entry: "stream-publisher",
      description: "Forwards inserted event items from the table stream to EventBridge",
      environment: this.functionEnvironment,
      timeout: Duration.seconds(60),
    });
    this.bus.grantPutEventsTo(this.publisher);
    this.publisher.addEventSource(
      new DynamoEventSource(props.data.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // One batch per shard at a time: a failing record holds back the rest of its shard, so the events of
        // an aggregate reach the bus in version order.
        parallelizationFactor: 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        filters: [lambda.FilterCriteria.filter(STREAM_FILTER_PATTERN)],
        onFailure: new SqsDlq(this.publisherFailures),
      }),
    );

    const consumers = {} as Record<ConsumerName, NodejsFunction>;
    for (const name of Object.keys(CONSUMERS) as ConsumerName[]) {
      consumers[name] = this.createConsumer(name, props.data);
    }
    this.consumers = consumers;

    for (const rule of RULES) {
      const consumer = CONSUMERS[rule.consumer];
      const fn = consumers[rule.consumer];
      new events.Rule(this, `Rule-${rule.id}`, {
        eventBus: this.bus,
        description: rule.description,
        // The shared pattern is already in EventBridge's JSON form ("detail-type", matchers); CDK renders
        // pattern keys as given, so the deployed pattern is the one the local router evaluates.
        eventPattern: rule.pattern as events.EventPattern,
        targets: [
          new targets.LambdaFunction(fn, {
            retryAttempts: consumer.deliveryRetryAttempts,
            maxEventAge: Duration.hours(24),
            deadLetterQueue: this.failuresOf(rule.consumer),
          }),
        ],
      });
    }
  }

  /** One queue per consumer holds what never reached it (EventBridge) and what it failed on (Lambda). */
  private failuresOf(name: ConsumerName): sqs.Queue {
    let queue = this.consumerFailures.get(name);
    if (!queue) {
      queue = deadLetterQueue(this, `${capitalize(name)}Failures`);
      this.consumerFailures.set(name, queue);
    }
    return queue;
  }

  private createConsumer(name: ConsumerName, data: Data): NodejsFunction {
    const consumer = CONSUMERS[name];
    const fn = createNodeFunction(this, capitalize(name), {
      entry: consumer.entry,
      description: consumer.description,
      environment: this.functionEnvironment,
      timeout: Duration.seconds(consumer.timeoutSeconds),
    });
    CONSUMER_GRANTS[name](fn, data);
    // EventBridge invokes asynchronously: its retry policy covers delivery, while a handler error is
    // retried by Lambda's async invoke (at most 2 times) and then lands in the same queue.
    fn.configureAsyncInvoke({
      retryAttempts: consumer.handlerRetryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.failuresOf(name)),
    });
    return fn;
  }
}

function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: "AwsSolutions-SQS3",
    reason: "This queue is itself a dead-letter queue (failed stream batches or undeliverable events).",
  });
  return queue;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
