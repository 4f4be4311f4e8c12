import type { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { handleApiRequest, type ApiDeps } from "../../shared/app/http/api.js";
import type { ApiRequest } from "../../shared/app/http/request.js";
import type { OperationId } from "../../shared/app/http/routes.js";
import type { Principal } from "../../shared/kernel/tenancy.js";
import { systemClock } from "../../shared/kernel/clock.js";

/**
 * What the API operations need when a suite runs them in-process over a (metered) store: webhook
 * deliveries are dropped and debug audio is refused, since the operations measured use neither.
 */
export function inProcessApiDeps(store: DynamoDbStore, suite: string): ApiDeps {
  const noAudio = () => Promise.reject(new Error(`no debug audio in the ${suite} bench`));
  return {
    store,
    clock: systemClock,
    eventRetentionSeconds: 7 * 86_400,
    webhooks: {
      queue: { send: async () => undefined },
      config: { allowPrivate: false, allowHttp: false, retryScale: 1, timeoutMs: 15_000 },
    },
    audio: { put: noAudio, downloadUrl: noAudio, deletePrefix: async () => 0 },
  };
}

/**
 * Calls API operations in-process as a given principal, in one project: the dispatcher parses and scopes
 * each request exactly as over HTTP. Throws on any answer ≥ 300 (a bench measures the happy path).
 */
export function inProcessCaller(deps: ApiDeps, projectId: string, suite: string) {
  let requests = 0;
  return async (operationId: OperationId, principal: Principal, params: Record<string, string>, body?: unknown) => {
    const request: ApiRequest = {
      operationId,
      params: { projectId, ...params },
      query: {},
      headers: {},
      body,
      principal,
      requestId: `bench-${suite}-${++requests}`,
    };
    const response = await handleApiRequest(request, deps);
    if (response.status >= 300) throw new Error(`${operationId}: ${response.status} ${JSON.stringify(response.body)}`);
    return response;
  };
}
