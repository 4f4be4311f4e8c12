import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import {
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  EventBridgeEvent,
} from "aws-lambda";
import { DynamoDbStore } from "../shared/adapters/aws/dynamodb-store.js";
import { apiDepsFromEnv } from "../shared/adapters/aws/environment.js";
import { inProcessProject, type Project } from "../sdk/src/index.js";
import {
  bindUserFunctions,
  importUserModule,
  userFunctionRunner,
  DEFAULT_USER_FUNCTIONS_PATH,
  userFunctionRule,
  userModuleExports,
  type UserFunction,
} from "../shared/app/user-function-host.js";
import { systemClock } from "../shared/kernel/clock.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { domainLogger } from "../shared/adapters/lambda/kit.js";
import { generateApiKey, storeApiKey } from "../shared/domain/auth/api-keys.js";
import { CONSUMERS, QUEUE_RULES, QUEUES, RULES, SCHEDULE_TARGET } from "../shared/events/rules.js";
import { ENV, type FunctionEntry } from "../shared/kernel/config.js";
import { SEQUENCER_STREAM_FILTER_PATTERN, STREAM_FILTER_PATTERN } from "../shared/store/table.js";
import { startLocalApi, type LocalApiOptions } from "./api/server.js";
import { startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb/server.js";
import { ensureTable } from "./dynamodb/table.js";
import { startLocalEventBridge, type LocalEventBridge, type RuleTarget } from "./eventbridge/server.js";
import { asyncRetryAttempts, functionConfig, invokeLambda, isFunctionEntry, type LambdaHandler } from "./lambda.js";
import { installAwsLambdaGlobal } from "./lambda-streaming.js";
import { freePort, reservePort } from "./ports.js";
import { startLocalScheduler } from "./scheduler/server.js";
import { startLocalSqs } from "./sqs/server.js";
import { CreateScheduleGroupCommand, ConflictException, SchedulerClient } from "@aws-sdk/client-scheduler";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { startStreamPoller, type StreamPoller } from "./streams/poller.js";
import { startLocalS3 } from "./s3.js";
import { startLocalSes } from "./ses.js";
import { demoRoutes } from "./demo/server.js";
import { adminRoutes, type ConsumerHealth, type HealthReport } from "./admin.js";
import { hotModules, pruneStaleBundles, type HotModules } from "./dev/hot-modules.js";
import { siteRoutes } from "./dev/site.js";
import { startRequestCounter } from "./live/request-counter.js";
import { startLocalLive } from "./live/wiring.js";

/**
 * The whole stack on one machine (DESIGN.md §3). Handlers are the same modules Lambda runs; they reach
 * DynamoDB Local, the local event bus and the local SES through the standard AWS_ENDPOINT_URL_* settings,
 * so nothing in functions/ or shared/ knows it is local. One runtime per process: handler modules read
 * their configuration once, at import.
 */
export interface LocalRuntimeOptions {
  /** API port; 0 picks a free one. */
  port: number;
  /** Persistent state (database, checkpoints, dev key, journals); ignored when inMemory. */
  dataDir: string;
  inMemory: boolean;
  /** Overrides the generated dev key. */
  apiKey?: string;
  sesPort?: number;
  /** The user functions module; default user-functions/index.ts when it exists. */
  functionsPath?: string;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /**
   * Something the runtime cannot recover from happened after it started (DynamoDB Local cannot be
   * restarted). The runtime has stopped what it could; `npm start` exits non-zero.
   */
  onFatal?: (error: Error) => void;
  /**
   * `npm run dev`: handlers, the domain code they bundle and the user functions are reloaded when their
   * files change (local/dev/hot-modules.ts); DynamoDB Local and the emulators keep running, state is kept.
   */
  dev?: boolean;
}

export interface LocalRuntime {
  apiUrl: string;
  inboxUrl: string;
  apiKey: string;
  /** A bot credential (`credential: "bot"`) for the bot API, as a bot fleet would hold. */
  botKey: string;
  /** The bot command queue (SQS API at its origin): what a bot fleet consumes. */
  botCommandQueueUrl: string;
  dynamodbEndpoint: string;
  /** The user functions bound to events (export name → event). */
  userFunctions: Array<{ exportName: string; eventType: string }>;
  stop(): Promise<void>;
}

const TABLE_NAME = "cortex";
const BUS_NAME = "cortex";
const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const SCHEDULE_GROUP = "cortex";
const DEBUG_AUDIO_BUCKET = "cortex-debug-audio";
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Local defaults for the settings the stack gives each function on AWS; anything already in the
 * environment wins (tests shrink the webhook retry schedule this way).
 */
function localDefaults(apiUrl: string): Record<string, string> {
  return {
    [ENV.mailFrom]: "Cortex <invitations@cortex.local>",
    [ENV.publicBaseUrl]: apiUrl,
    // Local receivers live on this machine: loopback and plain http are allowed here, never on AWS.
    [ENV.webhookAllowPrivateTargets]: "true",
    [ENV.webhookAllowHttp]: "true",
    // The Standard Webhooks schedule (0 s … 24 h), a thousand times faster.
    [ENV.webhookRetryScale]: "0.001",
    // A plugin's failed record is retried after 1 s, 3 s, 12 s here (5 s, 30 s, 2 min on AWS; whole seconds).
    [ENV.pluginRetryScale]: "0.1",
    [ENV.scheduleGroupName]: SCHEDULE_GROUP,
    [ENV.schedulerRoleArn]: `arn:aws:iam::${ACCOUNT}:role/cortex-scheduler`,
    [ENV.schedulerTargetArn]: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${SCHEDULE_TARGET.entry}`,
    // CloudWatch EMF lines would only clutter a terminal; set it to "false" to see each function's metrics.
    POWERTOOLS_METRICS_DISABLED: "true",
  };
}

type FunctionModule<E, R> = { handler: LambdaHandler<E, R> };

const loadedFunctions = new Map<string, Promise<LambdaHandler<never, unknown>>>();
const failedLoads = new Map<string, number>();
/** Set by `npm run dev`: functions are loaded through it, and reloaded when their files change. */
let hot: HotModules | undefined;
const REPO = fileURLToPath(new URL("..", import.meta.url));

/**
 * Loads functions/<entry>.ts once, like a Lambda cold start — but a load that fails (a module throws at
 * import, e.g. on a missing setting) is not kept: the next invocation loads the module again, as a new
 * Lambda execution environment would. Node keeps a failed import's error for its URL, so a retry imports
 * it under a new one.
 */
function loadFunction<E, R>(entry: FunctionEntry): Promise<LambdaHandler<E, R>> {
  if (hot) {
    return hot.load(join(REPO, "functions", `${entry}.ts`)).then((mod) => {
      if (typeof mod.handler !== "function") throw new Error(`functions/${entry}.ts does not export a handler`);
      return mod.handler as LambdaHandler<E, R>;
    });
  }
  let pending = loadedFunctions.get(entry);
  if (!pending) {
    const failures = failedLoads.get(entry) ?? 0;
    const url = new URL(`../functions/${entry}.ts`, import.meta.url).href + (failures > 0 ? `?load=${failures}` : "");
    const loading = (import(url) as Promise<FunctionModule<never, unknown>>).then((mod) => {
      if (typeof mod.handler !== "function") throw new Error(`functions/${entry}.ts does not export a handler`);
      return mod.handler;
    });
    pending = loading;
    loadedFunctions.set(entry, loading);
    loading.catch(() => {
      if (loadedFunctions.get(entry) === loading) loadedFunctions.delete(entry);
      failedLoads.set(entry, failures + 1);
    });
  }
  return pending as Promise<LambdaHandler<E, R>>;
}

/**
 * A handler that loads its function on every invocation (a map lookup once loaded), for the places that
 * hold a handler: under `npm run dev` each invocation runs the function as it is now. Loaded once up front,
 * so a function that fails to load still stops the start.
 */
async function liveFunction<H extends (...args: never[]) => Promise<unknown>>(entry: FunctionEntry): Promise<H> {
  await loadFunction(entry);
  return (async (...args: Parameters<H>) => {
    const handler = (await loadFunction(entry)) as unknown as H;
    return handler(...args);
  }) as H;
}

async function loadUserFunctions(options: LocalRuntimeOptions) {
  const path = resolve(options.functionsPath ?? DEFAULT_USER_FUNCTIONS_PATH);
  if (!existsSync(path)) {
    if (options.functionsPath) throw new Error(`user functions module not found: ${options.functionsPath}`);
    return [];
  }
  const source = options.functionsPath ?? DEFAULT_USER_FUNCTIONS_PATH;
  // Under `npm run dev` the module is bundled and reloaded like a handler (and its exports read again).
  let seen: Record<string, unknown> | undefined;
  const exportsNow = async (): Promise<Record<string, unknown>> => {
    if (!hot) return (await importUserModule(path)).exports;
    const loaded = await hot.load(path);
    if (seen !== undefined && loaded !== seen) warnIfRebound(userModuleExports(loaded));
    seen = loaded;
    return userModuleExports(loaded);
  };
  // Rules are made at start: a reloaded module that binds other events runs only what was bound then.
  const warnIfRebound = (exports: Record<string, unknown>) => {
    const now = Object.keys(exports).filter((name) => typeof exports[name] === "function");
    const bound = bindings.map((b) => b.exportName);
    const added = now.filter((name) => !bound.includes(name));
    const removed = bound.filter((name) => !now.includes(name));
    if (added.length + removed.length === 0) return;
    options.log(
      `[dev] ${source}: ${[...added.map((n) => `added ${n}`), ...removed.map((n) => `removed ${n}`)].join(", ")}; ` +
        "restart to change which events are bound",
    );
  };
  const mod = await exportsNow();
  const bindings = bindUserFunctions(mod, source);
  // Handlers are built on first use, after the environment below is set (they create AWS clients).
  return bindings.map((binding) => {
    let built: { fn: unknown; handler: LambdaHandler<EventBridgeEvent<string, unknown>, void> } | undefined;
    const handlerFor = (fn: UserFunction<Project>) => {
      const runner = userFunctionRunner(fn, binding.exportName, apiDepsFromEnv(), inProcessProject);
      return onDomainEvent(binding.exportName, (envelope, { logger }) => runner(envelope, domainLogger(logger)));
    };
    return {
      binding,
      run: async () => {
        const fn = hot ? (await exportsNow())[binding.exportName] : mod[binding.exportName];
        if (typeof fn !== "function") {
          throw new Error(`${source} no longer exports ${binding.exportName}: restart to change what is bound`);
        }
        if (built?.fn !== fn) built = { fn, handler: handlerFor(fn as UserFunction<Project>) };
        return built.handler;
      },
    };
  });
}

/** A key kept in the data directory (owner-only), so it survives restarts; a fresh one in memory. */
function devKey(options: LocalRuntimeOptions, fileName: "dev-api-key" | "dev-bot-key", override?: string): string {
  if (override) return override;
  if (options.inMemory) return generateApiKey();
  const file = join(options.dataDir, fileName);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const key = generateApiKey();
  writeFileSync(file, key + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  if (options.dev) {
    const functionsPath = resolve(options.functionsPath ?? DEFAULT_USER_FUNCTIONS_PATH);
    pruneStaleBundles(join(REPO, ".cache", "dev"));
    hot = hotModules({
      watch: [join(REPO, "functions"), join(REPO, "shared"), dirname(functionsPath)],
      outDir: join(REPO, ".cache", "dev", String(process.pid)),
      packageJson: join(REPO, "package.json"),
      bundled: ["zod"],
      isolatedGlobals: ["__zod_globalRegistry"],
      log: (message, fields) => options.log(`[dev] ${message}`, fields),
    });
  }
  // User functions first: an export that names no event stops the start before anything runs.
  const userFunctions = await loadUserFunctions(options);
  const dataDir = resolve(options.dataDir);
  if (!options.inMemory) mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const devModules = hot;
  if (devModules) stops.push(() => devModules.close());
  let stopped: Promise<void> | undefined;
  const stopAll = () =>
    (stopped ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    })());
  // No handler runs before the environment below is set: deliveries replayed from the journal, queued
  // messages and due schedules all wait for this (handler modules read their settings at import).
  let markReady!: () => void;
  let markFailed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => undefined);
  let bus: LocalEventBridge | undefined;
  const fatal = (error: Error) => {
    options.log(`fatal: ${error.message}`);
    void stopAll().then(() => options.onFatal?.(error));
  };
  try {
    const dynamodb: DynamoDbLocal = await startDynamoDbLocal({
      ...(!options.inMemory && { dataDir: join(dataDir, "dynamodb") }),
      onExit: ({ code, signal }) =>
        options.log(
          `DynamoDB Local exited on its own (${signal ?? `code ${code}`}); requests answer 503 until it is back` +
            (options.inMemory ? "" : "; restarting it on the same port and data"),
        ),
      onRestart: ({ restarts }) => options.log("DynamoDB Local restarted", { restarts }),
      onGiveUp: fatal,
    });
    stops.push(() => dynamodb.stop());

    const ses = await startLocalSes({ inboxPort: options.sesPort ?? (await freePort()), frontPort: await freePort() });
    stops.push(() => ses.stop());

    // Debug audio: objects on disk beside the rest of the state (in a temporary directory in memory).
    const s3 = await startLocalS3({
      buckets: [DEBUG_AUDIO_BUCKET],
      ...(!options.inMemory && { directory: join(dataDir, "s3") }),
      credentials: LOCAL_CREDENTIALS,
      onExit: ({ code, signal }) =>
        options.log(`the local S3 exited on its own (${signal ?? `code ${code}`}); debug audio is unavailable`),
    });
    stops.push(() => s3.stop());

    // The emulators keep their own tables in the same DynamoDB Local.
    const localDb = new DynamoDBClient({ endpoint: dynamodb.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });

    // Before the bus, which sends to the bot command queue (and stops first, draining into it).
    const deliveries = QUEUES.webhookDeliveries;
    const botCommands = QUEUES.botCommands;
    // Every queue with a consumer function (webhook deliveries, the plugins), each with its dead-letter queue.
    const consumerQueues = Object.values(QUEUES).filter(
      (q): q is Extract<(typeof QUEUES)[keyof typeof QUEUES], { entry: string }> => "entry" in q,
    );
    const sqs = await startLocalSqs({
      dynamodb: localDb,
      tableName: "cortex-local-sqs",
      queues: [
        ...consumerQueues.flatMap((queue) => [
          {
            name: queue.name,
            batchSize: queue.batchSize,
            visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
            maxReceiveCount: queue.maxReceiveCount,
            deadLetterQueue: `${queue.name}-dlq`,
            consumer: async (event: SQSEvent) => {
              await ready;
              const handler = await loadFunction<SQSEvent, SQSBatchResponse>(queue.entry);
              return invokeLambda(handler, event, functionConfig(queue.entry));
            },
          },
          { name: `${queue.name}-dlq` },
        ]),
        // Consumed by a bot fleet (or a test) through the SQS API; no function here, as on AWS.
        {
          name: botCommands.name,
          visibilityTimeoutSeconds: botCommands.visibilityTimeoutSeconds,
          maxReceiveCount: botCommands.maxReceiveCount,
          deadLetterQueue: `${botCommands.name}-dlq`,
        },
        { name: `${botCommands.name}-dlq` },
      ],
      log: options.log,
    });
    stops.push(() => sqs.stop());
    const sqsClient = new SQSClient({ endpoint: sqs.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });

    // Consumers are loaded lazily: their modules must see the environment set below.
    const targets: Record<string, { invoke: RuleTarget; retryAttempts: number }> = {};
    for (const rule of RULES) {
      const consumer = CONSUMERS[rule.consumer];
      targets[rule.id] = {
        retryAttempts: asyncRetryAttempts(consumer.entry),
        invoke: async (event) => {
          await ready;
          const handler = await loadFunction<EventBridgeEvent<string, unknown>, void>(consumer.entry);
          await invokeLambda(handler, event, functionConfig(consumer.entry));
        },
      };
    }
    // A queue target's message is the event's detail (the envelope), as the stack's input path says.
    for (const rule of QUEUE_RULES) {
      const queue: { name: string; deliveryRetryAttempts?: number } = QUEUES[rule.queue];
      if (queue.deliveryRetryAttempts === undefined)
        throw new Error(`queue ${queue.name} has no deliveryRetryAttempts`);
      const queueUrl = sqs.queueUrl(queue.name);
      targets[rule.id] = {
        retryAttempts: queue.deliveryRetryAttempts,
        invoke: async (event) => {
          await sqsClient.send(
            new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event.detail) }),
          );
        },
      };
    }
    const userRules = userFunctions.map(({ binding }) => userFunctionRule(binding));
    const functionOfRule = new Map<string, string>([
      ...RULES.map((rule) => [rule.id, CONSUMERS[rule.consumer].entry] as const),
      ...QUEUE_RULES.map((rule) => [rule.id, `queue ${QUEUES[rule.queue].name}`] as const),
      ...userFunctions.map(({ binding }) => [userFunctionRule(binding).id, binding.exportName] as const),
    ]);
    for (const { binding, run } of userFunctions) {
      targets[userFunctionRule(binding).id] = {
        retryAttempts: asyncRetryAttempts("user-function"),
        invoke: async (event) => {
          await ready;
          await invokeLambda(await run(), event, functionConfig("user-function", binding.exportName));
        },
      };
    }
    const eventBus = (bus = await startLocalEventBridge({
      busName: BUS_NAME,
      rules: [...RULES, ...QUEUE_RULES, ...userRules],
      targets,
      region: REGION,
      ...(!options.inMemory && {
        journalDir: join(dataDir, "eventbridge-journal"),
        deadLetterFile: join(dataDir, "dead-letters.jsonl"),
      }),
      onDeadLetter: ({ rule, error, event }) =>
        options.log(
          `consumer ${functionOfRule.get(rule) ?? rule} failed on an event after its retries; dead-lettered ` +
            "(GET /health lists the dead letters; npm run redrive delivers them again)",
          { rule, eventId: event.id, error },
        ),
      log: options.log,
    }));
    stops.push(() => eventBus.stop());

    // EventBridge Scheduler targets are Lambda ARNs; locally the function name is the entry under functions/.
    const scheduler = await startLocalScheduler({
      dynamodb: localDb,
      tableName: "cortex-local-scheduler",
      // The same clock as the functions (CORTEX_CLOCK_START moves both).
      now: () => systemClock.now(),
      invokeTarget: async ({ arn, input }) => {
        const name = /:function:([\w-]+)$/.exec(arn)?.[1];
        if (!name || !isFunctionEntry(name)) throw new Error(`schedule target ${arn} is not a function of this stack`);
        await ready;
        const handler = await loadFunction<unknown, unknown>(name);
        await invokeLambda(handler, input === undefined ? {} : (JSON.parse(input) as unknown), functionConfig(name));
      },
      logger: options.log,
    });
    stops.push(() => scheduler.stop());

    // Port 0: bind now and keep it, so the URL the functions are told is the one the API will serve on.
    const reserved = options.port === 0 ? await reservePort() : undefined;
    if (reserved) stops.push(() => new Promise<void>((r) => reserved.server.close(() => r())));
    const apiPort = reserved?.port ?? options.port;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    // CORTEX_LOCAL_COUNT_DYNAMODB=true: the functions and the live hub reach DynamoDB Local through a
    // counter (GET /local/dynamodb/requests), so tests and the bench can see what reaches the database.
    const counter =
      process.env.CORTEX_LOCAL_COUNT_DYNAMODB === "true" ? await startRequestCounter(dynamodb.endpoint) : undefined;
    if (counter) stops.push(() => counter.stop());
    for (const [name, value] of Object.entries(localDefaults(apiUrl))) process.env[name] ??= value;

    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      [ENV.webhookQueueUrl]: sqs.queueUrl(deliveries.name),
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: counter?.endpoint ?? dynamodb.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodb.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBus.endpoint,
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      [ENV.tableName]: TABLE_NAME,
      [ENV.eventBusName]: BUS_NAME,
      [ENV.debugAudioBucket]: DEBUG_AUDIO_BUCKET,
      [ENV.s3ForcePathStyle]: "true",
    });

    const client = new DynamoDBClient({});
    const { streamArn } = await ensureTable(client, TABLE_NAME);
    try {
      await new SchedulerClient({}).send(new CreateScheduleGroupCommand({ Name: SCHEDULE_GROUP }));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
    }
    const keys = new DynamoDbStore({ tableName: TABLE_NAME });
    const apiKey = devKey(options, "dev-api-key", options.apiKey);
    await storeApiKey(keys, apiKey, {
      tenantId: "local",
      projectScope: "*",
      description: "local development key",
      createdAt: new Date().toISOString(),
    });
    const botKey = devKey(options, "dev-bot-key");
    await storeApiKey(keys, botKey, {
      tenantId: "local",
      projectScope: "*",
      credential: "bot",
      description: "local development bot key",
      createdAt: new Date().toISOString(),
    });

    installAwsLambdaGlobal();
    markReady();
    // Live delivery (SSE): one in-memory feed per watched aggregate, fed by the stream publisher's batches.
    const live = startLocalLive({ log: options.log });
    stops.push(async () => live.stop());
    const publisher = await liveFunction<LambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>>("stream-publisher");
    const poller = startStreamPoller({
      client: new DynamoDBStreamsClient({}),
      streamArn,
      filterPattern: STREAM_FILTER_PATTERN,
      handler: (event) => {
        live.tap(event);
        return invokeLambda(publisher, event, functionConfig("stream-publisher"));
      },
      ...(!options.inMemory && {
        checkpointFile: join(dataDir, "stream-checkpoints.json"),
        failureFile: join(dataDir, "stream-failures.jsonl"),
      }),
      region: REGION,
      log: options.log,
    });
    stops.push(() => poller.stop());

    // The second consumer of the stream: inserted messages get their place in the session's event log.
    const sequencer =
      await liveFunction<LambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>>("message-sequencer");
    const sequencerPoller = startStreamPoller({
      client: new DynamoDBStreamsClient({}),
      streamArn,
      filterPattern: SEQUENCER_STREAM_FILTER_PATTERN,
      handler: (event) => invokeLambda(sequencer, event, functionConfig("message-sequencer")),
      ...(!options.inMemory && {
        checkpointFile: join(dataDir, "stream-checkpoints-sequencer.json"),
        failureFile: join(dataDir, "stream-failures-sequencer.jsonl"),
      }),
      region: REGION,
      log: options.log,
    });
    stops.push(() => sequencerPoller.stop());

    // GET /health and POST /local/redrive (local/admin.ts); the live lobby page at /demo/lobby.
    // Batches a stream consumer gave up on: its failure file when state is kept (earlier runs too).
    const givenUp = (poller: StreamPoller, file: string) =>
      options.inMemory || !existsSync(join(dataDir, file))
        ? poller.givenUp()
        : readFileSync(join(dataDir, file), "utf8")
            .split("\n")
            .filter((l) => l.trim() !== "").length;
    const deadLetters = async (queueName: string) => {
      const { Attributes } = await sqsClient.send(
        new GetQueueAttributesCommand({
          QueueUrl: sqs.queueUrl(`${queueName}-dlq`),
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    };
    const health = async (): Promise<HealthReport> => {
      const problems: string[] = [];
      const dynamodbUp = dynamodb.isUp();
      if (!dynamodbUp) problems.push("DynamoDB Local is down");
      const consumers = new Map<string, ConsumerHealth>();
      for (const deadLetter of eventBus.deadLetters()) {
        const entry = consumers.get(deadLetter.rule) ?? {
          rule: deadLetter.rule,
          function: functionOfRule.get(deadLetter.rule) ?? deadLetter.rule,
          deadLetters: 0,
        };
        entry.deadLetters++;
        entry.lastError = deadLetter.error;
        if (deadLetter.failedAt) entry.lastFailedAt = deadLetter.failedAt;
        consumers.set(deadLetter.rule, entry);
      }
      for (const queue of consumerQueues) {
        const failures = dynamodbUp ? await deadLetters(queue.name).catch(() => 0) : 0;
        if (failures > 0) consumers.set(queue.name, { rule: queue.name, function: queue.entry, deadLetters: failures });
      }
      for (const c of consumers.values()) {
        problems.push(
          `${c.function} (${c.rule}): ${c.deadLetters} dead letter(s)${c.lastError ? `, last error: ${c.lastError}` : ""}`,
        );
      }
      const streamFailures = givenUp(poller, "stream-failures.jsonl");
      if (streamFailures > 0) problems.push(`stream-publisher: ${streamFailures} stream batch(es) given up on`);
      const sequencerFailures = givenUp(sequencerPoller, "stream-failures-sequencer.jsonl");
      if (sequencerFailures > 0) {
        problems.push(`message-sequencer: ${sequencerFailures} stream batch(es) given up on`);
      }
      return {
        status: problems.length === 0 ? "ok" : "unhealthy",
        dynamodb: { up: dynamodbUp, restarts: dynamodb.restarts() },
        consumers: [...consumers.values()],
        streamFailures,
        sequencerFailures,
        problems,
      };
    };
    const admin = adminRoutes({
      apiKey,
      health,
      scheduleWrites: (prefix) => scheduler.writes(prefix),
      redrive: async (filter) => {
        const events = eventBus.redrive(filter);
        const queued: Record<string, number> = {};
        for (const queue of consumerQueues) {
          if (filter.rule !== undefined && filter.rule !== queue.name) continue;
          const count = await deadLetters(queue.name);
          if (count === 0) continue;
          queued[queue.name] = count;
          await sqsClient.send(new StartMessageMoveTaskCommand({ SourceArn: sqs.queueArn(`${queue.name}-dlq`) }));
        }
        const webhookDeliveries = queued[deliveries.name] ?? 0;
        options.log("dead letters re-driven", { events, queued });
        return { events, webhookDeliveries, queued };
      },
    });
    // The lobby page's players get participant tokens minted with the dev key here, never the key itself.
    let localApiUrl = "";
    const demo = demoRoutes({
      mintToken: async (projectId, participantId) => {
        const response = await fetch(`${localApiUrl}/v1/projects/${encodeURIComponent(projectId)}/tokens`, {
          method: "POST",
          headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
          body: JSON.stringify({ participantId, ttlSeconds: 3600 }),
        });
        return { status: response.status, body: await response.json() };
      },
    });
    const site = siteRoutes({
      inboxUrl: ses.inboxUrl,
      userFunctions: userFunctions.map(({ binding }) => ({ ...binding })),
    });
    const api = await startLocalApi({
      port: reserved?.server ?? apiPort,
      apiHandler: await liveFunction<LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>>("http-api"),
      authorizer:
        await liveFunction<LambdaHandler<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>>("authorizer"),
      sseHandler: await liveFunction<LocalApiOptions["sseHandler"]>("sse"),
      liveHandler: live.serve,
      // API Gateway's authorizer cache TTL (the stack's `authorizerCacheTtl`); shorter here to see a revocation sooner.
      ...(process.env.CORTEX_AUTHORIZER_CACHE_SECONDS && {
        authorizerCacheSeconds: Number(process.env.CORTEX_AUTHORIZER_CACHE_SECONDS),
      }),
      extra: async (req, res) =>
        !!counter?.route(req, res, apiKey) || (await admin(req, res)) || (await demo(req, res)) || site(req, res),
      log: options.log,
      // Under `npm run dev`, and with `npm start` unless LOG_LEVEL asks for warnings or errors only.
      logRequests: options.dev === true || !/^(warn|error|silent)$/i.test(process.env.LOG_LEVEL ?? ""),
    });
    stops.push(() => api.stop());
    localApiUrl = api.url;

    return {
      apiUrl: api.url,
      inboxUrl: ses.inboxUrl,
      apiKey,
      botKey,
      botCommandQueueUrl: sqs.queueUrl(botCommands.name),
      dynamodbEndpoint: dynamodb.endpoint,
      userFunctions: userFunctions.map(({ binding }) => ({ ...binding })),
      stop: stopAll,
    };
  } catch (error) {
    // Deliveries waiting for the environment stay journaled for the next start, not dead-lettered.
    const busStopping = bus?.stop();
    markFailed(new Error("the local runtime did not start"));
    await busStopping?.catch(() => undefined);
    await stopAll();
    throw error;
  }
}
