/**
 * What every function builds from its environment at cold start (fail-fast). The AWS SDK clients take
 * their endpoints from the standard AWS configuration (region, AWS_ENDPOINT_URL_*), which is how the
 * same code talks to DynamoDB on AWS and to DynamoDB Local on one machine.
 *
 * Everything in one import, for `npm start`. A function imports each factory from beside its adapter
 * (`storeFromEnv` from ./dynamodb-store.ts, …) and the settings from ./settings.ts instead: an ESM bundle
 * loads every SDK client that a module it imports names, used or not, so importing this module would make
 * a function load every client (see README, "Cold start").
 */
export * from "./settings.js";
export { storeFromEnv } from "./dynamodb-store.js";
export { deliveryQueueFromEnv } from "./sqs-delivery-queue.js";
export { mailerFromEnv } from "./ses-mailer.js";
export { schedulerFromEnv } from "./eventbridge-scheduler.js";
export { debugAudioFromEnv } from "./s3-debug-audio.js";
export { pluginBackoffFromEnv } from "./sqs-backoff.js";
export { apiDepsFromEnv } from "./api-deps.js";
