/**
 * Schedules and schedule groups persisted as items in a DynamoDB table of their own, so they survive a
 * restart of the local runtime. The table has one string hash key, `PK`:
 *
 *   PK = SCHEDULE#{group}#{name}   a schedule (names cannot contain '#', so keys cannot collide)
 *   PK = GROUP#{name}              a schedule group
 *
 * A schedule item carries its definition (JSON, exactly what GetSchedule returns) and the firing state:
 * `dueAt` (epoch ms of the next fire; absent once it will never fire again), `revision` (bumped by every
 * update, so a write never overwrites a newer one), and while it fires a claim (`claimId`, `leaseUntil`)
 * taken with a conditional update, so two timer loops — or a loop and a restarted one — never both fire it.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type ScanCommandInput,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { conditionalWrite } from "../dynamodb/conditional-write.js";
import { ensureActiveTable } from "../dynamodb/ensure-table.js";
import type { ScheduleDefinition, ScheduleState } from "./model.js";

const MARSHALL = { removeUndefinedValues: true } as const;
const PARTITION_KEY = "PK";

export type ScheduleStatus = "SCHEDULED" | "COMPLETED";
export type FireOutcome = "SUCCEEDED" | "FAILED";

export interface ScheduleItem {
  PK: string;
  kind: "schedule";
  name: string;
  groupName: string;
  arn: string;
  /** JSON of the ScheduleDefinition. */
  definition: string;
  /** Copy of definition.State, so the due scan can filter on it. */
  state: ScheduleState;
  status: ScheduleStatus;
  /** Epoch ms of the next fire; absent when the schedule will not fire again. */
  dueAt?: number;
  /** Grid anchor of a rate() schedule (epoch ms). */
  rateAnchor?: number;
  revision: number;
  createdAt: number;
  modifiedAt: number;
  clientToken?: string;
  claimId?: string;
  leaseUntil?: number;
  lastFiredAt?: number;
  lastOutcome?: FireOutcome;
  lastError?: string;
}

export interface GroupItem {
  PK: string;
  kind: "group";
  name: string;
  arn: string;
  createdAt: number;
  modifiedAt: number;
}

export const scheduleKey = (groupName: string, name: string) => `SCHEDULE#${groupName}#${name}`;
export const groupKey = (name: string) => `GROUP#${name}`;

export function parseDefinition(item: ScheduleItem): ScheduleDefinition {
  return JSON.parse(item.definition) as ScheduleDefinition;
}

