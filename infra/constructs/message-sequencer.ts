import { Duration } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SEQUENCER_STREAM_FILTER_PATTERN } from "../../shared/store/table.js";
import type { Data } from "./data.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import { createNodeFunction, type BaseEnvironment } from "./node-function.js";

export interface MessageSequencerProps {
  data: Data;
  environment: BaseEnvironment;
}

/**
 * The second consumer of the table stream (the stream publisher is the first): inserted messages get their
 * place in their session's event log, one commit per session and batch (shared/domain/sessions/sequencer.ts).
 */
export class MessageSequencer extends Construct {
  readonly handler: NodejsFunction;
  /** Stream batches the sequencer gave up on. */
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: MessageSequencerProps) {
    super(scope, id);

    this.failures = deadLetterQueue(this, "Failures", "table stream batches the message sequencer gave up on");
    this.handler = createNodeFunction(this, "Handler", {
      entry: "message-sequencer",
      description: "Sequences inserted messages into their session's event log (message.created)",
      environment: props.environment,
    });
    // Reads the session and its messages, commits the root, the events and the stamped messages.
    props.data.grantReadWrite(this.handler);
    this.handler.addEventSource(
      new DynamoEventSource(props.data.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // One batch per shard at a time: a session's messages are sequenced by one writer, in stream order.
        parallelizationFactor: 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        filters: [lambda.FilterCriteria.filter(SEQUENCER_STREAM_FILTER_PATTERN)],
        onFailure: new SqsDlq(this.failures),
      }),
    );
  }
}
