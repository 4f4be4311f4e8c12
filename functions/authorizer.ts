import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import { storeFromEnv } from "../shared/adapters/aws/environment.js";
import { bearerSecret, resolveApiKey } from "../shared/domain/auth/api-keys.js";
import { createLogger } from "../shared/kernel/logger.js";

const logger = createLogger({ function: "authorizer" });
const store = storeFromEnv();

/** `arn:…:apiId/stage/VERB/resource` → `arn:…:apiId/stage/*` — the result is cached per key, not per route. */
function wholeStage(methodArn: string): string {
  const [prefix, apiId, stage] = methodArn.split("/");
  return `${prefix}/${apiId}/${stage}/*`;
}

/** TOKEN authorizer: resolves `Authorization: Bearer <key>`; API Gateway turns "Unauthorized" into a 401. */
export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const secret = bearerSecret(event.authorizationToken);
  const principal = secret ? await resolveApiKey(store, secret) : undefined;
  if (!principal) {
    logger.info("key rejected", { reason: secret ? "unknown key" : "malformed header" });
    throw new Error("Unauthorized");
  }
  return {
    principalId: principal.keyId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: wholeStage(event.methodArn) }],
    },
    context: { tenantId: principal.tenantId, projectScope: principal.projectScope, keyId: principal.keyId },
  };
};
