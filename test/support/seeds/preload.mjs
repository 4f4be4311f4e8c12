/**
 * Loaded with `node --import` before a seed sample runs: the samples hard-code the hosted API's origin,
 * so this sends their requests for that origin to the local runtime (CORTEX_SEED_API_URL) instead, and
 * refuses any other non-local request. It also supplies the free variables a sample leaves to its reader
 * (seed 001's `gatheringId`), so the sample files stay as the seeds wrote them.
 */
const SEED_ORIGIN = "https://ots.odin.4players.io";
const target = process.env.CORTEX_SEED_API_URL;
if (!target) throw new Error("preload: CORTEX_SEED_API_URL is not set");

const realFetch = globalThis.fetch;
const LOCAL = new Set(["127.0.0.1", "localhost", "[::1]"]);

globalThis.fetch = function seedFetch(input, init) {
  const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(href);
  if (url.origin === SEED_ORIGIN) {
    const local = new URL(url.pathname + url.search, target).href;
    return realFetch(input instanceof Request ? new Request(local, input) : local, init);
  }
  if (!LOCAL.has(url.hostname)) return Promise.reject(new TypeError(`seed harness: refusing to fetch ${url.origin}`));
  return realFetch(input, init);
};

if (process.env.SEED_GATHERING_ID) globalThis.gatheringId = process.env.SEED_GATHERING_ID;
