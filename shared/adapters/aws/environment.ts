import { DEFAULT_REPLAY_WINDOW_DAYS, ENV, numberEnv, requiredEnv } from "../../platform/config.js";
import { DynamoDbStore } from "./dynamodb-store.js";

/**
 * What every function builds from its environment at cold start (fail-fast). The AWS SDK clients take
 * their endpoints from the standard AWS configuration (region, AWS_ENDPOINT_URL_*), which is how the
 * same code talks to DynamoDB on AWS and to DynamoDB Local on one machine.
 */
export function storeFromEnv(): DynamoDbStore {
  return new DynamoDbStore({ tableName: requiredEnv(ENV.tableName) });
}

export function eventRetentionSecondsFromEnv(): number {
  return numberEnv(ENV.replayWindowDays, DEFAULT_REPLAY_WINDOW_DAYS) * 24 * 3600;
}
