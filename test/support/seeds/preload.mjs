/**
 * Loaded with `node --import` before a seed sample runs: the samples hard-code the hosted API's origin,
 * so this sends their requests for that origin to the local runtime (CORTEX_SEED_API_URL) instead, and
 * refuses any other non-local request. It also supplies the free variables a sample leaves to its reader
 * (seed 001's `gatheringId`), so the sample files stay as the seeds wrote them. With SEED_TRACE set to a file,
 * it notes there each live stream the sample opens and each event id it receives, so a test can wait for
 * a marker event to reach the sample instead of sleeping.
 */
import { appendFileSync } from "node:fs";
const SEED_ORIGIN = "https://ots.odin.4players.io";
const target = process.env.CORTEX_SEED_API_URL;
if (!target) throw new Error("preload: CORTEX_SEED_API_URL is not set");

const realFetch = globalThis.fetch;
const LOCAL = new Set(["127.0.0.1", "localhost", "[::1]"]);

const trace = process.env.SEED_TRACE;

/** Tees an event stream's body: every `id:` line that passes is noted with the stream's path. */
function traced(path, response) {
  if (!trace || !response.ok || !response.body || !/\/events\?/.test(path)) return response;
  appendFileSync(trace, `open ${path}\n`);
  const decoder = new TextDecoder();
  let pending = "";
  const tee = new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split(/\r\n|\r|\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("id:")) appendFileSync(trace, `${path} ${line.slice(3).trim()}\n`);
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(tee), response);
}

globalThis.fetch = function seedFetch(input, init) {
  const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(href);
  if (url.origin === SEED_ORIGIN) {
    const local = new URL(url.pathname + url.search, target).href;
    return realFetch(input instanceof Request ? new Request(local, input) : local, init).then((r) =>
      traced(`${url.pathname}?types=${url.searchParams.get("types") ?? ""}`, r),
    );
  }
  if (!LOCAL.has(url.hostname)) return Promise.reject(new TypeError(`seed harness: refusing to fetch ${url.origin}`));
  return realFetch(input, init);
};

if (process.env.SEED_GATHERING_ID) globalThis.gatheringId = process.env.SEED_GATHERING_ID;
