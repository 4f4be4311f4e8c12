/**
 * Messages persisted as items in a DynamoDB table of their own, so they survive a restart of the local
 * runtime. One partition per queue:
 *
 *   PK = QUEUE#{name}   SK = {messageId}
 *
 * An item carries the message as sent (body, attributes, their MD5s, `sentAt`) and its delivery state:
 * `visibleAt` (epoch ms from which it may be received: the send time plus DelaySeconds, then the end of
 * each visibility timeout), `receiveCount`, `firstReceivedAt` and the `receiptHandle` of its latest
 * receive. A receive is a conditional update on the state it read, so two receivers never both get a
 * message; delete and visibility changes are conditional on the receipt handle, so a stale handle never
 * touches a message that has been received again.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { conditionalWrite, isConditionFailure } from "../dynamodb/conditional-write.js";
import { ensureActiveTable } from "../dynamodb/ensure-table.js";

const MARSHALL = { removeUndefinedValues: true } as const;

export interface MessageItem {
  PK: string;
  SK: string;
  queue: string;
  messageId: string;
  body: string;
  md5OfBody: string;
  /** JSON of the MessageAttributes as sent (binary values base64). */
  messageAttributes?: string;
  md5OfMessageAttributes?: string;
  traceHeader?: string;
  /** Set on a message that was moved here by a redrive policy: the ARN of the queue it came from. */
  deadLetterSourceArn?: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

export const queueKey = (queue: string) => `QUEUE#${queue}`;

/** Oldest first, as a standard queue roughly delivers (best-effort ordering). */
export function bySentAt(a: MessageItem, b: MessageItem): number {
  return a.sentAt - b.sentAt || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);
}

