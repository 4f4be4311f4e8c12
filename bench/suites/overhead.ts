import { devScope } from "../lib/runtime.js";
import {
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { formatJoinCode, generateJoinCode, normalizeJoinCode } from "../../shared/domain/gatherings/join-code.js";
import { newId } from "../../shared/kernel/ids.js";
import {
  aggregatePk,
  aggregateRootKey,
  eventSk,
  joinCodeKey,
  MEMBER_SK_PREFIX,
  memberKey,
} from "../../shared/store/keys.js";
import { expectStatus, type BenchHttp } from "../lib/http.js";
import { sleep } from "../lib/pool.js";
import { progress, type Report } from "../lib/report.js";
import { fmt, round, summarize, type Summary } from "../lib/stats.js";
import { TABLE_NAME } from "./capacity.js";

/**
 * API overhead: each operation over HTTP (local API Gateway → authorizer cache → API handler → DynamoDB
 * Local) against the bare DynamoDB calls it needs, issued by the bench directly to the same DynamoDB
 * Local, on items of the same shape and size. The two are measured in alternating blocks (A/B, then B/A)
 * so that noise on this shared machine lands on both.
 *
 * Bare writes put their event items with kind "bench" (not "event"): the stream still carries them, but
 * the publisher's filter drops them, so bare blocks do not feed the event pipeline.
 */
export interface OverheadOptions {
  http: BenchHttp;
  dynamo: DynamoDBClient;
  projectId: string;
  workers: number;
  seq: { rounds: number; block: number; warmup: number };
  conc: { rounds: number; perWorker: number; warmup: number };
  /** Write operations once more, one at a time with a pause after each, so the event pipeline is idle. */
  paced: { rounds: number; block: number; warmup: number; pauseMs: number };
  settleMs: number;
}

export interface OverheadRow {
  operation: string;
  mode: string;
  http: Summary;
  bare: Summary;
  ratioP50: number;
  ratioP99: number;
}

const RATIO_GOAL = 1.5;
const BARE_EVENT_KIND = "bench";

type Attributes = Record<string, unknown>;
type Side = "http" | "bare";

interface Lobby {
  id: string;
  code: string;
  joined: string[];
}

const put = (item: Attributes, condition?: "notExists" | { version: number }): TransactWriteItem => ({
  Put: {
    TableName: TABLE_NAME,
    Item: marshall(item, { removeUndefinedValues: true }),
    ...(condition === "notExists" && {
      ConditionExpression: "attribute_not_exists(PK)",
    }),
    ...(typeof condition === "object" && {
      ConditionExpression: "#v = :v",
      ExpressionAttributeNames: { "#v": "version" },
      ExpressionAttributeValues: marshall({ ":v": condition.version }),
    }),
  },
});

/** The gathering as events carry it: the root item without its key attributes. */
function view(root: Attributes): Attributes {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, kind: _kind, ...rest } = root;
  return rest;
}

