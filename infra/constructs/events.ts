import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { EVENT_SOURCE } from "../../shared/kernel/envelope.js";
import { CONSUMERS, RULES } from "../../shared/events/rules.js";
import { STREAM_FILTER_PATTERN } from "../../shared/store/table.js";
import type { Data } from "./data.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import type { Mail } from "./mail.js";
import { createNodeFunction, ruleTargetRetries, type BaseEnvironment, type ExtraEnvironment } from "./node-function.js";
import type { Scheduling } from "./scheduling.js";
import type { Webhooks } from "./webhooks.js";

type ConsumerName = keyof typeof CONSUMERS;
type ConsumerEntry<K extends ConsumerName> = (typeof CONSUMERS)[K]["entry"];

/** What the consumers' grants draw on. */
export interface ConsumerResources {
  data: Data;
  mail: Mail;
  /** The SES identity (domain or address) the mailer sends as. */
  mailIdentity: string;
  scheduling: Scheduling;
  webhooks: Webhooks;
}

/**
 * What each consumer may touch. Keyed by `CONSUMERS`, so a consumer added in shared/ does not compile
 * here until its permissions are decided.
 */
const CONSUMER_GRANTS: { [K in ConsumerName]: (fn: lambda.IFunction, resources: ConsumerResources) => void } = {
  activityRecorder: (fn, { data }) => data.grantWrite(fn),
  // Records each delivery (per-recipient dedupe) and reads, or creates on first use, the RSVP signing key.
  mailer: (fn, { data, mail, mailIdentity }) => {
    data.grantReadWrite(fn);
    mail.grantSendEmail(fn, mailIdentity);
  },
  // Reads the session, its annotations and the invitations; claims and records each delivery.
  summaryMailer: (fn, { data, mail, mailIdentity }) => {
    data.grantReadWrite(fn);
    mail.grantSendEmail(fn, mailIdentity);
  },
  // Re-reads the gathering; the schedules live in EventBridge Scheduler, not in the table.
  schedulerSync: (fn, { data, scheduling }) => {
    data.grantRead(fn);
    scheduling.grantManageSchedules(fn);
  },
  // Reads the project's endpoints, writes a fan-out marker per endpoint and event after queueing.
  webhookFanout: (fn, { data, webhooks }) => {
    data.grantReadWrite(fn);
    webhooks.grantEnqueue(fn);
  },
};

/** Each consumer's variables beyond `BASE_ENV` (its `FUNCTION_ENV` entry). */
export type ConsumerEnvironments = {
  readonly [K in ConsumerName]: ExtraEnvironment<ConsumerEntry<K>>;
};

export interface EventsProps {
  /** The `BASE_ENV` values; the stream publisher gets the bus name from this construct. */
  environment: BaseEnvironment;
  consumerEnvironments: ConsumerEnvironments;
  resources: ConsumerResources;
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
  /** The rule of each `RULES` entry, by its id. */
  readonly rules: Readonly<Record<string, events.Rule>>;
  private readonly consumerFailures = new Map<ConsumerName, sqs.Queue>();

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);

    this.bus = new events.EventBus(this, "Bus", { description: "Domain events of the gatherings backend" });

    this.archive = new events.Archive(this, "Archive", {
      sourceEventBus: this.bus,
      description: `Every ${EVENT_SOURCE} event, kept for replay`,
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(30),
    });

    this.publisherFailures = deadLetterQueue(
      this,
      "PublisherFailures",
      "table stream batches the publisher gave up on",
    );
    this.publisher = createNodeFunction(this, "StreamPublisher", {
      entry: "stream-publisher",
      description: "Forwards inserted event items from the table stream to EventBridge",
      environment: { ...props.environment, eventBusName: this.bus.eventBusName },
    });
    this.bus.grantPutEventsTo(this.publisher);
    // One batch per shard at a time: a failing record holds back the rest of its shard, so the events of an
    // aggregate reach the bus in version order.
    props.resources.data.addStreamConsumer(this.publisher, STREAM_FILTER_PATTERN, this.publisherFailures);

    const consumers = {} as Record<ConsumerName, NodejsFunction>;
    for (const name of Object.keys(CONSUMERS) as ConsumerName[]) {
      consumers[name] = this.createConsumer(name, props);
    }
    this.consumers = consumers;

    const rules: Record<string, events.Rule> = {};
    for (const rule of RULES) {
      const consumer = CONSUMERS[rule.consumer];
      const fn = consumers[rule.consumer];
      rules[rule.id] = new events.Rule(this, `Rule-${rule.id}`, {
        eventBus: this.bus,
        description: rule.description,
        // The shared pattern is already in EventBridge's JSON form ("detail-type", matchers); CDK renders
        // pattern keys as given, so the deployed pattern is the one the local router evaluates.
        eventPattern: rule.pattern as events.EventPattern,
        targets: [
          new targets.LambdaFunction(fn, {
            ...ruleTargetRetries(consumer.entry),
            deadLetterQueue: this.failuresOf(rule.consumer),
          }),
        ],
      });
    }
    this.rules = rules;
  }

  /** One queue per consumer holds what never reached it (EventBridge) and what it failed on (Lambda). */
  private failuresOf(name: ConsumerName): sqs.Queue {
    let queue = this.consumerFailures.get(name);
    if (!queue) {
      queue = deadLetterQueue(
        this,
        `${capitalize(name)}Failures`,
        `events that never reached ${CONSUMERS[name].entry}, or that it failed on after its retries`,
      );
      this.consumerFailures.set(name, queue);
    }
    return queue;
  }

  private createConsumer<K extends ConsumerName>(name: K, props: EventsProps): NodejsFunction {
    const consumer = CONSUMERS[name];
    const entry: ConsumerEntry<K> = consumer.entry;
    const fn = createNodeFunction<ConsumerEntry<K>>(this, capitalize(name), {
      entry,
      description: consumer.description,
      environment: { ...props.environment, ...props.consumerEnvironments[name] },
      // EventBridge invokes asynchronously: its retry policy covers delivery, while a handler error is
      // retried by Lambda's async invoke (FUNCTIONS) and then lands in the same queue.
      onFailure: this.failuresOf(name),
    });
    CONSUMER_GRANTS[name](fn, props.resources);
    return fn;
  }
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
