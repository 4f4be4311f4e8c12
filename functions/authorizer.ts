import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { onTrigger } from "../shared/adapters/lambda/kit.js";
import { keyPolicy } from "../shared/domain/auth/api-keys.js";
import { resolveCredential } from "../shared/domain/auth/credentials.js";
import { systemClock } from "../shared/kernel/clock.js";

const store = storeFromEnv();
const unauthorized = (error: unknown) => !(error instanceof Error && error.message === "Unauthorized");

/** TOKEN authorizer: an API key or a participant token (credentials.ts); API Gateway turns "Unauthorized" into 401. */
export const handler = onTrigger<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>(
  "authorizer",
  async (event, { logger }) => {
    const resolved = await resolveCredential(store, event.authorizationToken, systemClock.now(), (error) =>
      logger.warn("last use of a key not recorded", { error }),
    );
    if ("rejected" in resolved) {
      logger.info("key rejected", { reason: resolved.rejected });
      throw new Error("Unauthorized");
    }
    return keyPolicy(resolved.principal, event.methodArn);
  },
  { isFailure: unauthorized },
);