export class ScheduleTable {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** Creates the table if it does not exist (PK string hash key, on-demand) and waits until it is ACTIVE. */
  ensureTable(): Promise<void> {
    return ensureActiveTable(this.client, {
      TableName: this.tableName,
      AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: "S" }],
      KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    });
  }

  private async getRaw(pk: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ [PARTITION_KEY]: pk }), ConsistentRead: true }),
    );
    return result.Item ? unmarshall(result.Item) : undefined;
  }

  async getSchedule(groupName: string, name: string): Promise<ScheduleItem | undefined> {
    return (await this.getRaw(scheduleKey(groupName, name))) as ScheduleItem | undefined;
  }

  async getGroup(name: string): Promise<GroupItem | undefined> {
    return (await this.getRaw(groupKey(name))) as GroupItem | undefined;
  }

  /** Puts an item that must not exist yet. Returns false if it does. */
  async putNew(item: ScheduleItem | GroupItem): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, MARSHALL),
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY },
        }),
      ),
    );
  }

  /** Replaces a schedule if it is still at `expectedRevision`. Returns false if it changed or vanished. */
  async replaceSchedule(item: ScheduleItem, expectedRevision: number): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item, MARSHALL),
          ConditionExpression: "#rev = :rev",
          ExpressionAttributeNames: { "#rev": "revision" },
          ExpressionAttributeValues: marshall({ ":rev": expectedRevision }),
        }),
      ),
    );
  }

  /** Deletes an item that must exist. Returns false if it does not. */
  async deleteExisting(pk: string): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PARTITION_KEY]: pk }),
          ConditionExpression: "attribute_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PARTITION_KEY },
        }),
      ),
    );
  }

  private async scanAll<T>(input: Omit<ScanCommandInput, "TableName" | "ExclusiveStartKey">): Promise<T[]> {
    const items: T[] = [];
    let startKey: ScanCommandInput["ExclusiveStartKey"];
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ...input, ExclusiveStartKey: startKey }),
      );
      for (const raw of page.Items ?? []) items.push(unmarshall(raw) as T);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  listSchedules(): Promise<ScheduleItem[]> {
    return this.scanAll<ScheduleItem>({
      FilterExpression: "#kind = :kind",
      ExpressionAttributeNames: { "#kind": "kind" },
      ExpressionAttributeValues: marshall({ ":kind": "schedule" }),
    });
  }

  listGroups(): Promise<GroupItem[]> {
    return this.scanAll<GroupItem>({
      FilterExpression: "#kind = :kind",
      ExpressionAttributeNames: { "#kind": "kind" },
      ExpressionAttributeValues: marshall({ ":kind": "group" }),
    });
  }

  /** Enabled schedules due at `nowMs` that nobody holds a live claim on. */
  findDue(nowMs: number): Promise<ScheduleItem[]> {
    return this.scanAll<ScheduleItem>({
      FilterExpression:
        "#kind = :kind AND #state = :enabled AND #due <= :now AND (attribute_not_exists(#lease) OR #lease < :now)",
      ExpressionAttributeNames: { "#kind": "kind", "#state": "state", "#due": "dueAt", "#lease": "leaseUntil" },
      ExpressionAttributeValues: marshall({ ":kind": "schedule", ":enabled": "ENABLED", ":now": nowMs }),
    });
  }

  /**
   * Claims a due schedule for firing: succeeds only if it is unchanged since it was read (same revision and
   * due time), still enabled and not claimed by a live lease. Exactly one caller wins.
   */
  async claim(item: ScheduleItem, claimId: string, leaseUntil: number, nowMs: number): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PARTITION_KEY]: item.PK }),
          UpdateExpression: "SET #claim = :claim, #lease = :lease",
          ConditionExpression:
            "#rev = :rev AND #due = :due AND #state = :enabled AND (attribute_not_exists(#lease) OR #lease < :now)",
          ExpressionAttributeNames: {
            "#claim": "claimId",
            "#lease": "leaseUntil",
            "#rev": "revision",
            "#due": "dueAt",
            "#state": "state",
          },
          ExpressionAttributeValues: marshall({
            ":claim": claimId,
            ":lease": leaseUntil,
            ":rev": item.revision,
            ":due": item.dueAt,
            ":enabled": "ENABLED",
            ":now": nowMs,
          }),
        }),
      ),
    );
  }

  /** Updates a claimed schedule only while we still hold the claim (an update or delete voids it). */
  private async updateClaimed(
    pk: string,
    claimId: string,
    update: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PARTITION_KEY]: pk }),
          UpdateExpression: update,
          ConditionExpression: "#claim = :claim",
          ExpressionAttributeNames: { ...names, "#claim": "claimId" },
          ExpressionAttributeValues: marshall({ ...values, ":claim": claimId }, MARSHALL),
        }),
      ),
    );
  }

  renewLease(pk: string, claimId: string, leaseUntil: number): Promise<boolean> {
    return this.updateClaimed(pk, claimId, "SET #lease = :lease", { "#lease": "leaseUntil" }, { ":lease": leaseUntil });
  }

  /** Gives a claim back without firing (the loop stopped before the retries were done): it fires again later. */
  release(pk: string, claimId: string): Promise<boolean> {
    return this.updateClaimed(pk, claimId, "REMOVE #claim, #lease", { "#lease": "leaseUntil" }, {});
  }

  /** After a fire of a recurring schedule: the next occurrence. */
  reschedule(pk: string, claimId: string, nextDueAt: number, record: FireRecord): Promise<boolean> {
    const r = recordParts(record);
    return this.updateClaimed(
      pk,
      claimId,
      `SET #due = :due, ${r.set} REMOVE #claim, #lease${r.remove}`,
      { "#due": "dueAt", "#lease": "leaseUntil", ...r.names },
      { ":due": nextDueAt, ...r.values },
    );
  }

  /** After the last fire with ActionAfterCompletion NONE: kept, but never fires again. */
  complete(pk: string, claimId: string, record: FireRecord): Promise<boolean> {
    const r = recordParts(record);
    return this.updateClaimed(
      pk,
      claimId,
      `SET #status = :completed, ${r.set} REMOVE #due, #claim, #lease${r.remove}`,
      { "#status": "status", "#due": "dueAt", "#lease": "leaseUntil", ...r.names },
      { ":completed": "COMPLETED", ...r.values },
    );
  }

  /** After the last fire with ActionAfterCompletion DELETE. */
  async deleteClaimed(pk: string, claimId: string): Promise<boolean> {
    return conditionalWrite(
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall({ [PARTITION_KEY]: pk }),
          ConditionExpression: "#claim = :claim",
          ExpressionAttributeNames: { "#claim": "claimId" },
          ExpressionAttributeValues: marshall({ ":claim": claimId }),
        }),
      ),
    );
  }
}

export interface FireRecord {
  firedAt: number;
  outcome: FireOutcome;
  error?: string;
}

/** The SET/REMOVE parts recording the outcome of a fire (DynamoDB rejects unused attribute names). */
function recordParts(record: FireRecord) {
  const names: Record<string, string> = { "#fired": "lastFiredAt", "#outcome": "lastOutcome", "#err": "lastError" };
  const values: Record<string, unknown> = { ":fired": record.firedAt, ":outcome": record.outcome };
  if (record.error !== undefined) {
    values[":err"] = record.error;
    return { set: "#fired = :fired, #outcome = :outcome, #err = :err", remove: "", names, values };
  }
  return { set: "#fired = :fired, #outcome = :outcome", remove: ", #err", names, values };
}