export class MessageTable {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** Creates the table if it does not exist (PK/SK string keys, on-demand) and waits until it is ACTIVE. */
  ensureTable(): Promise<void> {
    return ensureActiveTable(this.client, {
      TableName: this.tableName,
      AttributeDefinitions: [
        { AttributeName: "PK", AttributeType: "S" },
        { AttributeName: "SK", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "PK", KeyType: "HASH" },
        { AttributeName: "SK", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    });
  }

  async put(item: MessageItem): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(item, MARSHALL),
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": "PK" },
      }),
    );
  }

  async get(queue: string, messageId: string): Promise<MessageItem | undefined> {
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({ PK: queueKey(queue), SK: messageId }),
        ConsistentRead: true,
      }),
    );
    return result.Item ? (unmarshall(result.Item) as MessageItem) : undefined;
  }

  private async queryAll(
    queue: string,
    input: Omit<QueryCommandInput, "TableName" | "KeyConditionExpression" | "ExclusiveStartKey">,
    stopAfter = Infinity,
  ): Promise<MessageItem[]> {
    const items: MessageItem[] = [];
    let startKey: QueryCommandInput["ExclusiveStartKey"];
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          ...input,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { ...input.ExpressionAttributeNames, "#pk": "PK" },
          ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ...marshall({ ":pk": queueKey(queue) }) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of page.Items ?? []) items.push(unmarshall(raw) as MessageItem);
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < stopAfter);
    return items;
  }

  /** Messages of a queue that may be received at `nowMs`, oldest first. */
  async listVisible(queue: string, nowMs: number): Promise<MessageItem[]> {
    const items = await this.queryAll(queue, {
      FilterExpression: "#visible <= :now",
      ExpressionAttributeNames: { "#visible": "visibleAt" },
      ExpressionAttributeValues: marshall({ ":now": nowMs }),
    });
    return items.sort(bySentAt);
  }

  async hasVisible(queue: string, nowMs: number): Promise<boolean> {
    const items = await this.queryAll(
      queue,
      {
        FilterExpression: "#visible <= :now",
        ProjectionExpression: "#visible",
        ExpressionAttributeNames: { "#visible": "visibleAt" },
        ExpressionAttributeValues: marshall({ ":now": nowMs }),
      },
      1,
    );
    return items.length > 0;
  }

  /** Delivery state of every message of a queue (for the Approximate… queue attributes). */
  listStates(queue: string): Promise<Array<Pick<MessageItem, "visibleAt" | "receiveCount">>> {
    return this.queryAll(queue, {
      ProjectionExpression: "#visible, #count",
      ExpressionAttributeNames: { "#visible": "visibleAt", "#count": "receiveCount" },
    });
  }

  /**
   * Receives a message: succeeds only if it is unchanged since it was read (same receive count and
   * visibility), so exactly one receiver gets it. Returns the message as received.
   */
  async claim(
    item: MessageItem,
    receiptHandle: string,
    visibleAt: number,
    nowMs: number,
  ): Promise<MessageItem | undefined> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ PK: item.PK, SK: item.SK }),
          UpdateExpression:
            "SET #visible = :visible, #count = #count + :one, #handle = :handle, #first = if_not_exists(#first, :now)",
          ConditionExpression: "#count = :seenCount AND #visible = :seenVisible",
          ExpressionAttributeNames: {
            "#visible": "visibleAt",
            "#count": "receiveCount",
            "#handle": "receiptHandle",
            "#first": "firstReceivedAt",
          },
          ExpressionAttributeValues: marshall({
            ":visible": visibleAt,
            ":one": 1,
            ":handle": receiptHandle,
            ":now": nowMs,
            ":seenCount": item.receiveCount,
            ":seenVisible": item.visibleAt,
          }),
          ReturnValues: "ALL_NEW",
        }),
      );
      return result.Attributes ? (unmarshall(result.Attributes) as MessageItem) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Redrive: moves a message, unchanged since it was read, to the dead-letter queue in one transaction.
   * It keeps its id, body, attributes and SentTimestamp; its receive count starts over there.
   */
  async moveToDeadLetterQueue(
    item: MessageItem,
    deadLetterQueue: string,
    sourceArn: string,
    nowMs: number,
  ): Promise<boolean> {
    const moved: MessageItem = {
      PK: queueKey(deadLetterQueue),
      SK: item.messageId,
      queue: deadLetterQueue,
      messageId: item.messageId,
      body: item.body,
      md5OfBody: item.md5OfBody,
      ...(item.messageAttributes !== undefined && {
        messageAttributes: item.messageAttributes,
        md5OfMessageAttributes: item.md5OfMessageAttributes,
      }),
      ...(item.traceHeader !== undefined && { traceHeader: item.traceHeader }),
      deadLetterSourceArn: sourceArn,
      sentAt: item.sentAt,
      visibleAt: nowMs,
      receiveCount: 0,
    };
    return this.move(item, moved);
  }

  /** Moves a message, unchanged since it was read, to where `moved` says, in one transaction. */
  private move(item: MessageItem, moved: MessageItem): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: marshall({ PK: item.PK, SK: item.SK }),
                ConditionExpression: "#count = :seenCount AND #visible = :seenVisible",
                ExpressionAttributeNames: { "#count": "receiveCount", "#visible": "visibleAt" },
                ExpressionAttributeValues: marshall({
                  ":seenCount": item.receiveCount,
                  ":seenVisible": item.visibleAt,
                }),
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: marshall(moved, MARSHALL),
                ConditionExpression: "attribute_not_exists(#pk)",
                ExpressionAttributeNames: { "#pk": "PK" },
              },
            },
          ],
        }),
      ),
    );
  }

  /** Every message of a queue, oldest first (StartMessageMoveTask). */
  async listAll(queue: string): Promise<MessageItem[]> {
    return (await this.queryAll(queue, {})).sort(bySentAt);
  }

  /**
   * A dead-letter queue redrive (StartMessageMoveTask): moves a message, unchanged since it was read, to
   * `queue` in one transaction; it keeps its id, body and attributes and is visible there at once, with its
   * receive count started over.
   */
  async moveBack(item: MessageItem, queue: string, nowMs: number): Promise<boolean> {
    const { deadLetterSourceArn: _source, receiptHandle: _handle, firstReceivedAt: _first, ...kept } = item;
    const moved: MessageItem = { ...kept, PK: queueKey(queue), queue, visibleAt: nowMs, receiveCount: 0 };
    return this.move(item, moved);
  }

  /** Deletes a message if `receiptHandle` is still its latest. Returns false if not (or it is gone). */
  async deleteReceived(queue: string, messageId: string, receiptHandle: string): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall({ PK: queueKey(queue), SK: messageId }),
          ConditionExpression: "#handle = :handle",
          ExpressionAttributeNames: { "#handle": "receiptHandle" },
          ExpressionAttributeValues: marshall({ ":handle": receiptHandle }),
        }),
      ),
    );
  }

  /** Sets a received message's visibility if `receiptHandle` is its latest and it is still in flight. */
  async changeVisibility(
    queue: string,
    messageId: string,
    receiptHandle: string,
    visibleAt: number,
    nowMs: number,
  ): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ PK: queueKey(queue), SK: messageId }),
          UpdateExpression: "SET #visible = :visible",
          ConditionExpression: "#handle = :handle AND #visible > :now",
          ExpressionAttributeNames: { "#handle": "receiptHandle", "#visible": "visibleAt" },
          ExpressionAttributeValues: marshall({ ":handle": receiptHandle, ":visible": visibleAt, ":now": nowMs }),
        }),
      ),
    );
  }
}
