import { devScope } from "../lib/runtime.js";
import {
  BatchWriteItemCommand,
  GetItemCommand,
  TransactWriteItemsCommand,
  type DynamoDBClient,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { aggregateRootKey, memberKey } from "../../shared/store/keys.js";
import { expectStatus, type BenchHttp } from "../lib/http.js";
import { runWorkers } from "../lib/pool.js";
import { progress, type Report } from "../lib/report.js";
import { fmt, median, round, summarize } from "../lib/stats.js";
import { TABLE_NAME } from "./capacity.js";

/**
 * Scale: an open gathering with 10,000 members. The first members join over HTTP; the bulk is seeded
 * straight into the table as member items copied from a real one (and the root's memberCount moved to
 * match, without a version change, as no event is involved), because 10,000 serialized joins on one
 * aggregate would take minutes of the bench's budget. The last joins — measured — and the full
 * paginated listing go through the API.
 */
export interface ScaleOptions {
  http: BenchHttp;
  dynamo: DynamoDBClient;
  projectId: string;
  members: number;
  measuredJoins: number;
  listings: number;
}

export async function scaleSuite(report: Report, options: ScaleOptions): Promise<void> {
  const { http, dynamo, projectId } = options;
  const base = `/v1/projects/${projectId}`;
  const gathering = expectStatus(
    await http.request<{ id: string; joinCode: string }>("POST", `${base}/gatherings`, {
      name: "Scale open space",
      type: "open",
      listed: true,
    }),
    201,
    "create",
  ).body;
  const join = async (participantId: string) =>
    expectStatus(
      await http.request("POST", `${base}/gatherings/join`, {
        joinCode: gathering.joinCode,
        participantId,
        displayName: `Member ${participantId}`,
      }),
      200,
      "join",
    );
  const participant = (i: number) => `m-${String(i).padStart(5, "0")}`;
  await join(participant(0));
  await join(participant(1));

  const seeded = options.members - options.measuredJoins - 2;
  const templateResult = await dynamo.send(
    new GetItemCommand({
      TableName: TABLE_NAME,
      Key: marshall(memberKey(devScope(projectId), gathering.id, participant(1))),
      ConsistentRead: true,
    }),
  );
  const template = unmarshall(templateResult.Item!);
  const t0 = performance.now();
  const batches = Math.ceil(seeded / 25);
  await runWorkers(4, batches, async (b) => {
    const items = [];
    for (let i = b * 25; i < Math.min(seeded, (b + 1) * 25); i++) {
      const p = participant(i + 2);
      items.push({
        ...template,
        ...memberKey(devScope(projectId), gathering.id, p),
        participantId: p,
        displayName: `Member ${p}`,
      });
    }
    let request: Record<string, WriteRequest[]> = {
      [TABLE_NAME]: items.map((item) => ({ PutRequest: { Item: marshall(item) } })),
    };
    for (let attempt = 0; attempt < 10; attempt++) {
      const result = await dynamo.send(new BatchWriteItemCommand({ RequestItems: request }));
      const left = result.UnprocessedItems?.[TABLE_NAME];
      if (!left?.length) return;
      request = { [TABLE_NAME]: left };
    }
    throw new Error("seeding: unprocessed items after 10 attempts");
  });
  const rootKey = marshall(aggregateRootKey("gathering", devScope(projectId), gathering.id));
  const root = unmarshall(
    (await dynamo.send(new GetItemCommand({ TableName: TABLE_NAME, Key: rootKey, ConsistentRead: true }))).Item!,
  );
  await dynamo.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        {
          Put: {
            TableName: TABLE_NAME,
            Item: marshall({ ...root, memberCount: (root.memberCount as number) + seeded }),
            ConditionExpression: "#v = :v",
            ExpressionAttributeNames: { "#v": "version" },
            ExpressionAttributeValues: marshall({ ":v": root.version }),
          },
        },
      ],
    }),
  );
  progress(
    `scale: seeded ${seeded} members in ${fmt((performance.now() - t0) / 1000, 1)} s; joining the last ${options.measuredJoins}`,
  );

  const joins: number[] = [];
  for (let i = 0; i < options.measuredJoins; i++) {
    const result = await join(participant(seeded + 2 + i));
    joins.push(result.ms);
  }
  const final = expectStatus(
    await http.request<{ memberCount: number }>("GET", `${base}/gatherings/${gathering.id}`),
    200,
    "get",
  ).body;
  report.check(
    final.memberCount === options.members,
    `scale: memberCount is ${final.memberCount}, not ${options.members}`,
  );

  const listings: Array<{ ms: number; pages: number; members: number }> = [];
  for (let l = 0; l < options.listings; l++) {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    const started = performance.now();
    do {
      const page = expectStatus(
        await http.request<{ items: Array<{ participantId: string }>; nextCursor?: string }>(
          "GET",
          `${base}/gatherings/${gathering.id}/members?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        ),
        200,
        "list members",
      ).body;
      pages++;
      for (const m of page.items) seen.add(m.participantId);
      cursor = page.nextCursor;
    } while (cursor && pages < options.members);
    listings.push({ ms: performance.now() - started, pages, members: seen.size });
    report.check(
      seen.size === options.members,
      `scale: the listing returned ${seen.size} distinct members, not ${options.members}`,
    );
  }
  const j = summarize(joins);
  const listMs = median(listings.map((l) => l.ms));
  const pageMs = listMs / (listings[0]?.pages ?? 1);
  progress(`scale: join p50 ${fmt(j.p50, 1)} ms p99 ${fmt(j.p99, 1)} ms; full listing ${fmt(listMs, 0)} ms`);
  report.data.scale = {
    members: options.members,
    seeded,
    joins: Object.fromEntries(Object.entries(j).map(([k, v]) => [k, round(v)])),
    listings: listings.map((l) => ({ ...l, ms: round(l.ms) })),
  };
  report.table({
    title: `Scale: an open gathering with ${options.members.toLocaleString("en-US")} members`,
    columns: ["measure", "n", "p50 ms", "p99 ms", "max ms"],
    rows: [
      [
        `join by code at ${options.members - options.measuredJoins}–${options.members} members`,
        j.n,
        fmt(j.p50, 1),
        fmt(j.p99, 1),
        fmt(j.max, 1),
      ],
      [
        `full member listing, ${listings[0]?.pages ?? 0} pages of 100 (median of ${listings.length})`,
        listings.length,
        fmt(listMs, 0),
        "–",
        fmt(Math.max(...listings.map((l) => l.ms)), 0),
      ],
      ["  per page", listings[0]?.pages ?? 0, fmt(pageMs, 1), "–", "–"],
    ],
    notes: [
      `${seeded.toLocaleString("en-US")} of the members were seeded directly into the table (copies of a real member ` +
        "item); the first 2 and the measured last joins went through the API.",
    ],
  });
}
