import type { ConverseCommandInput } from "@aws-sdk/client-bedrock-runtime";
import type { AwsClient } from "../../shared/adapters/aws/client/aws-client.js";
import { BedrockMeetingEngine } from "../../shared/adapters/aws/bedrock-meeting-engine.js";
import { sentenceSpans } from "../../shared/adapters/aws/comprehend-text.js";
import type { MeetingMessage } from "../../shared/domain/plugins/engines.js";
import { DEFAULT_BEDROCK_MODEL_ID, FUNCTIONS } from "../../shared/kernel/config.js";
import { QUEUES } from "../../shared/events/rules.js";
import { fmt } from "../lib/stats.js";
import type { Report } from "../lib/report.js";
import { ASSUMED, PRICES } from "./cost.js";
import type { PluginsResult } from "./plugins.js";
import { MEETING } from "./session-cost.js";

/**
 * What the plugins add to a meeting-hour on AWS (the meeting of session-cost.ts: 5 speakers, 1,800
 * utterances), per engine: the local engines run inside the plugin functions (Lambda GB-s only); the AWS
 * engines add Amazon Comprehend (profanity, sentiment) and Amazon Bedrock (summary, action items). The
 * annotation path around the engine is the same for both: SQS, the plugin's DynamoDB calls, the sequencer's
 * commit of each annotation, its event and the consumers that hear it. Measured inputs come from the
 * plugins suite (in-process, over DynamoDB Local); what is assumed is named below.
 */

/** Prices beyond bench/suites/cost.ts's, us-east-1 list prices. */
export const ENGINE_PRICES = {
  /** SQS standard queue, per request (each 64 KB chunk), first tier; free tier ignored. Assumed, not re-checked. */
  sqsRequest: 0.4 / 1e6,
  /**
   * Comprehend, per unit of 100 characters with a 3-unit minimum per document: the AWS pricing page says so
   * for the NLP APIs (sentiment). For toxicity detection the same rate and minimum per text segment are an
   * assumption (its price was not found on the pages read).
   */
  comprehendUnit: 0.0001,
  comprehendMinUnits: 3,
  /**
   * Claude Haiku 4.5 on Bedrock, on-demand, per token: $1 / $5 per million (pricing summaries of the AWS
   * Bedrock page, not AWS's price list; the global cross-region profile the stack defaults to).
   */
  bedrockInputToken: 1.0 / 1e6,
  bedrockOutputToken: 5.0 / 1e6,
} as const;

/** What cannot be measured here. */
export const ENGINE_ASSUMED = {
  /** The model the stack defaults to. */
  bedrockModelId: DEFAULT_BEDROCK_MODEL_ID,
  /** Characters per token for this transcript (ids and timestamps tokenize worse than prose). */
  charsPerToken: 3.5,
  /** Anthropic's tool-use system prompt with a forced tool (Claude Haiku 4.5). */
  toolUseSystemTokens: 340,
  /** Output tokens: a summary of ≤ 8 sentences citing lines; ~20 action items with owner, due date, line. */
  summaryOutputTokens: 600,
  actionItemsOutputTokens: 1_200,
  /** Round trips from Lambda, per call. */
  comprehendBatchSentimentMs: 120,
  comprehendToxicContentMs: 150,
  bedrockSummaryMs: 12_000,
  bedrockActionItemsMs: 18_000,
  /** One meeting alone (a message every 2 s): each message is its own batch (no batching window). */
  batchSizeAlone: 1,
  /** Requests per SQS message: EventBridge's SendMessage, the poller's ReceiveMessage and DeleteMessageBatch per batch. */
  sqsRequestsPerBatch: 2,
} as const;

const MEETINGS_AT_ONCE = 100;

interface EngineCell {
  quantity: string;
  usd: number;
}
interface Line {
  item: string;
  price: string;
  local: EngineCell;
  aws: EngineCell;
}

