import { describe, expect, it } from "vitest";
import { Transport } from "../../sdk/src/transport.js";

const problem = (status: number, headers: Record<string, string>) =>
  new Response(JSON.stringify({ type: "about:blank", title: "Too many requests", status, code: "rate_limited" }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });

function scripted(answers: Response[]) {
  const calls: string[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    calls.push(`${init?.method} ${String(input)}`);
    return Promise.resolve(answers.shift() ?? new Response("{}", { status: 200 }));
  };
  return { calls, fetch };
}

describe("SDK and 429", () => {
  it("retries a 429 after its Retry-After, even a PATCH (refused before any work)", async () => {
    const server = scripted([problem(429, { "Retry-After": "0" }), new Response('{"ok":true}', { status: 200 })]);
    const transport = new Transport({ baseUrl: "http://api.test", apiKey: "k".repeat(20), fetch: server.fetch });
    const result = await transport.request<{ ok: boolean }>({ method: "PATCH", path: "/v1/x", body: {} });
    expect(result.body).toEqual({ ok: true });
    expect(server.calls).toHaveLength(2);
  });

  it("gives up after its bounded retries and surfaces the 429", async () => {
    const server = scripted(Array.from({ length: 5 }, () => problem(429, { "Retry-After": "0" })));
    const transport = new Transport({
      baseUrl: "http://api.test",
      apiKey: "k".repeat(20),
      fetch: server.fetch,
      maxRetries: 2,
    });
    await expect(transport.request({ method: "GET", path: "/v1/x" })).rejects.toMatchObject({ status: 429 });
    expect(server.calls).toHaveLength(3);
  });
});
