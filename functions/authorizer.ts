import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import { storeFromEnv } from "../shared/adapters/aws/environment.js";
import { onTrigger } from "../shared/adapters/lambda/kit.js";
import { systemClock } from "../shared/kernel/clock.js";
import { bearerSecret, keyPolicy, resolveApiKey } from "../shared/domain/auth/api-keys.js";
import {
  bearerToken,
  isParticipantToken,
  participantPrincipal,
  SIGNING_PURPOSE,
  verifyParticipantToken,
} from "../shared/domain/auth/participant-tokens.js";
import { signingKey } from "../shared/domain/auth/signing-key.js";

const store = storeFromEnv();
const unauthorized = (error: unknown) => !(error instanceof Error && error.message === "Unauthorized");

/**
 * TOKEN authorizer: resolves `Authorization: Bearer <key>` (an API key: one table read) or
 * `Bearer cpt_…` (a participant token: verified with the signing key, no table read once the key is
 * cached); API Gateway turns "Unauthorized" into a 401.
 */
export const handler = onTrigger<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>(
  "authorizer",
  async (event, { logger }) => {
    const header = event.authorizationToken;
    const token = bearerToken(header);
    if (token || isParticipantToken(/^Bearer\s+(\S*)/i.exec(header ?? "")?.[1] ?? "")) {
      const verified = token
        ? verifyParticipantToken(await signingKey(store, SIGNING_PURPOSE), token, systemClock.now())
        : ({ ok: false, reason: "malformed" } as const);
      if (!verified.ok) {
        logger.info("participant token rejected", { reason: verified.reason });
        throw new Error("Unauthorized");
      }
      return keyPolicy(participantPrincipal(verified.claim), event.methodArn);
    }
    const secret = bearerSecret(header);
    const principal = secret ? await resolveApiKey(store, secret) : undefined;
    if (!principal) {
      logger.info("key rejected", { reason: secret ? "unknown key" : "malformed header" });
      throw new Error("Unauthorized");
    }
    return keyPolicy(principal, event.methodArn);
  },
  { isFailure: unauthorized },
);
