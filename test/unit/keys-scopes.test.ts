import { describe, expect, it } from "vitest";
import { checkScope } from "../../shared/app/http/dispatch.js";
import { requiredScope, ROUTES, type RouteDefinition } from "../../shared/app/http/routes.js";
import { formatScopes, parseScopes } from "../../shared/domain/auth/scopes.js";
import { ForbiddenError, ValidationError } from "../../shared/kernel/errors.js";
import { KEY_SCOPES, type Principal } from "../../shared/kernel/tenancy.js";

const routes = (ROUTES as readonly RouteDefinition[]).filter((route) => !route.public);
const principal = (scopes?: Principal["scopes"]): Principal => ({
  tenantId: "t1",
  projectScope: "*",
  keyId: "key_test",
  credential: "api",
  ...(scopes && { scopes }),
});

describe("scopes on every route (generated from the route table)", () => {
  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    "%s: a key with only the other scopes gets 403 naming the missing one; its own scope passes",
    (_name, route) => {
      const wanted = requiredScope(route);
      const others = KEY_SCOPES.filter((scope) => scope !== wanted);
      let error: unknown;
      try {
        checkScope(route, principal(others));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ForbiddenError);
      expect((error as ForbiddenError).message).toContain(`"${wanted}"`);
      expect((error as ForbiddenError).extensions).toEqual({ missingScope: wanted });
      expect(() => checkScope(route, principal([wanted]))).not.toThrow();
      // A key minted before scopes (no field) keeps full power.
      expect(() => checkScope(route, principal())).not.toThrow();
    },
  );

  it("a read key can read but not write: every mutation needs write, admin or bot", () => {
    for (const route of routes) {
      const readOnly = () => checkScope(route, principal(["read"]));
      if (route.method === "GET" && route.credential !== "bot" && route.scope === undefined) {
        expect(readOnly).not.toThrow();
      } else {
        expect(readOnly).toThrow(ForbiddenError);
      }
    }
  });

  it("settings and webhook endpoints need admin; the bot API needs bot", () => {
    const scopeOf = (id: string) => requiredScope(routes.find((route) => route.operationId === id)!);
    expect(scopeOf("updateProjectSettings")).toBe("admin");
    expect(scopeOf("createWebhook")).toBe("admin");
    expect(scopeOf("getProjectSettings")).toBe("read");
    expect(scopeOf("createGathering")).toBe("write");
    expect(scopeOf("reportAttendance")).toBe("bot");
  });

  it("a bot key reading its session is let through by its bot scope", () => {
    const getSession = routes.find((route) => route.operationId === "getSession")!;
    expect(() => checkScope(getSession, { ...principal(["bot"]), credential: "bot" })).not.toThrow();
  });
});

describe("scope lists", () => {
  it("parse in canonical order and round-trip through the authorizer context", () => {
    expect(parseScopes(" write,read ")).toEqual(["read", "write"]);
    expect(formatScopes(["read", "admin"])).toBe("read,admin");
    expect(formatScopes(undefined)).toBe("*");
  });

  it("reject unknown and empty lists with a 400", () => {
    expect(() => parseScopes("read,root")).toThrow(ValidationError);
    expect(() => parseScopes(" , ")).toThrow(ValidationError);
  });
});
