import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import { storeFromEnv } from "../shared/adapters/aws/environment.js";
import { onTrigger } from "../shared/adapters/lambda/kit.js";
import { bearerSecret, keyPolicy, resolveApiKey } from "../shared/domain/auth/api-keys.js";

const store = storeFromEnv();
const unauthorized = (error: unknown) => !(error instanceof Error && error.message === "Unauthorized");

/** TOKEN authorizer: resolves `Authorization: Bearer <key>`; API Gateway turns "Unauthorized" into a 401. */
export const handler = onTrigger<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>(
  "authorizer",
  async (event, { logger }) => {
    const secret = bearerSecret(event.authorizationToken);
    const principal = secret ? await resolveApiKey(store, secret) : undefined;
    if (!principal) {
      logger.info("key rejected", { reason: secret ? "unknown key" : "malformed header" });
      throw new Error("Unauthorized");
    }
    return keyPolicy(principal, event.methodArn);
  },
  { isFailure: unauthorized },
);
