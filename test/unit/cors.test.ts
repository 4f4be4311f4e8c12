import { describe, expect, it } from "vitest";
import { allowedOriginsFor, corsHeaders, parseAllowedOrigins, preflightHeaders } from "../../shared/app/http/cors.js";

describe("CORS headers", () => {
  const allowed = ["https://game.example", "http://127.0.0.1:5173"];

  it("echoes an allowed origin, varies on Origin and exposes what the SDK reads", () => {
    const headers = corsHeaders("https://game.example", allowed);
    expect(headers["Access-Control-Allow-Origin"]).toBe("https://game.example");
    expect(headers.Vary).toBe("Origin");
    for (const name of ["ETag", "Retry-After", "Location"]) {
      expect(headers["Access-Control-Expose-Headers"]).toContain(name);
    }
  });

  it("says nothing to an origin that is not allowed, nor to a request without one", () => {
    expect(corsHeaders("https://evil.example", allowed)).toEqual({});
    expect(corsHeaders("https://game.example.evil.example", allowed)).toEqual({});
    expect(corsHeaders(undefined, allowed)).toEqual({});
    expect(preflightHeaders("https://evil.example", allowed)["Access-Control-Allow-Origin"]).toBeUndefined();
  });

  it("answers * as * and never with credentials", () => {
    const headers = corsHeaders("https://anyone.example", ["*"]);
    expect(headers["Access-Control-Allow-Origin"]).toBe("*");
    expect(headers["Access-Control-Allow-Credentials"]).toBeUndefined();
    const preflight = preflightHeaders("https://anyone.example", ["*"]);
    expect(preflight["Access-Control-Allow-Origin"]).toBe("*");
    expect(preflight["Access-Control-Allow-Credentials"]).toBeUndefined();
  });

  it("a preflight allows the headers and methods the SDK sends", () => {
    const preflight = preflightHeaders("http://127.0.0.1:5173", allowed);
    expect(preflight["Access-Control-Allow-Origin"]).toBe("http://127.0.0.1:5173");
    for (const name of [
      "Authorization",
      "Content-Type",
      "Idempotency-Key",
      "If-Match",
      "Last-Event-ID",
      "Cache-Control",
    ]) {
      expect(preflight["Access-Control-Allow-Headers"]).toContain(name);
    }
    for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
      expect(preflight["Access-Control-Allow-Methods"]).toContain(method);
    }
  });

  it("parses the deployment's list and refuses an entry that is not an origin", () => {
    expect(parseAllowedOrigins(" https://a.example , http://localhost:3000,")).toEqual([
      "https://a.example",
      "http://localhost:3000",
    ]);
    expect(parseAllowedOrigins(undefined)).toEqual([]);
    expect(() => parseAllowedOrigins("https://a.example/path")).toThrow(/not an origin/);
    expect(() => parseAllowedOrigins("a.example")).toThrow(/not an origin/);
  });

  it("reads a project's own origins only for an origin the deployment does not allow, in a project", async () => {
    const reads: string[] = [];
    const project = async (p: { projectId: string }) => {
      reads.push(p.projectId);
      return ["https://project.example"];
    };
    const scoped = { tenantId: "t", projectId: "p" };
    expect(await allowedOriginsFor({ origin: "https://game.example", project: scoped }, allowed, project)).toEqual(
      allowed,
    );
    expect(reads).toEqual([]);
    expect(await allowedOriginsFor({ origin: "https://project.example", project: scoped }, allowed, project)).toContain(
      "https://project.example",
    );
    expect(await allowedOriginsFor({ origin: "https://project.example" }, allowed, project)).toEqual(allowed);
    expect(reads).toEqual(["p"]);
  });
});
