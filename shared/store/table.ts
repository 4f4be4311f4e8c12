/**
 * The single table, defined once. The CDK stack (infra/) and the local runtime (local/) both build the
 * table from this object, so a key, index, stream or TTL change cannot drift between the two.
 */
export const TABLE = {
  partitionKey: "PK",
  sortKey: "SK",
  /** Epoch seconds; DynamoDB deletes expired items. DynamoDB Local never does, so reads filter them too. */
  ttlAttribute: "expiresAt",
  stream: "NEW_AND_OLD_IMAGES",
  globalSecondaryIndexes: [
    /** Per-project listings (gatherings by creation order). */
    { indexName: "GSI1", partitionKey: "GSI1PK", sortKey: "GSI1SK" },
  ],
} as const;

export type IndexName = (typeof TABLE.globalSecondaryIndexes)[number]["indexName"];

/** Attribute names the key schema declares (all strings). */
export const KEY_ATTRIBUTES = [
  TABLE.partitionKey,
  TABLE.sortKey,
  ...TABLE.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
] as const;

/**
 * The stream publisher hears only inserted event items. This is the Lambda event-source filter on AWS
 * and the filter the local stream poller applies before it calls the same handler.
 */
export const EVENT_ITEM_KIND = "event";
export const STREAM_FILTER_PATTERN = {
  eventName: ["INSERT"],
  dynamodb: { NewImage: { kind: { S: [EVENT_ITEM_KIND] } } },
} as const;

/**
 * The message sequencer hears only inserted messages and annotations: it gives them their place in the
 * session's event log (one commit per batch), so concurrent speakers and plugins never contend on the
 * session's version.
 */
export const MESSAGE_ITEM_KIND = "message";
export const ANNOTATION_ITEM_KIND = "annotation";
export const SEQUENCER_STREAM_FILTER_PATTERN = {
  eventName: ["INSERT"],
  dynamodb: { NewImage: { kind: { S: [MESSAGE_ITEM_KIND, ANNOTATION_ITEM_KIND] } } },
} as const;
