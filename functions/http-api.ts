import { apiDepsFromEnv } from "../shared/adapters/aws/api-deps.js";
import { onHttp, toApiRequest, toProxyResult } from "../shared/adapters/lambda/http.js";
import { handleApiRequest } from "../shared/app/http/api.js";
import { originsWithProjectSettings } from "../shared/app/http/cors.js";
import { getSettings } from "../shared/domain/sessions/settings.js";

const deps = apiDepsFromEnv();
// CORS: the deployment's origins, and a project's own (its settings) for a page only that project allows.
const corsOrigins = originsWithProjectSettings(
  async (project) => (await getSettings(deps.store, project)).allowedOrigins,
);

/** The HTTP API behind API Gateway: every route with `handler: "api"` in the route table. */
export const handler = onHttp(
  "http-api",
  async (event) => toProxyResult(await handleApiRequest(toApiRequest(event), deps)),
  { corsOrigins },
);