const memoryMb = (fn: string) => FUNCTIONS[fn as keyof typeof FUNCTIONS]?.memoryMb ?? 256;
const gbSeconds = (fn: string, invocations: number, ms: number) =>
  invocations * (Math.ceil(ms) / 1000) * (memoryMb(fn) / 1024);
/**
 * A batch's time without its local engine (the two are timed apart on a busy machine, so the
 * difference can come out negative: floored at zero).
 */
const withoutEngine = (c: { ms: number; engineMs: number }) => Math.max(0, c.ms - c.engineMs);
const same = (quantity: string, usd: number): Pick<Line, "local" | "aws"> => ({
  local: { quantity, usd },
  aws: { quantity, usd },
});
const comprehendUnits = (text: string) => Math.max(ENGINE_PRICES.comprehendMinUnits, Math.ceil(text.length / 100));

/** The exact Converse requests the Bedrock engine sends for a transcript, captured by a stand-in client. */
async function bedrockRequests(transcript: MeetingMessage[]): Promise<{ summary: number; actionItems: number }> {
  const sent: ConverseCommandInput[] = [];
  const client = {
    request: async (_method: string, _path: string, options: { body: ConverseCommandInput }) => {
      sent.push(options.body);
      const name = options.body.toolConfig?.tools?.[0]?.toolSpec?.name ?? "";
      const input = name === "record_summary" ? { summary: "", sentences: [] } : { items: [] };
      return {
        stopReason: "tool_use",
        output: { message: { role: "assistant", content: [{ toolUse: { name, input } }] } },
      };
    },
  } as unknown as AwsClient;
  const engine = new BedrockMeetingEngine({ modelId: ENGINE_ASSUMED.bedrockModelId, client });
  await engine.summarize(transcript);
  await engine.extract(transcript);
  const tokens = (input: ConverseCommandInput) =>
    Math.ceil(
      JSON.stringify({ system: input.system, messages: input.messages, tools: input.toolConfig }).length /
        ENGINE_ASSUMED.charsPerToken,
    ) + ENGINE_ASSUMED.toolUseSystemTokens;
  return { summary: tokens(sent[0]!), actionItems: tokens(sent[1]!) };
}