export async function overheadSuite(report: Report, options: OverheadOptions): Promise<OverheadRow[]> {
  const { http, dynamo, projectId } = options;
  const base = `/v1/projects/${projectId}`;
  let participant = 0;
  const nextParticipant = () => `p-${(participant++).toString(36).padStart(5, "0")}`;

  const get = async (key: { PK: string; SK: string }) => {
    const result = await dynamo.send(
      new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(key), ConsistentRead: true }),
    );
    return result.Item ? (unmarshall(result.Item) as Attributes) : undefined;
  };

  const createLobby = async (): Promise<Lobby> => {
    const created = expectStatus(
      await http.request<{ id: string; joinCode: string }>("POST", `${base}/gatherings`, {
        name: "Overhead lobby",
        type: "lobby",
      }),
      201,
      "create",
    );
    return { id: created.body.id, code: created.body.joinCode, joined: [] };
  };
  const httpJoin = async (lobby: Lobby, participantId: string) =>
    expectStatus(
      await http.request("POST", `${base}/gatherings/join`, {
        joinCode: lobby.code,
        participantId,
        displayName: `Player ${participantId}`,
      }),
      200,
      "join by code",
    );

  // ── Templates: real items written by the API, so bare writes carry the same shapes and sizes ─────────
  const template = await createLobby();
  await httpJoin(template, "template-owner");
  await httpJoin(template, "template-member");
  const tRoot = (await get(aggregateRootKey("gathering", devScope(projectId), template.id)))!;
  const tMarker = (await get(joinCodeKey(normalizeJoinCode(template.code)!)))!;
  const tCreated = (await get({ PK: tRoot.PK as string, SK: eventSk(1) }))!;
  const tMember = (await get(memberKey(devScope(projectId), template.id, "template-member")))!;
  const tJoined = (await get({ PK: tRoot.PK as string, SK: eventSk(4) }))!;
  report.check(
    (tJoined.event as Attributes | undefined)?.type === "gathering.member.joined",
    "overhead: template join event is at version 4 (created, joined, owner.changed, joined)",
  );

  // One lobby per worker for each side, each with an owner already (the first join also moves ownership).
  const apiLobbies: Lobby[] = [];
  const bareLobbies: Lobby[] = [];
  for (let w = 0; w < options.workers; w++) {
    for (const list of [apiLobbies, bareLobbies]) {
      const lobby = await createLobby();
      await httpJoin(lobby, `owner-${w}`);
      list.push(lobby);
    }
  }

  // ── The bare calls of each operation ────────────────────────────────────────────────────────────────
  const expiresAt = () => Math.floor(Date.now() / 1000) + 7 * 86_400;

  async function bareCreate(): Promise<void> {
    const at = new Date().toISOString();
    const id = newId("gathering");
    const code = generateJoinCode();
    const root = {
      ...tRoot,
      PK: aggregatePk("gathering", devScope(projectId), id),
      id,
      GSI1SK: id,
      joinCode: formatJoinCode(code),
      createdAt: at,
      updatedAt: at,
    };
    const event = tCreated.event as Attributes;
    await dynamo.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          put(root, "notExists"),
          put({ ...tMarker, ...joinCodeKey(code), gatheringId: id }, "notExists"),
          put(
            {
              PK: root.PK,
              SK: eventSk(1),
              kind: BARE_EVENT_KIND,
              expiresAt: expiresAt(),
              event: {
                ...event,
                id: newId("event"),
                resource: `gathering:${id}`,
                occurredAt: at,
                data: { gathering: view(root) },
              },
            },
            "notExists",
          ),
        ],
      }),
    );
  }

  async function bareChange(lobby: Lobby, participantId: string, action: "join" | "ready"): Promise<void> {
    const at = new Date().toISOString();
    if (action === "join") {
      const marker = await get(joinCodeKey(normalizeJoinCode(lobby.code)!));
      if (marker?.gatheringId !== lobby.id) throw new Error("bare join: marker not found");
    }
    const root = await get(aggregateRootKey("gathering", devScope(projectId), lobby.id));
    const existing = await get(memberKey(devScope(projectId), lobby.id, participantId));
    if (!root) throw new Error("bare: root not found");
    const version = root.version as number;
    const next = {
      ...root,
      version: version + 1,
      updatedAt: at,
      ...(action === "join"
        ? { memberCount: (root.memberCount as number) + 1 }
        : { readyCount: (root.readyCount as number) + 1 }),
    };
    const member =
      action === "join"
        ? {
            ...tMember,
            ...memberKey(devScope(projectId), lobby.id, participantId),
            gatheringId: lobby.id,
            participantId,
            displayName: `Player ${participantId}`,
            presentSince: at,
            createdAt: at,
            updatedAt: at,
            version: version + 1,
          }
        : { ...existing!, status: "ready", updatedAt: at, version: version + 1 };
    const event = tJoined.event as Attributes;
    await dynamo.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          put(next, { version }),
          put(member),
          put(
            {
              PK: root.PK,
              SK: eventSk(version + 1),
              kind: BARE_EVENT_KIND,
              expiresAt: expiresAt(),
              event: {
                ...event,
                id: newId("event"),
                type: action === "join" ? "gathering.member.joined" : "gathering.member.ready",
                version: version + 1,
                resource: `gathering:${lobby.id}`,
                occurredAt: at,
                data: { gathering: view(next), member: view(member) },
              },
            },
            "notExists",
          ),
        ],
      }),
    );
  }

  const listPk = aggregatePk("gathering", devScope(projectId), apiLobbies[0]!.id);
  async function bareList(): Promise<void> {
    const result = await dynamo.send(
      new QueryCommand({
        TableName: TABLE_NAME,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :m)",
        ExpressionAttributeValues: marshall({ ":pk": listPk, ":m": MEMBER_SK_PREFIX }),
        ConsistentRead: true,
        Limit: 100,
      }),
    );
    const items = (result.Items ?? []).map((i) => unmarshall(i));
    if (items.length !== 100) throw new Error(`bare list: ${items.length} items`);
  }

  // ── Operations: the HTTP call and the bare calls, for worker w ───────────────────────────────────────
  type Run = (worker: number) => Promise<void>;
  const operations: Array<{ name: string; http: Run; bare: Run; writes?: boolean; before?: () => Promise<void> }> = [
    {
      name: "create gathering",
      writes: true,
      http: async () => void (await createLobby()),
      bare: bareCreate,
    },
    {
      name: "get gathering",
      http: async (w) =>
        void expectStatus(await http.request("GET", `${base}/gatherings/${apiLobbies[w]!.id}`), 200, "get"),
      bare: async (w) => {
        if (!(await get(aggregateRootKey("gathering", devScope(projectId), apiLobbies[w]!.id))))
          throw new Error("bare get: none");
      },
    },
    {
      name: "join by code",
      writes: true,
      http: async (w) => {
        const p = nextParticipant();
        await httpJoin(apiLobbies[w]!, p);
        apiLobbies[w]!.joined.push(p);
      },
      bare: async (w) => {
        const p = nextParticipant();
        await bareChange(bareLobbies[w]!, p, "join");
        bareLobbies[w]!.joined.push(p);
      },
    },
    {
      name: "mark ready",
      writes: true,
      http: async (w) => {
        const lobby = apiLobbies[w]!;
        const p = lobby.joined.shift();
        if (!p) throw new Error("mark ready: no joined member left (join and ready schedules differ)");
        expectStatus(await http.request("POST", `${base}/gatherings/${lobby.id}/members/${p}/ready`), 200, "ready");
      },
      bare: async (w) => {
        const lobby = bareLobbies[w]!;
        const p = lobby.joined.shift();
        if (!p) throw new Error("bare ready: no joined member left");
        await bareChange(lobby, p, "ready");
      },
    },
    {
      name: "list 100 members",
      before: async () => {
        // The listed gathering needs at least 100 members (a short --quick run may not have joined enough).
        const root = await get(aggregateRootKey("gathering", devScope(projectId), apiLobbies[0]!.id));
        for (let n = (root?.memberCount as number) ?? 0; n < 100; n++)
          await httpJoin(apiLobbies[0]!, nextParticipant());
      },
      http: async () => {
        const page = expectStatus(
          await http.request<{ items: unknown[] }>("GET", `${base}/gatherings/${apiLobbies[0]!.id}/members?limit=100`),
          200,
          "list members",
        );
        if (page.body.items.length !== 100) throw new Error(`list members: ${page.body.items.length} items`);
      },
      bare: async () => bareList(),
    },
  ];

  // ── A/B measurement ─────────────────────────────────────────────────────────────────────────────────
  const timed = async (run: Run, worker: number, into?: number[]) => {
    const t0 = performance.now();
    await run(worker);
    into?.push(performance.now() - t0);
  };

  const rows: OverheadRow[] = [];
  for (const op of operations) {
    await op.before?.();
    const paced = `paced (${options.paced.pauseMs} ms apart)`;
    const modes = ["sequential", `concurrency ${options.workers}`, ...(op.writes ? [paced] : [])];
    for (const mode of modes) {
      const samples: Record<Side, number[]> = { http: [], bare: [] };
      const concurrent = mode.startsWith("concurrency");
      const block = async (side: Side, record: boolean, count: number) => {
        const run = op[side];
        if (!concurrent) {
          for (let i = 0; i < count; i++) {
            await timed(run, 0, record ? samples[side] : undefined);
            if (mode === paced) await sleep(options.paced.pauseMs);
          }
        } else {
          await Promise.all(
            Array.from({ length: options.workers }, async (_, w) => {
              for (let i = 0; i < count; i++) await timed(run, w, record ? samples[side] : undefined);
            }),
          );
        }
      };
      const cfg = mode === paced ? options.paced : concurrent ? options.conc : options.seq;
      const blockSize = mode === paced ? options.paced.block : concurrent ? options.conc.perWorker : options.seq.block;
      try {
        await block("http", false, cfg.warmup);
        await block("bare", false, cfg.warmup);
        for (let r = 0; r < cfg.rounds; r++) {
          const order: Side[] = r % 2 === 0 ? ["http", "bare"] : ["bare", "http"];
          for (const side of order) {
            await block(side, true, blockSize);
            await sleep(options.settleMs);
          }
        }
      } catch (error) {
        report.check(false, `overhead: ${op.name} (${mode}) failed: ${(error as Error).message}`);
        continue;
      }
      const h = summarize(samples.http);
      const b = summarize(samples.bare);
      const row: OverheadRow = {
        operation: op.name,
        mode,
        http: h,
        bare: b,
        ratioP50: h.p50 / b.p50,
        ratioP99: h.p99 / b.p99,
      };
      rows.push(row);
      report.goal(
        `overhead ${op.name} (${mode})`,
        `p50 HTTP/bare ≤ ${RATIO_GOAL}`,
        `${fmt(row.ratioP50, 2)} (${fmt(h.p50, 2)} / ${fmt(b.p50, 2)} ms)`,
        row.ratioP50 <= RATIO_GOAL,
      );
      progress(
        `overhead: ${op.name}, ${mode}: HTTP p50 ${fmt(h.p50, 2)} ms vs bare ${fmt(b.p50, 2)} ms → ${fmt(row.ratioP50, 2)}× (n=${h.n}/${b.n})`,
      );
    }
  }

  report.data.overhead = rows.map((r) => ({
    ...r,
    http: roundSummary(r.http),
    bare: roundSummary(r.bare),
    ratioP50: round(r.ratioP50),
    ratioP99: round(r.ratioP99),
  }));
  report.table({
    title: "API overhead: HTTP vs the bare DynamoDB calls it needs (ms; A/B interleaved in one run)",
    columns: [
      "operation",
      "mode",
      "n",
      "HTTP p50",
      "HTTP p99",
      "bare p50",
      "bare p99",
      "ratio p50",
      "ratio p99",
      `goal p50 ≤ ${RATIO_GOAL}`,
    ],
    rows: rows.map((r) => [
      r.operation,
      r.mode,
      r.http.n,
      fmt(r.http.p50, 2),
      fmt(r.http.p99, 2),
      fmt(r.bare.p50, 2),
      fmt(r.bare.p99, 2),
      fmt(r.ratioP50, 2),
      fmt(r.ratioP99, 2),
      r.ratioP50 <= RATIO_GOAL ? "met" : "MISSED",
    ]),
    notes: [
      "Bare = create: 1 TransactWriteItems (root + join-code marker + event); get: 1 consistent GetItem; join by code: " +
        "GetItem marker + GetItem root + GetItem member + TransactWriteItems; ready: 2 GetItems + TransactWriteItems; " +
        "list: 1 Query (limit 100). Same item shapes and sizes as the API writes (copied from real items).",
      "HTTP includes the local API Gateway (routing, cached authorizer, proxy event), the middy handler, validation, " +
        "and the JSON response; both sides include their client's marshalling. Concurrency: one lobby per worker per side.",
      "The runtime serves the API and runs the event pipeline (stream poller, publisher, local EventBridge, consumers, " +
        "user functions) in one Node process: back-to-back writes over HTTP share it with the pipeline work of the " +
        `previous writes. The paced rows wait ${options.paced.pauseMs} ms after every operation (both sides), so the ` +
        "pipeline is idle when the next one starts.",
      `At concurrency ${options.workers} both sides queue on DynamoDB Local (one Java process; transactions are ` +
        "effectively serialized): latencies grow ~10–20× over sequential on both sides, so that ratio mostly reflects the queue.",
    ],
  });
  return rows;
}

function roundSummary(s: Summary): Summary {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)])) as unknown as Summary;
}
