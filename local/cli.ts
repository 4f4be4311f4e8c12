import { parseArgs } from "node:util";
import { JavaMissingError } from "./dynamodb/server.js";
import { startLocalRuntime } from "./runtime.js";

/** `npm start`: the whole backend on this machine. */
const { values } = parseArgs({
  options: {
    "in-memory": { type: "boolean", default: false },
    port: { type: "string" },
    "data-dir": { type: "string" },
    functions: { type: "string" },
    dev: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  process.stdout.write(`Usage: npm start -- [--in-memory] [--port N] [--data-dir DIR]

  --in-memory     throwaway state (nothing is written to disk)
  --port N        API port (default: $PORT or 3000)
  --data-dir DIR  where state lives (default: .data)
  --functions F   your functions module (default: user-functions/index.ts; also $CORTEX_FUNCTIONS)
  --dev           reload handlers (functions/), domain code (shared/) and your functions when their
                  files change, keeping state and the emulators running (npm run dev)

Environment: PORT, CORTEX_API_KEY (use this key instead of the generated one), LOG_LEVEL (debug|info|warn|error).
`);
  process.exit(0);
}

const log = (message: string, fields?: Record<string, unknown>) =>
  process.stderr.write(`[local] ${message}${fields ? " " + JSON.stringify(fields) : ""}\n`);

const started = Date.now();
let runtime;
try {
  runtime = await startLocalRuntime({
    port: Number(values.port ?? process.env.PORT ?? 3000),
    dataDir: values["data-dir"] ?? ".data",
    inMemory: values["in-memory"],
    dev: values.dev,
    ...(process.env.CORTEX_API_KEY && { apiKey: process.env.CORTEX_API_KEY }),
    ...((values.functions ?? process.env.CORTEX_FUNCTIONS) && {
      functionsPath: values.functions ?? process.env.CORTEX_FUNCTIONS,
    }),
    log,
    onFatal: (error) => {
      process.stderr.write(`\n[local] ${error.message}. Everything the runtime started is stopped; exiting.\n`);
      process.exit(1);
    },
  });
} catch (error) {
  if (
    error instanceof Error &&
    / is not a handler of any event| must be a function|functions module not found/.test(error.message)
  ) {
    process.stderr.write(`\n${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof JavaMissingError) {
    process.stderr.write(`\n${error.message}\n`);
    process.exit(1);
  }
  if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    process.stderr.write(`\nThe API port is in use. Pick another: PORT=3001 npm start\n`);
    process.exit(1);
  }
  throw error;
}

const functionsModule = values.functions ?? process.env.CORTEX_FUNCTIONS ?? "user-functions/index.ts";
const bound =
  runtime.userFunctions.length === 0
    ? "none"
    : runtime.userFunctions.map((f) => `${f.exportName} (${f.eventType})`).join("\n               ");
process.stdout.write(`
  Cortex gatherings backend — running locally${values.dev ? " with hot reload" : ""} (${((Date.now() - started) / 1000).toFixed(1)} s)

  Home         ${runtime.apiUrl}/
  API          ${runtime.apiUrl}   (OpenAPI: ${runtime.apiUrl}/v1/openapi.json)
  API docs     ${runtime.apiUrl}/docs/
  Demo         ${runtime.apiUrl}/demo/lobby#key=${runtime.apiKey}
  Session      ${runtime.apiUrl}/demo/session#key=${runtime.apiKey}
  Email inbox  ${runtime.inboxUrl}
  DynamoDB     ${runtime.dynamodbEndpoint}   (table "cortex")
  API key      ${runtime.apiKey}
  Bot key      ${runtime.botKey}   (the bot API only)
  Bot commands ${runtime.botCommandQueueUrl}   (SQS; body: the event envelope)
  State        ${values["in-memory"] ? "in memory (discarded on exit)" : (values["data-dir"] ?? ".data") + "/"}
  Functions    ${bound}   (from ${functionsModule})
${values.dev ? "  Reloading    functions/, shared/ and your functions module on change; state is kept\n" : ""}
  Try:  curl -s -X POST ${runtime.apiUrl}/v1/projects/demo/gatherings \\
          -H "Authorization: Bearer ${runtime.apiKey}" -H "Content-Type: application/json" \\
          -d '{"name":"Ranked 5v5","type":"lobby"}'

  Health       ${runtime.apiUrl}/health   (dead letters: npm run redrive)

  Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write("\n[local] stopping…\n");
    void runtime.stop().then(() => process.exit(0));
  });
}
