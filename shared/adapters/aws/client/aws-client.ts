import type * as Http from "node:http";
import { http, https } from "../../../kernel/node-builtins.js";
import { fullJitter } from "../../../kernel/backoff.js";
import { defaultCredentials, type CredentialSource } from "./credentials.js";
import { signRequest, canonicalQuery, type AwsCredentials } from "./sigv4.js";

/**
 * A small AWS client for the JSON (awsJson1_0 / 1_1) and REST-JSON services the functions call: DynamoDB, SQS,
 * EventBridge, EventBridge Scheduler, SES v2, Comprehend and Bedrock Runtime.
 *
 * Why not the AWS SDK v3 here: loading one SDK client costs ~50 ms of a function's cold start on this
 * machine (its CommonJS build, @smithy's middleware stack, every credential provider), more than the rest of
 * the function together; this module loads in ~2 ms. It speaks the same wire protocol the SDK does (the
 * requests are the same JSON, signed with SigV4), so every local engine the SDK reached still answers, and
 * it keeps the SDK's behaviour that matters to the functions:
 * - endpoint: `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the regional endpoint;
 * - credentials: the environment (Lambda), then the container endpoint (ECS) — ./credentials.ts;
 * - retries (the SDK's "standard" mode): 3 attempts with full-jitter backoff (100 ms base, 500 ms when
 *   throttled, 20 s cap) on throttling, 5xx and connection failures; nothing else is retried;
 * - errors: an `AwsServiceError` named by the service's error code (`ConditionalCheckFailedException`), with
 *   the error body's members on it (`CancellationReasons`) and `$metadata.httpStatusCode`, as the SDK's;
 * - keep-alive connections (one agent per client, 50 sockets).
 * Blobs (`Uint8Array`) are sent base64-encoded and dates as epoch seconds, as the protocols define; responses
 * are returned as parsed JSON (blobs stay base64 strings: no caller reads one).
 */
export interface AwsService {
  /** The SigV4 signing name (`dynamodb`, `ses`, `scheduler`, `bedrock`, …). */
  signingName: string;
  /** The regional endpoint is `https://{endpointPrefix}.{region}.amazonaws.com`. */
  endpointPrefix: string;
  /** The suffix of the service's `AWS_ENDPOINT_URL_<ID>` setting (the SDK's service id). */
  endpointId: string;
  /** JSON-RPC services: the `X-Amz-Target` prefix and the JSON protocol version. */
  json?: { targetPrefix: string; version: "1.0" | "1.1"; queryCompatible?: boolean };
}

export const SERVICES = {
  dynamodb: {
    signingName: "dynamodb",
    endpointPrefix: "dynamodb",
    endpointId: "DYNAMODB",
    json: { targetPrefix: "DynamoDB_20120810", version: "1.0" },
  },
  sqs: {
    signingName: "sqs",
    endpointPrefix: "sqs",
    endpointId: "SQS",
    json: { targetPrefix: "AmazonSQS", version: "1.0", queryCompatible: true },
  },
  eventBridge: {
    signingName: "events",
    endpointPrefix: "events",
    endpointId: "EVENTBRIDGE",
    json: { targetPrefix: "AWSEvents", version: "1.1" },
  },
  comprehend: {
    signingName: "comprehend",
    endpointPrefix: "comprehend",
    endpointId: "COMPREHEND",
    json: { targetPrefix: "Comprehend_20171127", version: "1.1" },
  },
  scheduler: { signingName: "scheduler", endpointPrefix: "scheduler", endpointId: "SCHEDULER" },
  sesv2: { signingName: "ses", endpointPrefix: "email", endpointId: "SESV2" },
  bedrockRuntime: { signingName: "bedrock", endpointPrefix: "bedrock-runtime", endpointId: "BEDROCK_RUNTIME" },
} as const satisfies Record<string, AwsService>;

export interface AwsClientOptions {
  region?: string;
  /** Overrides the endpoint settings (tests, emulators). */
  endpoint?: string;
  credentials?: AwsCredentials | CredentialSource;
  /** Attempts per call, the first included. Default 3. */
  maxAttempts?: number;
}

/** A service's answer other than 2xx, named by its error code. */
export class AwsServiceError extends Error {
  [member: string]: unknown;
  readonly $metadata: { httpStatusCode: number; requestId?: string; attempts: number };
  readonly $retryable?: { throttling: boolean };

  constructor(name: string, message: string, status: number, fields: Record<string, unknown>, requestId?: string) {
    super(message || name);
    for (const [key, value] of Object.entries(fields)) {
      if (!["name", "message", "stack", "__type", "$metadata", "$retryable"].includes(key)) this[key] = value;
    }
    this.name = name;
    this.$metadata = { httpStatusCode: status, ...(requestId && { requestId }), attempts: 1 };
    if (isThrottling(name, status)) this.$retryable = { throttling: true };
  }
}

const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "TransactionInProgressException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "LimitExceededException",
  "RequestThrottled",
  "SlowDown",
  "PriorRequestNotComplete",
  "EC2ThrottledException",
]);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const TRANSIENT_NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED"]);

function isThrottling(name: string, status: number): boolean {
  return THROTTLING.has(name) || status === 429;
}

/**
 * An AWS error by its code: this client's errors and the AWS SDK's are both named by it
 * (`ConditionalCheckFailedException`), so a caller handed either checks the same way.
 */
export function isAwsError(error: unknown, code: string): error is Error & Record<string, unknown> {
  return error instanceof Error && error.name === code;
}

/** Retried as the SDK's standard mode retries: throttling, 5xx, connections that failed. */
export function isRetryable(error: unknown): { throttling: boolean } | undefined {
  if (error instanceof AwsServiceError) {
    if (isThrottling(error.name, error.$metadata.httpStatusCode)) return { throttling: true };
    return TRANSIENT_STATUS.has(error.$metadata.httpStatusCode) ? { throttling: false } : undefined;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && TRANSIENT_NETWORK.has(code) ? { throttling: false } : undefined;
}

/** `"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"` / `"MessageRejected:http://…"` → the code. */
export function errorCode(raw: string): string {
  const afterHash = raw.includes("#") ? raw.slice(raw.lastIndexOf("#") + 1) : raw;
  return afterHash.split(":")[0]!.trim();
}

/** JSON as the AWS protocols want it: blobs base64, timestamps in epoch seconds. */
function serialize(input: unknown): string {
  return JSON.stringify(input, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString("base64");
    if (raw instanceof Date) return raw.getTime() / 1000;
    return value;
  });
}

/** A request before signing: the path relative to the endpoint, lower-case header names. */
interface OutgoingRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

interface RawResponse {
  status: number;
  headers: Http.IncomingHttpHeaders;
  body: string;
}

export class AwsClient {
  readonly region: string;
  private readonly endpoint: URL;
  private readonly credentials: CredentialSource;
  private readonly maxAttempts: number;
  private readonly agent: Http.Agent;

  constructor(
    readonly service: AwsService,
    options: AwsClientOptions = {},
  ) {
    const configured =
      options.endpoint ?? process.env[`AWS_ENDPOINT_URL_${service.endpointId}`] ?? process.env.AWS_ENDPOINT_URL;
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    // A regional endpoint needs the region; guessing one would send the calls to the wrong place. A configured
    // endpoint (an emulator) only signs with it.
    if (!region && !configured) throw new Error("no AWS region: set AWS_REGION (Lambda and ECS set it)");
    this.region = region ?? "us-east-1";
    const endpoint =
      configured ??
      `https://${service.endpointPrefix}.${this.region}.amazonaws.com${this.region.startsWith("cn-") ? ".cn" : ""}`;
    this.endpoint = new URL(endpoint);
    const fixed = options.credentials;
    this.credentials = typeof fixed === "function" ? fixed : fixed ? async () => fixed : defaultCredentials();
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.agent =
      this.endpoint.protocol === "http:"
        ? new http.Agent({ keepAlive: true, maxSockets: 50 })
        : new https.Agent({ keepAlive: true, maxSockets: 50 });
  }

