// The `awslambda` global the Lambda Node.js runtime provides (the SSE function uses it at module load).
globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };
