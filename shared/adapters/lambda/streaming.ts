/**
 * The prelude API Gateway's streaming integration reads before the body (status and headers), as passed
 * to `awslambda.HttpResponseStream.from` — the global the Lambda Node.js runtime provides (typed by
 * @types/aws-lambda; the local runtime installs the same global).
 */
export interface HttpResponsePrelude {
  statusCode: number;
  headers?: Record<string, string>;
}
