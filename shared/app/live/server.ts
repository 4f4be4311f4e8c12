import { PROBLEM_CONTENT_TYPE } from "../http/gateway-responses.js";
import { toProblem } from "../http/problem.js";
import type { ApiRequest } from "../http/request.js";
import { DomainError, retryAfterHeader } from "../../kernel/errors.js";
import { numberEnv } from "../../kernel/config.js";
import type { Store } from "../../store/store.js";
import type { LiveHub, LiveSink } from "./hub.js";
import { prepareEventStream } from "./sse-request.js";
import { allowedOriginsFromEnv, corsHeaders, type CorsRequest } from "../http/cors.js";

/**
 * The two SSE routes (`streamGatheringEvents`, `streamSessionEvents`) served from a `LiveHub` on a plain
 * node:http response, for any host that holds connections itself (the local runtime, a container). The
 * request is already authorized (an `ApiRequest` with its principal); everything that can go wrong before
 * the stream opens is a problem+json response, as the API answers it.
 */
export interface LiveResponse extends LiveSink {
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders?(): void;
  end(chunk?: string): unknown;
  on(event: "close", listener: () => void): unknown;
  readonly destroyed?: boolean;
}

export interface LiveServerOptions {
  hub: LiveHub;
  store: Store;
  /** Concurrent streams one key (principal) may hold in this process. Default 1,000. */
  maxStreamsPerKey?: number;
  /** The `retry:` hint sent first. Default 1,000 ms. */
  retryMs?: number;
  /** The origins a response may name in its CORS headers (as the API's). Default: the deployment's list. */
  corsOrigins?: (request: CorsRequest) => Promise<readonly string[]>;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface LiveServer {
  /** Serves one SSE request; resolves once the stream has opened (or the problem was sent). */
  serve(request: ApiRequest, res: LiveResponse, instance?: string): Promise<void>;
  /** Streams open now. */
  open(): number;
}

/** The settings a host reads from its environment (the same names the streaming Lambda reads). */
export function liveSettingsFromEnv(): {
  heartbeatMs: number;
  maxDurationMs: number;
  safetyPollMs: number;
  maxBufferedBytes: number;
  maxStreamsPerKey: number;
} {
  return {
    heartbeatMs: numberEnv("SSE_HEARTBEAT_SECONDS", 10) * 1000,
    maxDurationMs: numberEnv("SSE_MAX_DURATION_SECONDS", 14 * 60) * 1000,
    safetyPollMs: numberEnv("SSE_SAFETY_POLL_SECONDS", 20) * 1000,
    maxBufferedBytes: numberEnv("SSE_MAX_BUFFERED_BYTES", 1024 * 1024),
    maxStreamsPerKey: numberEnv("SSE_MAX_STREAMS_PER_KEY", 1000),
  };
}

/** A key holds as many streams as it may in this process. */
export class TooManyStreamsError extends DomainError {
  readonly status = 429;
  readonly code = "too_many_streams";
  readonly title = "Too many open streams";
  constructor(limit: number) {
    super(
      `This key already holds ${limit} open event streams here; close one (or watch several aggregates ` +
        "of one project over fewer streams) and try again",
      { limit },
    );
  }
}

export function createLiveServer(options: LiveServerOptions): LiveServer {
  const { hub, store } = options;
  const limit = options.maxStreamsPerKey ?? 1000;
  const retryMs = options.retryMs ?? 1000;
  const log = options.log ?? (() => undefined);
  const perKey = new Map<string, number>();
  const corsOrigins = options.corsOrigins ?? (async () => allowedOriginsFromEnv());
  let open = 0;

  /** The CORS headers of a response to this request: the caller's origin, when it is allowed. */
  async function cors(request: ApiRequest): Promise<Record<string, string>> {
    const origin = request.headers.origin;
    if (!origin) return {};
    const principal = request.principal;
    const projectId = request.params.projectId;
    const project =
      principal && projectId && (principal.projectScope === "*" || principal.projectScope === projectId)
        ? { tenantId: principal.tenantId, projectId }
        : undefined;
    return corsHeaders(origin, await corsOrigins({ origin, project }).catch(() => []));
  }

  async function problem(res: LiveResponse, error: unknown, request: ApiRequest, instance?: string): Promise<void> {
    const body = toProblem(error, instance);
    if (body.status >= 500) log("stream failed to open", { error: (error as Error).message });
    res.writeHead(body.status, {
      "Content-Type": PROBLEM_CONTENT_TYPE,
      ...retryAfterHeader(error),
      ...(await cors(request)),
    });
    res.end(JSON.stringify({ ...body, requestId: request.requestId }));
  }

  return {
    open: () => open,
    async serve(request, res, instance) {
      const key = request.principal ? `${request.principal.tenantId}/${request.principal.keyId}` : "anonymous";
      const held = perKey.get(key) ?? 0;
      if (held >= limit) return problem(res, new TooManyStreamsError(limit), request, instance);
      // Counted from here, so concurrent opens cannot pass the limit together.
      perKey.set(key, held + 1);
      open++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        open--;
        const n = (perKey.get(key) ?? 1) - 1;
        if (n <= 0) perKey.delete(key);
        else perKey.set(key, n);
      };
      let prepared;
      try {
        prepared = await prepareEventStream(request, store);
      } catch (error) {
        release();
        return problem(res, error, request, instance);
      }
      if (res.destroyed) return release();
      const corsHeadersOfResponse = await cors(request);
      if (res.destroyed) return release();
      res.writeHead(200, {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
        ...corsHeadersOfResponse,
      });
      res.flushHeaders?.();
      const { aggregate, after } = prepared;
      res.write(`retry: ${retryMs}\n: watching ${aggregate.type}:${aggregate.id} after ${after}\n\n`);
      const watch = hub.watch({ ...prepared, sink: res, onEnd: release });
      res.on("close", () => watch.close());
    },
  };
}
