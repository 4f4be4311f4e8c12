import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ApiClient, uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";

/** Keys minted with scripts/create-api-key.ts, used against the local runtime's API. */
const rt = sharedRuntime();

function createKey(args: string[]): string {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/create-api-key.ts", "--table", "cortex", ...args],
    {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_DYNAMODB: rt.dynamodbEndpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
      },
      encoding: "utf8",
    },
  );
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe("API keys", () => {
  it("a project key works in its project and sees nothing of another project: 404, not 403", async () => {
    const mine = uniqueProject("key");
    const other = uniqueProject("key");
    const key = createKey(["--tenant", "local", "--project", mine]);
    expect(key).toMatch(/^ck_/);
    const scoped = (projectId: string) => new ApiClient({ ...rt, apiKey: key }, projectId);
    const created = await scoped(mine).create({ name: "Mine", type: "lobby" });
    expect((await scoped(mine).get(`/gatherings/${created.id}`)).status).toBe(200);
    const theirs = await new ApiClient(rt, other).create({ name: "Theirs", type: "lobby" });
    for (const response of [
      await scoped(other).get(`/gatherings/${theirs.id}`),
      await scoped(other).get("/gatherings"),
      await scoped(other).post("/gatherings", { name: "x", type: "lobby" }),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
  });

  it("the script refuses to run without a table and tenant", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/create-api-key.ts"], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("usage:");
  });
});