  /** A JSON-RPC call: `POST /` with `X-Amz-Target: {prefix}.{operation}`. */
  call<T = Record<string, unknown>>(operation: string, input: object): Promise<T> {
    const json = this.service.json;
    if (!json) throw new Error(`${this.service.endpointId} is not a JSON-RPC service`);
    return this.send<T>({
      method: "POST",
      path: "/",
      headers: {
        "content-type": `application/x-amz-json-${json.version}`,
        "x-amz-target": `${json.targetPrefix}.${operation}`,
        ...(json.queryCompatible && { "x-amzn-query-mode": "true" }),
      },
      body: serialize(input),
    });
  }

  /** A REST-JSON call. `path` is sent as given: encode its labels with `encodeURIComponent`. */
  request<T = Record<string, unknown>>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    options: { query?: Record<string, string>; body?: object } = {},
  ): Promise<T> {
    return this.send<T>({
      method,
      path,
      ...(options.query && { query: options.query }),
      headers: options.body ? { "content-type": "application/json" } : {},
      body: options.body ? serialize(options.body) : "",
    });
  }

  private async send<T>(request: OutgoingRequest): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.once(request);
        if (response.status >= 200 && response.status < 300) {
          return (response.body.trim() ? JSON.parse(response.body) : {}) as T;
        }
        throw this.serviceError(response, attempt);
      } catch (error) {
        const retry = isRetryable(error);
        if (!retry || attempt >= this.maxAttempts) throw error;
        await fullJitter(attempt - 1, retry.throttling ? 500 : 100, 20_000);
      }
    }
  }

  private async once(request: OutgoingRequest): Promise<RawResponse> {
    const basePath = this.endpoint.pathname.replace(/\/$/, "");
    const path = `${basePath}${request.path}`;
    const headers: Record<string, string> = {
      ...request.headers,
      host: this.endpoint.host,
      "content-length": String(Buffer.byteLength(request.body)),
    };
    const signable = {
      method: request.method,
      path,
      headers,
      body: request.body,
      ...(request.query && { query: request.query }),
    };
    signRequest(
      signable,
      await this.credentials(),
      { region: this.region, service: this.service.signingName },
      new Date(),
    );
    const query = canonicalQuery(request.query);
    const transport = this.endpoint.protocol === "http:" ? http : https;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = transport.request(
        {
          protocol: this.endpoint.protocol,
          hostname: this.endpoint.hostname,
          port: this.endpoint.port || undefined,
          method: request.method,
          path: query ? `${path}?${query}` : path,
          headers: { ...signable.headers, "user-agent": "cortex-aws-client/1" },
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(request.body);
    });
  }

  private serviceError(response: RawResponse, attempts: number): AwsServiceError {
    let fields: Record<string, unknown> = {};
    try {
      const parsed: unknown = response.body.trim() ? JSON.parse(response.body) : {};
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
    } catch {
      fields = {};
    }
    const header = response.headers["x-amzn-errortype"];
    const rawCode =
      (typeof header === "string" && header) ||
      (typeof fields.__type === "string" && fields.__type) ||
      (typeof fields.code === "string" && fields.code) ||
      (typeof fields.Code === "string" && fields.Code) ||
      (response.status >= 500 ? "InternalServerError" : `Http${response.status}`);
    const message =
      (typeof fields.message === "string" && fields.message) ||
      (typeof fields.Message === "string" && fields.Message) ||
      "";
    const requestId = response.headers["x-amzn-requestid"] ?? response.headers["x-amz-request-id"];
    const error = new AwsServiceError(
      errorCode(rawCode),
      message,
      response.status,
      fields,
      typeof requestId === "string" ? requestId : undefined,
    );
    error.$metadata.attempts = attempts;
    return error;
  }
}
