import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterEach, describe, expect, it } from "vitest";
import { AwsClient, AwsServiceError, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { defaultCredentials } from "../../shared/adapters/aws/client/credentials.js";
import { signRequest, type SignableRequest } from "../../shared/adapters/aws/client/sigv4.js";

/**
 * The lean AWS client (shared/adapters/aws/client/): its SigV4 signatures against the AWS SDK's own signer,
 * and its protocol behaviour (requests, errors, retries, credentials) against a real HTTP server.
 */

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/** The SDK signer's hash: node's crypto behind the Checksum interface it expects. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac("sha256", bytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const WHEN = new Date("2026-07-01T09:03:20.000Z");

async function sdkAuthorization(
  request: SignableRequest,
  scope: { region: string; service: string },
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Promise<string> {
  // applyChecksum: false — x-amz-content-sha256 is optional outside S3; this client does not send it.
  const signer = new SignatureV4({
    credentials,
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = (await signer.sign(
    {
      method: request.method,
      protocol: "https:",
      hostname: request.headers.host!,
      path: request.path,
      query: request.query ?? {},
      headers: { ...request.headers },
      body: request.body,
    } as never,
    { signingDate: WHEN },
  )) as unknown as { headers: Record<string, string> };
  return signed.headers["authorization"]!;
}

describe("SigV4 signing", () => {
  it("signs a JSON-RPC request exactly as the AWS SDK's signer does", async () => {
    const request: SignableRequest = {
      method: "POST",
      path: "/",
      headers: {
        host: "dynamodb.eu-west-1.amazonaws.com",
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.GetItem",
        "content-length": "42",
      },
      body: JSON.stringify({ TableName: "cortex", Key: { PK: { S: "GTH#1" }, SK: { S: "ROOT" } } }),
    };
    const expected = await sdkAuthorization(
      { ...request, headers: { ...request.headers } },
      { region: "eu-west-1", service: "dynamodb" },
      CREDENTIALS,
    );
    signRequest(request, CREDENTIALS, { region: "eu-west-1", service: "dynamodb" }, WHEN);
    expect(request.headers.authorization).toBe(expected);
    expect(request.headers["x-amz-date"]).toBe("20260701T090320Z");
  });

  it("signs a REST request with an encoded path label, a query and a session token as the SDK does", async () => {
    const credentials = { ...CREDENTIALS, sessionToken: "IQoJb3JpZ2luX2VjE//session+token=" };
    const request: SignableRequest = {
      method: "DELETE",
      path: `/model/${encodeURIComponent("global.anthropic.claude-haiku-4-5-20251001-v1:0")}/converse`,
      query: { groupName: "cortex schedules", clientToken: "a/b*c" },
      headers: { host: "bedrock-runtime.us-east-1.amazonaws.com", "content-type": "application/json" },
      body: "",
    };
    const expected = await sdkAuthorization(
      { ...request, headers: { ...request.headers } },
      { region: "us-east-1", service: "bedrock" },
      credentials,
    );
    signRequest(request, credentials, { region: "us-east-1", service: "bedrock" }, WHEN);
    expect(request.headers.authorization).toBe(expected);
    expect(request.headers["x-amz-security-token"]).toBe(credentials.sessionToken);
  });

  it("gives a different signature when the body changes (the payload is covered)", () => {
    const sign = (body: string) => {
      const request: SignableRequest = { method: "POST", path: "/", headers: { host: "h" }, body };
      signRequest(request, CREDENTIALS, { region: "eu-west-1", service: "sqs" }, WHEN);
      return request.headers.authorization;
    };
    expect(sign("{}")).not.toBe(sign('{"a":1}'));
  });
});

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A real HTTP server answering from a script, one answer per request (the last one repeats). */
async function scripted(answers: Answer[]): Promise<{ endpoint: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("AwsClient over HTTP", () => {
  it("sends a JSON-RPC call as the protocol defines it, signed, with blobs base64 and dates in epoch seconds", async () => {
    const { endpoint, seen } = await scripted([{ status: 200, body: { MessageId: "m-1" } }]);
    const sqs = new AwsClient(SERVICES.sqs, { endpoint, region: "eu-west-1", credentials: CREDENTIALS });
    const out = await sqs.call("SendMessage", {
      QueueUrl: "q",
      Body: new Uint8Array([104, 105]),
      At: new Date("2026-07-01T00:00:00Z"),
    });
    expect(out).toEqual({ MessageId: "m-1" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.url).toBe("/");
    expect(seen[0]!.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
    expect(seen[0]!.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(seen[0]!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sqs\/aws4_request, SignedHeaders=[^ ]*x-amz-target[^ ]*, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(seen[0]!.body)).toEqual({ QueueUrl: "q", Body: "aGk=", At: 1782864000 });
  });

  it("sends a REST-JSON call to its path with its query", async () => {
    const { endpoint, seen } = await scripted([{ status: 200, body: { ScheduleArn: "arn:x" } }]);
    const scheduler = new AwsClient(SERVICES.scheduler, { endpoint, credentials: CREDENTIALS });
    await scheduler.request("DELETE", `/schedules/${encodeURIComponent("gth_1-start")}`, {
      query: { groupName: "cortex" },
    });
    expect(seen[0]!.method).toBe("DELETE");
    expect(seen[0]!.url).toBe("/schedules/gth_1-start?groupName=cortex");
    expect(seen[0]!.body).toBe("");
  });

  it("turns an error answer into an error named by its code, with the body's members and the status", async () => {
    const { endpoint } = await scripted([
      {
        status: 400,
        body: {
          __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
          message: "Transaction cancelled",
          CancellationReasons: [{ Code: "None" }, { Code: "ConditionalCheckFailed" }],
        },
      },
    ]);
    const dynamodb = new AwsClient(SERVICES.dynamodb, { endpoint, credentials: CREDENTIALS });
    const error = await dynamodb.call("TransactWriteItems", { TransactItems: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect((error as AwsServiceError).name).toBe("TransactionCanceledException");
    expect((error as AwsServiceError).message).toBe("Transaction cancelled");
    expect((error as AwsServiceError).CancellationReasons).toEqual([
      { Code: "None" },
      { Code: "ConditionalCheckFailed" },
    ]);
    expect((error as AwsServiceError).$metadata.httpStatusCode).toBe(400);
  });

  it("reads a REST service's error code from x-amzn-errortype", async () => {
    const { endpoint, seen } = await scripted([
      {
        status: 400,
        body: { message: "Email address is not verified." },
        headers: { "x-amzn-errortype": "MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/" },
      },
    ]);
    const ses = new AwsClient(SERVICES.sesv2, { endpoint, credentials: CREDENTIALS });
    const error = (await ses
      .request("POST", "/v2/email/outbound-emails", { body: {} })
      .catch((e: unknown) => e)) as AwsServiceError;
    expect(error.name).toBe("MessageRejected");
    expect(error.message).toBe("Email address is not verified.");
    expect(seen).toHaveLength(1); // a client error is not retried
  });

  it("retries 5xx and throttling answers (3 attempts) and returns the answer that succeeds", async () => {
    const { endpoint, seen } = await scripted([
      { status: 500, body: { __type: "InternalServerError" } },
      { status: 400, body: { __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException" } },
      { status: 200, body: { Item: { PK: { S: "x" } } } },
    ]);
    const dynamodb = new AwsClient(SERVICES.dynamodb, { endpoint, credentials: CREDENTIALS });
    expect(await dynamodb.call("GetItem", {})).toEqual({ Item: { PK: { S: "x" } } });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set(["{}"]));
  });

  it("gives up after its attempts and throws the last error", async () => {
    const { endpoint, seen } = await scripted([{ status: 503, body: { __type: "ServiceUnavailable" } }]);
    const dynamodb = new AwsClient(SERVICES.dynamodb, { endpoint, credentials: CREDENTIALS, maxAttempts: 2 });
    const error = (await dynamodb.call("GetItem", {}).catch((e: unknown) => e)) as AwsServiceError;
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.$metadata.attempts).toBe(2);
    expect(seen).toHaveLength(2);
  });

  it("retries a refused connection, then throws the socket error with its code", async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const dynamodb = new AwsClient(SERVICES.dynamodb, {
      endpoint: `http://127.0.0.1:${port}`,
      credentials: CREDENTIALS,
    });
    const error = (await dynamodb.call("GetItem", {}).catch((e: unknown) => e)) as { code?: string };
    expect(error.code).toBe("ECONNREFUSED");
  });

  it("takes its endpoint from AWS_ENDPOINT_URL_<SERVICE> and its credentials from the environment", async () => {
    const { endpoint, seen } = await scripted([{ status: 200, body: {} }]);
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
      AWS_ACCESS_KEY_ID: "AKIDENV",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_SESSION_TOKEN: "token-1",
      AWS_REGION: "ap-southeast-2",
    });
    try {
      await new AwsClient(SERVICES.eventBridge).call("PutEvents", { Entries: [] });
    } finally {
      for (const key of [
        "AWS_ENDPOINT_URL_EVENTBRIDGE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
      ]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
    expect(seen[0]!.headers["x-amz-target"]).toBe("AWSEvents.PutEvents");
    expect(seen[0]!.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(seen[0]!.headers["x-amz-security-token"]).toBe("token-1");
    expect(seen[0]!.headers.authorization).toContain("Credential=AKIDENV/");
    expect(seen[0]!.headers.authorization).toContain("/ap-southeast-2/events/aws4_request");
  });
});

describe("AwsClient configuration", () => {
  it("refuses to guess a region for a regional endpoint, and builds the regional endpoint from the one given", () => {
    const saved = { region: process.env.AWS_REGION, fallback: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      expect(() => new AwsClient(SERVICES.sesv2, { credentials: CREDENTIALS })).toThrow(/no AWS region/);
      expect(new AwsClient(SERVICES.sesv2, { region: "eu-central-1", credentials: CREDENTIALS }).region).toBe(
        "eu-central-1",
      );
    } finally {
      if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
      if (saved.fallback !== undefined) process.env.AWS_DEFAULT_REGION = saved.fallback;
    }
  });
});

describe("container credentials (the live host's task role)", () => {
  it("are fetched with the authorization token, cached, and fetched again shortly before they expire", async () => {
    let expiration = new Date(Date.now() + 60 * 60_000).toISOString();
    const { endpoint, seen } = await scripted([{ status: 200, body: {} }]);
    const creds = http.createServer((req, res) => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: "" });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ AccessKeyId: "ASIATASK", SecretAccessKey: "s", Token: "t", Expiration: expiration }));
    });
    servers.push(creds);
    await new Promise<void>((r) => creds.listen(0, "127.0.0.1", r));
    const source = defaultCredentials({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(creds.address() as AddressInfo).port}/v2/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: "Bearer abc",
    });
    expect(await source()).toEqual({ accessKeyId: "ASIATASK", secretAccessKey: "s", sessionToken: "t" });
    expect(await source()).toEqual({ accessKeyId: "ASIATASK", secretAccessKey: "s", sessionToken: "t" });
    const fetches = () => seen.filter((s) => s.url === "/v2/credentials");
    expect(fetches()).toHaveLength(1);
    expect(fetches()[0]!.headers.authorization).toBe("Bearer abc");
    expiration = new Date(Date.now() + 2 * 60_000).toISOString();
    // The cached set is still valid for an hour: no fetch. Make it near expiry by fetching a short-lived set.
    const shortLived = defaultCredentials({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(creds.address() as AddressInfo).port}/v2/credentials`,
    });
    await shortLived();
    await shortLived();
    expect(fetches()).toHaveLength(3); // expires within the 5-minute margin: fetched each time
    void endpoint;
  });

  it("says what to set when there are none", async () => {
    await expect(defaultCredentials({})()).rejects.toThrow(/no AWS credentials/);
  });
});
