import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
  type Shard,
  type ShardIteratorType,
} from "@aws-sdk/client-dynamodb-streams";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { matchesPattern } from "../eventbridge/pattern.js";

/**
 * The local stand-in for Lambda's DynamoDB event-source mapping: follows every shard of the stream
 * (parents before children, closed shards to their end, new shards as they appear), applies the same
 * filter pattern, calls the handler with Lambda-shaped batches, honours `batchItemFailures` (resumes at
 * the first failed record), and checkpoints what it has processed so a restart resumes, not replays.
 * Delivery is at least once, as on AWS.
 */
export interface StreamPollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;
  filterPattern?: Record<string, unknown>;
  batchSize?: number;
  idleMs?: number;
  /** Persist checkpoints here; omitted = in memory. */
  checkpointFile?: string;
  /** Attempts per batch before it goes to the failure file (the on-failure destination on AWS). */
  maxAttempts?: number;
  failureFile?: string;
  region?: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

interface Checkpoints {
  streamArn: string;
  shards: Record<string, { sequence?: string; done?: boolean }>;
}

export interface StreamPoller {
  stop(): Promise<void>;
  /** Resolves once every record currently in the stream has been handled. */
  idle(): Promise<void>;
  /** Batches given up on after their retries since this poller started (the failure file keeps them all). */
  givenUp(): number;
}

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const batchSize = options.batchSize ?? 100;
  const idleMs = options.idleMs ?? 50;
  const maxAttempts = options.maxAttempts ?? 10;
  const log = options.log ?? (() => undefined);
  const checkpoints = loadCheckpoints(options.checkpointFile, options.streamArn);
  const iterators = new Map<string, string>();
  let shards: Shard[] = [];
  let lastDescribe = 0;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];
  let givenUp = 0;

  const save = () => {
    if (!options.checkpointFile) return;
    mkdirSync(dirname(options.checkpointFile), { recursive: true });
    const tmp = `${options.checkpointFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(checkpoints));
    renameSync(tmp, options.checkpointFile);
  };

  async function describe(): Promise<void> {
    const found: Shard[] = [];
    let start: string | undefined;
    do {
      const page = await options.client.send(
        new DescribeStreamCommand({ StreamArn: options.streamArn, ...(start && { ExclusiveStartShardId: start }) }),
      );
      found.push(...(page.StreamDescription?.Shards ?? []));
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    shards = found;
    lastDescribe = Date.now();
  }

  async function iteratorFor(shardId: string): Promise<string | undefined> {
    const existing = iterators.get(shardId);
    if (existing) return existing;
    const sequence = checkpoints.shards[shardId]?.sequence;
    const type: ShardIteratorType = sequence ? "AFTER_SEQUENCE_NUMBER" : "TRIM_HORIZON";
    try {
      const result = await options.client.send(
        new GetShardIteratorCommand({
          StreamArn: options.streamArn,
          ShardId: shardId,
          ShardIteratorType: type,
          ...(sequence && { SequenceNumber: sequence }),
        }),
      );
      if (result.ShardIterator) iterators.set(shardId, result.ShardIterator);
      return result.ShardIterator;
    } catch (error) {
      if (error instanceof TrimmedDataAccessException) {
        log("checkpoint is older than the stream retention; resuming at the trim horizon", { shardId });
        delete checkpoints.shards[shardId]?.sequence;
        return iteratorFor(shardId);
      }
      throw error;
    }
  }

  function toLambdaRecord(record: StreamRecord): DynamoDBRecord {
    const d = record.dynamodb!;
    return {
      eventID: record.eventID!,
      eventName: record.eventName as DynamoDBRecord["eventName"],
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: options.region ?? "us-east-1",
      eventSourceARN: options.streamArn,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor((d.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000),
        Keys: d.Keys as never,
        ...(d.NewImage && { NewImage: d.NewImage as never }),
        ...(d.OldImage && { OldImage: d.OldImage as never }),
        SequenceNumber: d.SequenceNumber!,
        SizeBytes: d.SizeBytes!,
        StreamViewType: d.StreamViewType as never,
      },
    };
  }

  /** Runs the handler on a batch until it succeeds or, after maxAttempts, records it as failed. */
  async function handle(shardId: string, records: DynamoDBRecord[]): Promise<void> {
    let pending = records;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedFrom: number;
      try {
        const result = await options.handler({ Records: pending });
        const failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        if (failed.size === 0) return;
        // Like Lambda: everything before the first failed record is done; retry from it.
        failedFrom = pending.findIndex((r) => failed.has(r.dynamodb!.SequenceNumber!));
        if (failedFrom < 0) failedFrom = 0;
      } catch (error) {
        log("stream handler failed", { shardId, error: (error as Error).message });
        failedFrom = 0;
      }
      if (failedFrom > 0) attempt = 1;
      pending = pending.slice(failedFrom);
      if (attempt >= maxAttempts) {
        log("giving up on records after retries (on-failure destination)", { shardId, count: pending.length });
        if (options.failureFile) {
          await appendFile(options.failureFile, JSON.stringify({ shardId, records: pending }) + "\n");
        }
        givenUp++;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5_000)));
      if (stopped) throw new Error("stopped");
    }
  }

  /** One pass over the shards; returns how many records it read. */
  async function pass(): Promise<number> {
    if (Date.now() - lastDescribe > 1_000 || shards.length === 0) await describe();
    const known = new Set(shards.map((s) => s.ShardId));
    let read = 0;
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (checkpoints.shards[id]?.done) continue;
      const parent = shard.ParentShardId;
      if (parent && known.has(parent) && !checkpoints.shards[parent]?.done) continue; // parents first
      const iterator = await iteratorFor(id);
      if (!iterator) continue;
      let result;
      try {
        result = await options.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          iterators.delete(id);
          continue;
        }
        throw error;
      }
      const records = result.Records ?? [];
      read += records.length;
      if (records.length > 0) {
        const batch = records
          .map(toLambdaRecord)
          .filter((r) => !options.filterPattern || matchesPattern(options.filterPattern, r as never));
        if (batch.length > 0) await handle(id, batch);
        (checkpoints.shards[id] ??= {}).sequence = records.at(-1)!.dynamodb!.SequenceNumber!;
      }
      if (result.NextShardIterator) iterators.set(id, result.NextShardIterator);
      else {
        iterators.delete(id);
        (checkpoints.shards[id] ??= {}).done = true; // a closed shard, read to its end
      }
      if (records.length > 0 || !result.NextShardIterator) save();
    }
    return read;
  }

  const loop = (async () => {
    while (!stopped) {
      let read = 0;
      try {
        read = await pass();
      } catch (error) {
        if (stopped) break;
        log("stream poller error; retrying", { error: (error as Error).message });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (read === 0) {
        for (const resolve of idleWaiters) resolve();
        idleWaiters = [];
        await new Promise((r) => setTimeout(r, idleMs));
      }
    }
  })();

  return {
    idle: () => new Promise<void>((resolve) => idleWaiters.push(resolve)),
    givenUp: () => givenUp,
    async stop() {
      stopped = true;
      await loop;
      save();
    },
  };
}

function loadCheckpoints(file: string | undefined, streamArn: string): Checkpoints {
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as Checkpoints;
    if (saved.streamArn === streamArn) return saved;
  }
  return { streamArn, shards: {} };
}
