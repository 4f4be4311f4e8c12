import { readFile } from "node:fs/promises";
import type { AwsCredentials } from "./sigv4.js";

/**
 * Where the functions' AWS credentials come from, in the AWS SDK's order for the places they run:
 * 1. the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`): Lambda sets these
 *    for the function's role, and the local runtime sets its own;
 * 2. the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on ECS/Fargate, or
 *    `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`): the live host's
 *    task role. Those are temporary; they are fetched again 5 minutes before they expire.
 * Nothing else (no ~/.aws files, no SSO, no instance metadata): scripts run on a laptop keep the AWS SDK.
 */
export type CredentialSource = () => Promise<AwsCredentials>;

const ECS_HOST = "http://169.254.170.2";
const REFRESH_BEFORE_MS = 5 * 60_000;

export function fromEnvironment(env: NodeJS.ProcessEnv = process.env): AwsCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }) };
}

function containerUri(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return `${ECS_HOST}${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`;
  return env.AWS_CONTAINER_CREDENTIALS_FULL_URI || undefined;
}

async function containerToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) {
    return (await readFile(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, "utf8")).trim();
  }
  return env.AWS_CONTAINER_AUTHORIZATION_TOKEN || undefined;
}

/** The default source: the environment, else the container endpoint (cached until shortly before expiry). */
export function defaultCredentials(env: NodeJS.ProcessEnv = process.env): CredentialSource {
  let cached: { credentials: AwsCredentials; expiresAt: number } | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  return async () => {
    const fromEnv = fromEnvironment(env);
    if (fromEnv) return fromEnv;
    if (cached && cached.expiresAt - REFRESH_BEFORE_MS > Date.now()) return cached.credentials;
    const uri = containerUri(env);
    if (!uri) {
      throw new Error(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where the container " +
          "credentials endpoint is set (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)",
      );
    }
    pending ??= (async () => {
      try {
        const token = await containerToken(env);
        const response = await fetch(uri, {
          headers: token ? { authorization: token } : {},
          signal: AbortSignal.timeout(5_000),
        });
        if (!response.ok) throw new Error(`container credentials endpoint answered ${response.status}`);
        const body = (await response.json()) as Record<string, string>;
        if (!body.AccessKeyId || !body.SecretAccessKey) throw new Error("container credentials endpoint: no key");
        const credentials: AwsCredentials = {
          accessKeyId: body.AccessKeyId,
          secretAccessKey: body.SecretAccessKey,
          ...(body.Token && { sessionToken: body.Token }),
        };
        const expiresAt = body.Expiration ? Date.parse(body.Expiration) : Number.POSITIVE_INFINITY;
        cached = { credentials, expiresAt };
        return credentials;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}
