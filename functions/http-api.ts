import { apiDepsFromEnv } from "../shared/adapters/aws/environment.js";
import { onHttp, toApiRequest, toProxyResult } from "../shared/adapters/lambda/http.js";
import { handleApiRequest } from "../shared/app/http/api.js";

const deps = apiDepsFromEnv();

/** The HTTP API behind API Gateway: every route with `handler: "api"` in the route table. */
export const handler = onHttp("http-api", async (event) =>
  toProxyResult(await handleApiRequest(toApiRequest(event), deps)),
);
