import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { TABLE } from "../../shared/store/table.js";

export interface DataProps {
  /** Refuse `DeleteTable` until turned off. */
  deletionProtection: boolean;
}

/**
 * What the store adapter calls (shared/adapters/aws/dynamodb-store.ts). TransactWriteItems and
 * TransactGetItems are authorized per item by these same actions. No Scan: nothing scans the table.
 */
const READ_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:ConditionCheckItem",
] as const;
const WRITE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
] as const;

/** An item action the store adapter calls. */
export type TableItemAction = (typeof READ_ACTIONS)[number] | (typeof WRITE_ACTIONS)[number];

/** The single table, built from `TABLE` (the same definition the local runtime creates). */
export class Data extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);

    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      stream: dynamodb.StreamViewType[TABLE.stream],
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection,
      // The table is the system of record (domain items and the event log): it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const index of TABLE.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /**
   * Item reads on the table and its declared indexes. Index ARNs are named one by one (CDK's own
   * `grantReadData` would grant `index/*`).
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...READ_ACTIONS],
      resourceArns: [
        this.table.tableArn,
        ...TABLE.globalSecondaryIndexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`),
      ],
    });
  }

  /** Item writes (indexes are maintained by DynamoDB and need no grant). */
  grantWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: [...WRITE_ACTIONS], resourceArns: [this.table.tableArn] });
  }

  /**
   * Only these item actions, on the table itself (no index): for a consumer whose store calls are few and
   * known, e.g. a plugin that gets and queries a session's items and puts annotations (a single conditional
   * put is a PutItem, see DynamoDbStore.transact).
   */
  grantItemActions(grantee: iam.IGrantable, actions: readonly TableItemAction[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [this.table.tableArn] });
  }

  /**
   * A consumer of the table's stream, filtered to inserted items of one kind: one batch per shard at a time
   * (a partition's records in order — an aggregate's events, a session's messages), partial batch failures
   * retried, bisected, bounded in attempts and age, then kept in `failures`. At most two consumers read a
   * stream (the publisher and the sequencer).
   */
  addStreamConsumer(fn: lambda.IFunction, filterPattern: Record<string, unknown>, failures: sqs.IQueue): void {
    fn.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        parallelizationFactor: 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        filters: [lambda.FilterCriteria.filter(filterPattern)],
        onFailure: new SqsDlq(failures),
      }),
    );
  }

  grantReadWrite(grantee: iam.IGrantable): void {
    this.grantRead(grantee);
    this.grantWrite(grantee);
  }
}
