import type { ServerResponse } from "node:http";
import type { APIGatewayProxyEvent, DynamoDBStreamEvent } from "aws-lambda";
import { storeFromEnv } from "../../shared/adapters/aws/environment.js";
import { toApiRequest } from "../../shared/adapters/lambda/http.js";
import { eventsOfStreamRecords } from "../../shared/adapters/lambda/stream-records.js";
import { LiveHub } from "../../shared/app/live/hub.js";
import { createLiveServer, liveSettingsFromEnv } from "../../shared/app/live/server.js";
import { originsWithProjectSettings } from "../../shared/app/http/cors.js";
import { getSettings } from "../../shared/domain/sessions/settings.js";

/**
 * Live delivery in the local runtime: one hub for the process, fed by the stream batches the stream
 * publisher is handed (no extra reads), serving the SSE routes on the local API's sockets.
 */
export interface LocalLive {
  hub: LiveHub;
  /** For `startLocalApi({ liveHandler })`. */
  serve(event: APIGatewayProxyEvent, res: ServerResponse): Promise<void>;
  /** A DynamoDB stream batch: its committed events go to the hub. */
  tap(event: DynamoDBStreamEvent): void;
  stop(): void;
}

/** Call once the environment points at the local services (the store is the functions' store). */
export function startLocalLive(options: {
  log: (message: string, fields?: Record<string, unknown>) => void;
}): LocalLive {
  const settings = liveSettingsFromEnv();
  const store = storeFromEnv();
  const hub = new LiveHub({ store, ...settings, log: options.log });
  const server = createLiveServer({
    hub,
    store,
    maxStreamsPerKey: settings.maxStreamsPerKey,
    // As the API and SSE functions answer: the deployment's origins, then the project's own setting.
    corsOrigins: originsWithProjectSettings(async (project) => (await getSettings(store, project)).allowedOrigins),
    log: options.log,
  });
  return {
    hub,
    serve: (event, res) => server.serve(toApiRequest(event), res, event.path),
    tap(event) {
      for (const { event: envelope } of eventsOfStreamRecords(event.Records).events) hub.notify(envelope);
    },
    stop: () => hub.close(),
  };
}
