import type { Principal } from "../../kernel/tenancy.js";
import type { OperationId } from "./routes.js";

/**
 * A request and a response of the HTTP API, independent of any transport: the Lambda adapter, the local
 * server and the in-process fetch translate to and from these.
 */
export interface ApiRequest {
  operationId: OperationId;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
  principal?: Principal;
  requestId: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
