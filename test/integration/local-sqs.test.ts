/**
 * The local SQS, driven through the real `@aws-sdk/client-sqs` (which checks the MD5s it gets back)
 * against real DynamoDB Local (started once by the vitest global setup). The clock the emulator uses for
 * delays and visibility timeouts is injected; the consumer loops poll on real timers.
 */
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
  TooManyEntriesInBatchRequest,
  UnsupportedOperation,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { createHash, randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startLocalSqs, type LocalSqs, type LocalSqsOptions } from "../../local/sqs/server.js";
import { dynamodbClient } from "../support/dynamodb.js";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const QUEUE = "cortex-webhook-deliveries";
const DLQ = "cortex-webhook-deliveries-dlq";
const T0 = Date.parse("2030-01-01T00:00:00Z");
const md5 = (text: string) => createHash("md5").update(text).digest("hex");

describe("local SQS", () => {
  const dynamodb = dynamodbClient();
  let tableName: string;
  let clock: number;
  let events: SQSEvent[];
  let respond: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  const running: LocalSqs[] = [];

  beforeEach(() => {
    tableName = `local-sqs-${randomUUID()}`;
    clock = T0;
    events = [];
    respond = async () => {};
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  });

  const consumer = async (event: SQSEvent) => {
    events.push(structuredClone(event));
    return respond(event);
  };

  /** Every record delivered so far, in delivery order. */
  const delivered = (): SQSRecord[] => events.flatMap((e) => e.Records);

  async function start(options: Partial<LocalSqsOptions> = {}): Promise<{ sqs: LocalSqs; client: SQSClient }> {
    const sqs = await startLocalSqs({
      dynamodb,
      tableName,
      queues: [{ name: QUEUE, consumer }],
      pollMs: 20,
      now: () => clock,
      ...options,
    });
    running.push(sqs);
    return { sqs, client: new SQSClient({ endpoint: sqs.endpoint, region: "us-east-1", credentials }) };
  }

  async function stop(sqs: LocalSqs): Promise<void> {
    running.splice(running.indexOf(sqs), 1);
    await sqs.stop();
  }

  async function counts(client: SQSClient, queueUrl: string) {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    );
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed),
    };
  }

  it("a sent message reaches the consumer once, in an SQS-shaped event, and is deleted", async () => {
    const { sqs, client } = await start();
    const queueUrl = sqs.queueUrl(QUEUE);
    expect(queueUrl).toBe(`${sqs.endpoint}/000000000000/${QUEUE}`);
    const body = JSON.stringify({ webhookId: "wh_1", event: "gathering.created", note: "ünïcode ✓" });
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: {
          test_attribute_name_2: { DataType: "String", StringValue: "test_attribute_value_2" },
          test_attribute_name_1: { DataType: "String", StringValue: "test_attribute_value_1" },
        },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe" } },
      }),
    );
    // The SDK has already checked MD5OfMessageBody; the attributes' MD5 is SQS's published sample value.
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MD5OfMessageAttributes).toBe("d53f3b558fe951154770f25cb63dbba9");

    await sqs.drain();
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      Records: [
        {
          messageId: sent.MessageId,
          receiptHandle: expect.any(String),
          body,
          attributes: {
            ApproximateReceiveCount: "1",
            SentTimestamp: String(T0),
            SenderId: "000000000000",
            ApproximateFirstReceiveTimestamp: String(T0),
            AWSTraceHeader: "Root=1-5759e988-bd862e3fe",
          },
          messageAttributes: {
            test_attribute_name_1: {
              stringValue: "test_attribute_value_1",
              stringListValues: [],
              binaryListValues: [],
              dataType: "String",
            },
            test_attribute_name_2: {
              stringValue: "test_attribute_value_2",
              stringListValues: [],
              binaryListValues: [],
              dataType: "String",
            },
          },
          md5OfBody: md5(body),
          md5OfMessageAttributes: "d53f3b558fe951154770f25cb63dbba9",
          eventSource: "aws:sqs",
          eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${QUEUE}`,
          awsRegion: "us-east-1",
        },
      ],
    });

    // Deleted: nothing left, and later polls (also after the visibility timeout) deliver nothing more.
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    clock += 60_000;
    // drain() delivers everything due at the emulator's clock: no waiting, nothing left to chance.
    await sqs.drain();
    expect(events).toHaveLength(1);
  });

  it("delivers up to batchSize messages per invocation; binary attributes arrive base64 as Lambda gives them", async () => {
    const { sqs, client } = await start({ queues: [{ name: QUEUE, consumer, batchSize: 3 }] });
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl(QUEUE),
        Entries: Array.from({ length: 7 }, (_, i) => ({
          Id: `m${i}`,
          MessageBody: `message ${i}`,
          ...(i === 0 && {
            MessageAttributes: {
              test_attribute_name: {
                DataType: "Binary",
                BinaryValue: new TextEncoder().encode("test_attribute_value"),
              },
            },
          }),
        })),
      }),
    );
    await sqs.drain();
    expect(
      delivered()
        .map((r) => r.body)
        .sort(),
    ).toEqual(Array.from({ length: 7 }, (_, i) => `message ${i}`));
    expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(3);
    const binary = delivered().find((r) => r.body === "message 0")!;
    expect(binary.messageAttributes).toEqual({
      test_attribute_name: {
        binaryValue: Buffer.from("test_attribute_value").toString("base64"),
        stringListValues: [],
        binaryListValues: [],
        dataType: "Binary",
      },
    });
    expect(binary.md5OfMessageAttributes).toBe("23f6bd27ea87aab7dfeadcc9aebee495");
  });

  it("DelaySeconds holds a message back until its time", async () => {
    const { sqs, client } = await start();
    const queueUrl = sqs.queueUrl(QUEUE);
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "later", DelaySeconds: 900 }));
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "now" }));

    await sqs.drain();
    expect(delivered().map((r) => r.body)).toEqual(["now"]);
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });

    clock = T0 + 899_000;
    // drain() delivers everything due at the emulator's clock: no waiting, nothing left to chance.
    await sqs.drain();
    expect(delivered().map((r) => r.body)).toEqual(["now"]);

    clock = T0 + 900_000;
    await sqs.drain();
    expect(delivered().map((r) => r.body)).toEqual(["now", "later"]);
    const later = delivered()[1]!;
    expect(later.attributes.SentTimestamp).toBe(String(T0));
    expect(later.attributes.ApproximateFirstReceiveTimestamp).toBe(String(T0 + 900_000));
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("batchItemFailures: only the failed message is redelivered, with ApproximateReceiveCount 2", async () => {
    const { sqs, client } = await start({ queues: [{ name: QUEUE, consumer, visibilityTimeoutSeconds: 30 }] });
    const queueUrl = sqs.queueUrl(QUEUE);
    respond = async (event) => ({
      batchItemFailures: event.Records.filter(
        (r) => r.body === "b" && r.attributes.ApproximateReceiveCount === "1",
      ).map((r) => ({ itemIdentifier: r.messageId })),
    });
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ["a", "b", "c"].map((body) => ({ Id: body, MessageBody: body })),
      }),
    );
    await sqs.drain();
    expect(
      delivered()
        .map((r) => r.body)
        .sort(),
    ).toEqual(["a", "b", "c"]);
    const firstB = delivered().find((r) => r.body === "b")!;
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    clock = T0 + 29_000; // still inside the visibility timeout
    // drain() delivers everything due at the emulator's clock: no waiting, nothing left to chance.
    await sqs.drain();
    expect(delivered()).toHaveLength(3);

    clock = T0 + 30_000;
    await sqs.drain();
    expect(delivered().map((r) => r.body)).toHaveLength(4);
    const again = delivered()[3]!;
    expect(again.body).toBe("b");
    expect(again.messageId).toBe(firstB.messageId);
    expect(again.receiptHandle).not.toBe(firstB.receiptHandle);
    expect(again.attributes.ApproximateReceiveCount).toBe("2");
    expect(again.attributes.ApproximateFirstReceiveTimestamp).toBe(String(T0));
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("a consumer that throws, or reports an unknown itemIdentifier, fails the whole batch", async () => {
    const { sqs, client } = await start({ queues: [{ name: QUEUE, consumer, visibilityTimeoutSeconds: 10 }] });
    const queueUrl = sqs.queueUrl(QUEUE);
    respond = async () => {
      throw new Error("endpoint down");
    };
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "x" }));
    await sqs.drain();
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    respond = async () => ({ batchItemFailures: [{ itemIdentifier: "not-in-this-batch" }] });
    clock += 10_000;
    await sqs.drain();
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    respond = async () => ({ batchItemFailures: [] });
    clock += 10_000;
    await sqs.drain();
    expect(delivered().map((r) => r.attributes.ApproximateReceiveCount)).toEqual(["1", "2", "3"]);
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("after maxReceiveCount failed receives the message moves to the dead-letter queue", async () => {
    const { sqs, client } = await start({
      queues: [
        { name: QUEUE, consumer, visibilityTimeoutSeconds: 10, maxReceiveCount: 3, deadLetterQueue: DLQ },
        { name: DLQ },
      ],
    });
    const queueUrl = sqs.queueUrl(QUEUE);
    const dlqUrl = sqs.queueUrl(DLQ);
    respond = async (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) });
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: "poison",
        MessageAttributes: { webhookId: { DataType: "String", StringValue: "wh_1" } },
      }),
    );

    for (let receive = 1; receive <= 3; receive++) {
      await sqs.drain();
      expect(delivered()).toHaveLength(receive);
      clock += 10_000;
    }
    // The 4th receive finds the count at maxReceiveCount: the message moves instead of being delivered.
    await sqs.drain();
    expect(delivered().map((r) => r.attributes.ApproximateReceiveCount)).toEqual(["1", "2", "3"]);
    expect(await counts(client, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await counts(client, dlqUrl)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });

    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages![0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: "poison",
      MD5OfBody: md5("poison"),
      MessageAttributes: { webhookId: { DataType: "String", StringValue: "wh_1" } },
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      Attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(T0),
        DeadLetterQueueSourceArn: `arn:aws:sqs:us-east-1:000000000000:${QUEUE}`,
      },
    });

    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["RedrivePolicy", "QueueArn"] }),
    );
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${DLQ}`,
      maxReceiveCount: 3,
    });
    expect(Attributes!.QueueArn).toBe(`arn:aws:sqs:us-east-1:000000000000:${QUEUE}`);
  });

  it("SendMessageBatch reports per-entry results and refuses 11 entries and bodies over 256 KB with the SDK's errors", async () => {
    const { sqs, client } = await start({ queues: [{ name: QUEUE }] });
    const QueueUrl = sqs.queueUrl(QUEUE);

    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: "ok-1", MessageBody: "one" },
          { Id: "too-late", MessageBody: "two", DelaySeconds: 901 },
          { Id: "ok_3", MessageBody: "three", DelaySeconds: 900 },
          { Id: "bad-char", MessageBody: "null \u0000 byte" },
        ],
      }),
    );
    expect(result.Successful?.map((s) => [s.Id, s.MD5OfMessageBody])).toEqual([
      ["ok-1", md5("one")],
      ["ok_3", md5("three")],
    ]);
    expect(result.Failed).toEqual([
      {
        Id: "too-late",
        SenderFault: true,
        Code: "InvalidParameterValue",
        Message: "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
      },
      { Id: "bad-char", SenderFault: true, Code: "InvalidMessageContents", Message: expect.stringMatching(/#x0/) },
    ]);
    expect(await counts(client, QueueUrl)).toEqual({ visible: 1, inFlight: 0, delayed: 1 });

    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: `m${i}` }));
    const tooMany = await client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(11) })).catch((e) => e);
    expect(tooMany).toBeInstanceOf(TooManyEntriesInBatchRequest);
    expect(tooMany.name).toBe("TooManyEntriesInBatchRequest");
    expect(tooMany.message).toBe("Maximum number of entries per request are 10. You have sent 11.");
    expect(tooMany.$metadata.httpStatusCode).toBe(400);

    await expect(client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] }))).rejects.toBeInstanceOf(
      EmptyBatchRequest,
    );
    await expect(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "same", MessageBody: "a" },
            { Id: "same", MessageBody: "b" },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(BatchEntryIdsNotDistinct);

    // 256 KiB is the limit for the batch as a whole…
    const half = "x".repeat(131_072);
    await expect(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "a", MessageBody: half },
            { Id: "b", MessageBody: half + "y" },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(BatchRequestTooLong);
    // …and for one message, attributes included.
    const tooBig = await client
      .send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(262_145) }))
      .catch((e) => e);
    expect(tooBig).toBeInstanceOf(SQSServiceException);
    expect(tooBig.name).toBe("InvalidParameterValue");
    expect(tooBig.message).toBe(
      "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.",
    );
    await expect(
      client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: "x".repeat(262_140),
          MessageAttributes: { kind: { DataType: "String", StringValue: "abc" } },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    const atLimit = await client.send(new SendMessageCommand({ QueueUrl, MessageBody: "é".repeat(131_072) }));
    expect(atLimit.MD5OfMessageBody).toBe(md5("é".repeat(131_072)));

    const late = await client
      .send(new SendMessageCommand({ QueueUrl, MessageBody: "x", DelaySeconds: 901 }))
      .catch((e) => e);
    expect(late.name).toBe("InvalidParameterValue");
    expect(late.$metadata.httpStatusCode).toBe(400);
    expect(await counts(client, QueueUrl)).toEqual({ visible: 2, inFlight: 0, delayed: 1 });
  });

  it("messages survive a restart of the emulator (same table)", async () => {
    const first = await start({ queues: [{ name: QUEUE, visibilityTimeoutSeconds: 30 }] });
    const queueUrl = first.sqs.queueUrl(QUEUE);
    await first.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "waiting" }));
    await first.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "delayed", DelaySeconds: 60 }));
    clock = T0 + 1;
    await first.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "in flight" }));
    // Received by someone who then went away without deleting it.
    const { Messages } = await first.client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    expect(Messages?.map((m) => m.Body).sort()).toEqual(["in flight", "waiting"]);
    await first.client.send(
      new DeleteMessageCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: Messages!.find((m) => m.Body === "waiting")!.ReceiptHandle,
      }),
    );
    await first.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "sent before the restart" }));
    await stop(first.sqs);

    const second = await start(); // a new port, the same table, now with a consumer
    await second.sqs.drain();
    expect(delivered().map((r) => r.body)).toEqual(["sent before the restart"]);
    clock = T0 + 60_000;
    await second.sqs.drain();
    expect(
      delivered()
        .map((r) => r.body)
        .sort(),
    ).toEqual(["delayed", "in flight", "sent before the restart"]);
    expect(delivered().find((r) => r.body === "in flight")!.attributes.ApproximateReceiveCount).toBe("2");
    expect(await counts(second.client, second.sqs.queueUrl(QUEUE))).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("two emulators on one table deliver each message once", async () => {
    const a = await start();
    const b = await start();
    await a.client.send(
      new SendMessageBatchCommand({
        QueueUrl: a.sqs.queueUrl(QUEUE),
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `a${i}`, MessageBody: `a${i}` })),
      }),
    );
    await b.client.send(
      new SendMessageBatchCommand({
        QueueUrl: b.sqs.queueUrl(QUEUE),
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `b${i}`, MessageBody: `b${i}` })),
      }),
    );
    await Promise.all([a.sqs.drain(), b.sqs.drain()]);
    await Promise.all([a.sqs.drain(), b.sqs.drain()]);
    const bodies = delivered().map((r) => r.body);
    expect(bodies).toHaveLength(20);
    expect(new Set(bodies).size).toBe(20);
  });

  it("an unknown queue raises QueueDoesNotExist", async () => {
    const { sqs, client } = await start();
    const byName = await client.send(new GetQueueUrlCommand({ QueueName: "nope" })).catch((e) => e);
    expect(byName).toBeInstanceOf(QueueDoesNotExist);
    expect(byName.name).toBe("QueueDoesNotExist");
    expect(byName.Code).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(byName.$metadata.httpStatusCode).toBe(400);

    await expect(
      client.send(new SendMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/nope`, MessageBody: "x" })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: `${sqs.endpoint}/123456789012/${QUEUE}`, MessageBody: "x" })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(
      client.send(new GetQueueAttributesCommand({ QueueUrl: `${sqs.endpoint}/000000000000/nope` })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);

    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: QUEUE }));
    expect(QueueUrl).toBe(sqs.queueUrl(QUEUE));
    const listed = await client.send(new ListQueuesCommand({ QueueNamePrefix: "cortex-" }));
    expect(listed.QueueUrls).toEqual([sqs.queueUrl(QUEUE)]);
    // Operations outside the emulated subset say so, as a modelled SQS error.
    await expect(client.send(new PurgeQueueCommand({ QueueUrl }))).rejects.toBeInstanceOf(UnsupportedOperation);
  });

  it("a client configured only by AWS_ENDPOINT_URL_SQS reaches the emulator, and the queue URL does not redirect it", async () => {
    const { sqs } = await start();
    const warn = vi.spyOn(console, "warn");
    vi.stubEnv("AWS_ENDPOINT_URL_SQS", sqs.endpoint);
    try {
      const client = new SQSClient({ region: "us-east-1", credentials });
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: QUEUE }));
      await client.send(new SendMessageCommand({ QueueUrl, MessageBody: "via env" }));
      await sqs.drain();
      expect(delivered().map((r) => r.body)).toEqual(["via env"]);
      // The SDK warns (and switches endpoints) when a QueueUrl's origin differs from its endpoint.
      expect(warn).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllEnvs();
      warn.mockRestore();
    }
  });

  it("ReceiveMessage, ChangeMessageVisibility and DeleteMessage work by receipt handle", async () => {
    const { sqs, client } = await start({ queues: [{ name: QUEUE, visibilityTimeoutSeconds: 30 }] });
    const QueueUrl = sqs.queueUrl(QUEUE);
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: "job" }));

    const first = await client.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["All"] }));
    const message = first.Messages![0]!;
    expect(message.Attributes).toMatchObject({ ApproximateReceiveCount: "1", SentTimestamp: String(T0) });
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();

    // Back to visible at once, then received again: the first handle is now stale.
    await client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    const second = await client.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }),
    );
    expect(second.Messages![0]!.Attributes).toEqual({ ApproximateReceiveCount: "2" });
    await expect(
      client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 60 }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });
    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle })); // no-op, no error
    expect(await counts(client, QueueUrl)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second.Messages![0]!.ReceiptHandle }));
    expect(await counts(client, QueueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "not-a-handle" })),
    ).rejects.toMatchObject({ name: "ReceiptHandleIsInvalid" });

    // Long polling returns as soon as a message arrives.
    const polling = client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: "arrived" }));
    expect((await polling).Messages?.map((m) => m.Body)).toEqual(["arrived"]);
  });
});