export async function pluginCostModel(report: Report, measured: PluginsResult): Promise<void> {
  const messages = (MEETING.hours * 3600 * MEETING.speakers) / MEETING.utteranceEverySeconds;
  const { perBatch, annotationCommit, annotationConsumers, sessionPlugins, mix } = measured;
  const lines = mix.lines.map((l) => l.content);
  // Per message of the mix, averaged: Comprehend units for sentiment (one document) and toxicity (per sentence).
  const sentimentUnits = lines.reduce((n, t) => n + comprehendUnits(t), 0) / lines.length;
  const toxicitySegments = lines.reduce((n, t) => n + sentenceSpans(t, 1000).length, 0) / lines.length;
  const toxicityUnits =
    lines.reduce(
      (n, t) => n + sentenceSpans(t, 1000).reduce((u, s) => u + comprehendUnits(t.slice(s.start, s.end)), 0),
      0,
    ) / lines.length;

  const annotations = { sentiment: messages, profanity: messages * mix.profaneShare };
  const wruPerAnnotation = (p: "sentiment" | "profanity") => {
    const full = perBatch[p].full;
    return full.annotated > 0 ? full.wru / full.annotated : 2;
  };

  /** The annotation path for `n` annotations: commit, publish, event, consumers (the same for either engine). */
  const publishLines = (n: number, what: string, batched: boolean): Line[] => {
    const commitWru = batched ? annotationCommit.marginalWru : annotationCommit.single.wru;
    const consumers = Object.entries(annotationConsumers);
    const consumerGbS = consumers.reduce((s, [fn, c]) => s + gbSeconds(fn, n, c.ms), 0);
    const fnGbS =
      gbSeconds("message-sequencer", batched ? n / 10 : n, annotationCommit.single.ms) +
      gbSeconds("stream-publisher", batched ? n / 10 : n, ASSUMED.publisherMs) +
      consumerGbS;
    const invocations = (batched ? (2 * n) / 10 : 2 * n) + consumers.length * n;
    return [
      {
        item: `sequencer commit of each ${what} annotation (${fmt(commitWru, 0)} WRU${batched ? ", sharing the root" : ": root + event + stamp"})`,
        price: "$0.625 / M WRU",
        ...same(`${fmt(n * commitWru, 0)} WRU`, n * commitWru * PRICES.dynamodbWriteRequestUnit),
      },
      {
        item: `Lambda: sequencer + publisher per commit, ${consumers.map(([fn]) => fn).join(" + ")} per event`,
        price: "$0.20 / M + $0.0000133334 / GB-s",
        ...same(
          `${fmt(invocations, 0)} req, ${fmt(fnGbS, 1)} GB-s`,
          invocations * PRICES.lambdaRequest + fnGbS * PRICES.lambdaGbSecondArm64,
        ),
      },
      {
        item: `consumers' DynamoDB (activity log ${fmt(annotationConsumers["activity-recorder"]?.wru ?? 0, 0)} WRU per event, webhook lookup)`,
        price: "$0.625 / M WRU, $0.125 / M RRU",
        ...same(
          `${fmt(n * consumers.reduce((s, [, c]) => s + c.wru, 0), 0)} WRU`,
          n *
            consumers.reduce(
              (s, [, c]) => s + c.wru * PRICES.dynamodbWriteRequestUnit + c.rru * PRICES.dynamodbReadRequestUnit,
              0,
            ),
        ),
      },
      {
        item: `EventBridge: message.annotation.created events`,
        price: "$1.00 / M",
        ...same(fmt(n, 0), n * PRICES.eventBridgeCustomEvent),
      },
    ];
  };

  /** A message plugin (sentiment or profanity) over the meeting-hour, local vs Comprehend. */
  const messagePort = (p: "sentiment" | "profanity", batched: boolean): Line[] => {
    const fn = `plugin-${p}`;
    const batch = batched ? perBatch[p].full : perBatch[p].one;
    const size = batched ? perBatch[p].batchSize : ENGINE_ASSUMED.batchSizeAlone;
    const invocations = messages / size;
    const awsCallMs =
      p === "sentiment" ? ENGINE_ASSUMED.comprehendBatchSentimentMs : ENGINE_ASSUMED.comprehendToxicContentMs;
    const localMs = batch.ms;
    const awsMs = withoutEngine(batch) + awsCallMs;
    const localGbS = gbSeconds(fn, invocations, localMs);
    const awsGbS = gbSeconds(fn, invocations, awsMs);
    const n = annotations[p];
    const wru = n * wruPerAnnotation(p);
    const rru = invocations * batch.rru;
    const sqs = messages + invocations * ENGINE_ASSUMED.sqsRequestsPerBatch;
    const units = messages * (p === "sentiment" ? sentimentUnits : toxicityUnits);
    const comprehendRequests = p === "sentiment" ? invocations : messages;
    return [
      {
        item: `Lambda ${fn} (${memoryMb(fn)} MB): ${fmt(invocations, 0)} batches of ${size}`,
        price: "$0.20 / M + $0.0000133334 / GB-s",
        local: {
          quantity: `${fmt(localMs, 0)} ms each (measured), ${fmt(localGbS, 1)} GB-s`,
          usd: invocations * PRICES.lambdaRequest + localGbS * PRICES.lambdaGbSecondArm64,
        },
        aws: {
          quantity: `${fmt(awsMs, 0)} ms each (estimated), ${fmt(awsGbS, 1)} GB-s`,
          usd: invocations * PRICES.lambdaRequest + awsGbS * PRICES.lambdaGbSecondArm64,
        },
      },
      {
        item: `SQS: a send per message, receive + delete per batch`,
        price: "$0.40 / M",
        ...same(fmt(sqs, 0), sqs * ENGINE_PRICES.sqsRequest),
      },
      {
        item: `DynamoDB: ${fmt(n, 0)} annotation inserts (${fmt(wruPerAnnotation(p), 0)} WRU each), settings + existence reads`,
        price: "$0.625 / M WRU, $0.125 / M RRU",
        ...same(
          `${fmt(wru, 0)} WRU, ${fmt(rru, 0)} RRU`,
          wru * PRICES.dynamodbWriteRequestUnit + rru * PRICES.dynamodbReadRequestUnit,
        ),
      },
      ...publishLines(n, p, batched),
      {
        item:
          p === "sentiment"
            ? `Comprehend BatchDetectSentiment (${fmt(sentimentUnits, 1)} units per line, ${fmt(comprehendRequests, 0)} requests)`
            : `Comprehend DetectToxicContent (${fmt(toxicitySegments, 1)} sentences × min 3 units = ${fmt(toxicityUnits, 1)} units per line, ${fmt(comprehendRequests, 0)} requests)`,
        price: "$0.0001 / unit of 100 chars, min 3",
        local: { quantity: "–", usd: 0 },
        aws: { quantity: `${fmt(units, 0)} units`, usd: units * ENGINE_PRICES.comprehendUnit },
      },
    ];
  };

  /** The minutes (summary + action items) at the meeting's end, local vs Bedrock. */
  const tokens = await bedrockRequests(sessionPlugins.transcript);
  const minutesPort = (): Line[] => {
    const out: Line[] = [];
    for (const [p, fn, bedrockMs, outTokens, inTokens] of [
      [
        "summary",
        "plugin-summary",
        ENGINE_ASSUMED.bedrockSummaryMs,
        ENGINE_ASSUMED.summaryOutputTokens,
        tokens.summary,
      ],
      [
        "action_items",
        "plugin-action-items",
        ENGINE_ASSUMED.bedrockActionItemsMs,
        ENGINE_ASSUMED.actionItemsOutputTokens,
        tokens.actionItems,
      ],
    ] as const) {
      const c = sessionPlugins[p];
      const awsMs = withoutEngine(c) + bedrockMs;
      out.push(
        {
          item: `Lambda ${fn} (${memoryMb(fn)} MB): one invocation at the end`,
          price: "$0.20 / M + $0.0000133334 / GB-s",
          local: {
            quantity: `${fmt(c.ms, 0)} ms (measured)`,
            usd: PRICES.lambdaRequest + gbSeconds(fn, 1, c.ms) * PRICES.lambdaGbSecondArm64,
          },
          aws: {
            quantity: `${fmt(awsMs, 0)} ms (estimated)`,
            usd: PRICES.lambdaRequest + gbSeconds(fn, 1, awsMs) * PRICES.lambdaGbSecondArm64,
          },
        },
        {
          item: `DynamoDB: ${p} reads the transcript (${sessionPlugins.utterances} utterances), inserts its annotation; its commit`,
          price: "$0.625 / M WRU, $0.125 / M RRU",
          ...same(
            `${fmt(c.rru, 0)} RRU, ${fmt(c.wru + annotationCommit.single.wru, 0)} WRU`,
            c.rru * PRICES.dynamodbReadRequestUnit +
              (c.wru + annotationCommit.single.wru) * PRICES.dynamodbWriteRequestUnit,
          ),
        },
        {
          item: `Bedrock Claude Haiku 4.5: ${p} (${fmt(inTokens, 0)} input tokens, ${fmt(outTokens, 0)} output, estimated)`,
          price: "$0.80 / M in, $4.00 / M out",
          local: { quantity: "–", usd: 0 },
          aws: {
            quantity: `${fmt(inTokens / 1000, 1)} k in, ${fmt(outTokens / 1000, 1)} k out`,
            usd: inTokens * ENGINE_PRICES.bedrockInputToken + outTokens * ENGINE_PRICES.bedrockOutputToken,
          },
        },
      );
    }
    const rollUp = sessionPlugins.sentiment;
    out.push({
      item: `sentiment roll-up at the end (plugin-sentiment; reads transcript + annotations; ${fmt(rollUp.ms, 0)} ms measured, an upper bound)`,
      price: "Lambda, DynamoDB",
      ...same(
        `${fmt(rollUp.rru, 0)} RRU`,
        PRICES.lambdaRequest +
          gbSeconds("plugin-sentiment", 1, rollUp.ms) * PRICES.lambdaGbSecondArm64 +
          rollUp.rru * PRICES.dynamodbReadRequestUnit +
          (rollUp.wru + annotationCommit.single.wru) * PRICES.dynamodbWriteRequestUnit,
      ),
    });
    return out;
  };

  const total = (ls: Line[], side: "local" | "aws") => ls.reduce((s, l) => s + l[side].usd, 0);
  const ports = {
    sentiment: {
      title: "sentiment (wink-nlp vs Comprehend BatchDetectSentiment)",
      alone: messagePort("sentiment", false),
      busy: messagePort("sentiment", true),
    },
    profanity: {
      title: "profanity (obscenity vs Comprehend DetectToxicContent)",
      alone: messagePort("profanity", false),
      busy: messagePort("profanity", true),
    },
    minutes: {
      title: "summary + action items at the end (local vs Bedrock Claude Haiku 4.5)",
      alone: minutesPort(),
      busy: minutesPort(),
    },
  };
  const money = (usd: number) => `$${usd.toFixed(4)}`;
  for (const [key, port] of Object.entries(ports)) {
    report.table({
      title: `Cost of the plugins per meeting-hour: ${port.title} (${fmt(messages, 0)} utterances, us-east-1 on-demand)`,
      columns: ["item", "price", "local engine", "$ local", "AWS engine", "$ AWS"],
      rows: [
        ...port.alone.map((l) => [
          l.item,
          l.price,
          l.local.quantity,
          money(l.local.usd),
          l.aws.quantity,
          money(l.aws.usd),
        ]),
        ["Total per meeting-hour", "", "", money(total(port.alone, "local")), "", money(total(port.alone, "aws"))],
        [
          `Total per meeting-hour at ${MEETINGS_AT_ONCE} meetings at once (full batches)`,
          "",
          "",
          money(total(port.busy, "local")),
          "",
          money(total(port.busy, "aws")),
        ],
      ],
      notes:
        key === "minutes"
          ? [
              `Input tokens: the exact Converse requests the Bedrock engine builds for the ${sessionPlugins.utterances}-utterance ` +
                `transcript (captured with a stand-in client), at ${ENGINE_ASSUMED.charsPerToken} characters per token, plus ` +
                `${ENGINE_ASSUMED.toolUseSystemTokens} tokens of tool-use system prompt; output tokens assumed. Model: Claude 3.5 ` +
                "at $1 / $5 per M tokens (the stack's default model, DEFAULT_BEDROCK_MODEL_ID).",
              `Lambda durations: local measured in-process (transcript read + engine); Bedrock = the measured time without ` +
                `the local engine + ${ENGINE_ASSUMED.bedrockSummaryMs / 1000} s / ${ENGINE_ASSUMED.bedrockActionItemsMs / 1000} s per call (assumed).`,
            ]
          : [
              `One meeting alone sends a message every 2 s: each is its own batch (${fmt(messages, 0)} invocations, upper ` +
                `bound). At ${MEETINGS_AT_ONCE} meetings at once the queue fills batches of ${perBatch.sentiment.batchSize} ` +
                "(the last row: batch durations measured for 10, the sequencer sharing a root per commit).",
              "Local durations measured in-process (DynamoDB Local answers about as fast as DynamoDB from Lambda); the " +
                "Comprehend durations replace the measured engine time by an assumed round trip " +
                `(${key === "sentiment" ? `${ENGINE_ASSUMED.comprehendBatchSentimentMs} ms per BatchDetectSentiment` : `${ENGINE_ASSUMED.comprehendToxicContentMs} ms, the line's DetectToxicContent calls in parallel`}). ` +
                "Comprehend: $0.0001 per 100-character unit, 3 units minimum per document (sentiment: AWS pricing page; " +
                "toxicity: same rate assumed, per sentence segment). SQS: the queue pollers' empty receives (~5 pollers " +
                "long-polling, per queue, not per meeting) are left out.",
            ],
    });
  }

  // ── Per configuration, and 100 meetings at once ──────────────────────────────────────────────────
  const sum = (side: "local" | "aws", which: "alone" | "busy") =>
    Object.values(ports).reduce((s, p) => s + total(p[which], side), 0);
  const perSecond = messages / 3600;
  const n = MEETINGS_AT_ONCE;
  const concurrency = (p: "sentiment" | "profanity", side: "local" | "aws") => {
    const b = perBatch[p].full;
    const ms =
      side === "local"
        ? b.ms
        : withoutEngine(b) +
          (p === "sentiment" ? ENGINE_ASSUMED.comprehendBatchSentimentMs : ENGINE_ASSUMED.comprehendToxicContentMs);
    return ((n * perSecond) / perBatch[p].batchSize) * (ms / 1000);
  };
  const rows = [
    [
      "plugins, all local engines",
      money(sum("local", "alone")),
      `$${(n * sum("local", "busy")).toFixed(2)}`,
      `plugin functions' concurrency ~${fmt(concurrency("sentiment", "local") + concurrency("profanity", "local"), 1)}`,
    ],
    [
      "plugins, Comprehend + Bedrock",
      money(sum("aws", "alone")),
      `$${(n * sum("aws", "busy")).toFixed(2)}`,
      `Comprehend ${fmt((n * perSecond) / perBatch.sentiment.batchSize, 0)} BatchDetectSentiment/s and ` +
        `${fmt(n * perSecond * toxicitySegments, 0)} DetectToxicContent/s (check the account's TPS quotas); ` +
        `${fmt((n * (tokens.summary + tokens.actionItems)) / 1e6, 1)} M input tokens if all ${n} meetings end in the same minute ` +
        "(Bedrock's tokens-per-minute quota)",
    ],
  ];
  report.data.pluginCost = {
    meeting: { messages, profaneShare: mix.profaneShare, sentimentUnits, toxicitySegments, toxicityUnits },
    tokens,
    prices: ENGINE_PRICES,
    assumed: ENGINE_ASSUMED,
    ports: Object.fromEntries(
      Object.entries(ports).map(([k, p]) => [
        k,
        {
          alone: { local: total(p.alone, "local"), aws: total(p.alone, "aws") },
          busy: { local: total(p.busy, "local"), aws: total(p.busy, "aws") },
          lines: p.alone,
        },
      ]),
    ),
    totals: {
      local: { alone: sum("local", "alone"), atOnce: n * sum("local", "busy") },
      aws: { alone: sum("aws", "alone"), atOnce: n * sum("aws", "busy") },
    },
  };
  report.table({
    title: `Cost of the plugins per meeting-hour, per engine choice, and ${n} meetings at once (${fmt(n * perSecond, 0)} utterances/s)`,
    columns: ["engines", "$ per meeting-hour (alone)", `$ per hour, ${n} meetings`, `what ${n} meetings meet first`],
    rows,
    notes: [
      `On top of the session's own cost (the meeting-hour table). Queue batch sizes as deployed: ${QUEUES.pluginSentiment.batchSize} ` +
        `(sentiment), ${QUEUES.pluginProfanity.batchSize} (profanity); profane share of the lines ${fmt(100 * mix.profaneShare, 0)}% ` +
        "(the bench's mix: a high share, so an upper bound on profanity annotations).",
      "Every annotation is a session event: it costs a sequencer commit, a publish, an EventBridge event and an activity-log " +
        "write like a message does — the annotation path, not the engine, is most of the local configuration's cost.",
    ],
  });
}
