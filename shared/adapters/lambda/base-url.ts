import type { APIGatewayProxyEvent } from "aws-lambda";

/**
 * The API's base URL as the caller reached it: scheme, host, and what precedes the route's path (the stage on
 * the execute-api domain, a base path on a custom domain). Undefined without a host. `headers`: lower-cased.
 */
export function baseUrlOf(event: APIGatewayProxyEvent, headers: Record<string, string>): string | undefined {
  const host = event.requestContext.domainName ?? headers.host;
  if (!host || !/^[\w.-]+(:\d+)?$/.test(host)) return undefined;
  const scheme = headers["x-forwarded-proto"] === "http" ? "http" : "https";
  const full = event.requestContext.path ?? event.path;
  const prefix = full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : "";
  return `${scheme}://${host}${prefix}`;
}
