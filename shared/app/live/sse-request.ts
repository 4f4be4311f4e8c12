import { ValidationError } from "../../kernel/errors.js";
import { EVENT_TYPES } from "../../events/catalog.js";
import type { ApiRequest } from "../http/request.js";
import { parseRequest } from "../http/dispatch.js";
import { getGathering } from "../../domain/gatherings/service.js";
import { getSession } from "../../domain/sessions/service.js";
import type { AggregateType } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { matchesFilters, validateEventFilters } from "../../events/filter.js";
import { parseVersion } from "./event-stream.js";

export interface PreparedStream {
  aggregate: { type: AggregateType; tenantId: string; projectId: string; id: string };
  after: number;
  /** The aggregate's version when the request was checked. */
  current: number;
  matches?: (type: string) => boolean;
}

/**
 * Everything an SSE request must get right before the stream opens (so errors are plain 4xx problems):
 * the request parsed and scoped as the API does it (`parseRequest`), the aggregate's existence, where to
 * resume (Last-Event-ID wins over ?after=; neither = from now) and the type filter.
 */
export async function prepareEventStream(request: ApiRequest, store: Store): Promise<PreparedStream> {
  if (request.operationId !== "streamGatheringEvents" && request.operationId !== "streamSessionEvents") {
    throw new Error(`${request.operationId} is not an event stream`);
  }
  const { params, query, scope } = parseRequest({ ...request, operationId: request.operationId }).input;
  const lastEventId = parseVersion(request.headers["last-event-id"]);
  if (Number.isNaN(lastEventId)) {
    throw new ValidationError("Last-Event-ID must be an event id (a version) this stream sent", [
      { path: "Last-Event-ID", message: "must be a non-negative integer version" },
    ]);
  }
  const types = query.types
    ?.split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (types) {
    const issues = validateEventFilters(types, EVENT_TYPES, "types");
    if (issues.length > 0) throw new ValidationError("The types filter is not valid", issues);
  }
  const [type, id]: [AggregateType, string] =
    "sessionId" in params ? ["session", params.sessionId] : ["gathering", params.gatheringId];
  const current =
    type === "session"
      ? (await getSession(store, scope, id)).version
      : (await getGathering({ store }, scope, id)).version;
  return {
    aggregate: { type, tenantId: scope.tenantId, projectId: scope.projectId, id },
    after: lastEventId ?? query.after ?? current,
    current,
    ...(types && { matches: (t: string) => matchesFilters(types, t) }),
  };
}
