import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hotModules } from "../../local/dev/hot-modules.js";
import { ApiClient, uniqueProject } from "../support/http.js";
import { eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * `npm run dev` (local/cli.ts --dev): a user functions module in a temporary folder is edited while the
 * runtime runs; the next events run the new code, in the same process, with the data written before kept.
 */
const functionsModule = (stamp: string, extra = "") => `
// A user functions module written by test/e2e/dev-reload.test.ts.
export const onGatheringCreated = async (event: any, ctx: any) => {
  const gathering = await ctx.client.gatherings.get(event.data.gathering.id);
  await gathering.update({ metadata: { stamp: ${JSON.stringify(stamp)} } });
};
${extra}`;

let dir: string;
let file: string;
let rt: RunningRuntime;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cortex-dev-"));
  file = join(dir, "functions.ts");
  writeFileSync(file, functionsModule("v1"));
  rt = await startRuntime(["--dev", "--in-memory", "--functions", file]);
}, 240_000);
afterAll(async () => {
  rt?.process.kill("SIGINT");
  await rt?.exited;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm run dev", () => {
  it("runs an edited user function without a restart, and keeps the data written before", async () => {
    expect(rt.output()).toMatch(/Functions\s+onGatheringCreated \(gathering\.created\)/);
    const api = new ApiClient(rt, uniqueProject("dev"));
    /** Creates a gathering and waits for the user function to stamp it. */
    const stamped = async (name: string) => {
      const created = await api.create({ name, type: "lobby" });
      return eventually(async () => {
        const { body } = await api.get(`/gatherings/${created.id}`);
        return body.metadata?.stamp === undefined
          ? undefined
          : { id: created.id as string, stamp: body.metadata.stamp };
      });
    };
    const before = await stamped("before the edit");
    expect(before.stamp).toBe("v1");

    writeFileSync(file, functionsModule("v2", "export const onGatheringEnded = async () => undefined;\n"));
    // The watcher reloads on the next invocation after the change: gatherings created until then get v1.
    const after = await eventually(async () => {
      const next = await stamped("after the edit");
      return next.stamp === "v2" ? next : undefined;
    });
    expect(after.stamp).toBe("v2");

    expect(rt.process.exitCode).toBeNull();
    const kept = await api.get(`/gatherings/${before.id}`);
    expect(kept.status).toBe(200);
    expect(kept.body.metadata).toEqual({ stamp: "v1" });
    expect(rt.output()).toMatch(/\[dev\] reloaded \S*functions\.ts/);
    // A new export binds no new event until a restart, and the terminal says so.
    expect(rt.output()).toMatch(/added onGatheringEnded; restart to change which events are bound/);
  }, 180_000);

  it("prints one log line per request: method, path, status, milliseconds and request id", async () => {
    const api = new ApiClient(rt, uniqueProject("log"));
    const created = await api.create({ name: "logged", type: "lobby" });
    const requestId = await eventually(async () => {
      const pattern = new RegExp(
        `^\\[local\\] GET /v1/projects/${api.projectId}/gatherings/${created.id} 200 \\d+ ms ([0-9a-f-]{36})$`,
        "m",
      );
      await api.get(`/gatherings/${created.id}`);
      return pattern.exec(rt.output())?.[1];
    });
    expect(requestId).toMatch(/^[0-9a-f]{8}-/);
    expect(rt.output()).toMatch(
      new RegExp(`^\\[local\\] POST /v1/projects/${api.projectId}/gatherings 201 \\d+ ms `, "m"),
    );
  }, 60_000);
});

describe("the dev module loader", () => {
  it("reloads an entry when a module it imports is saved in place or replaced, and keeps running it when it breaks", async () => {
    const src = mkdtempSync(join(tmpdir(), "cortex-hot-"));
    const logs: string[] = [];
    const hot = hotModules({
      watch: [src],
      outDir: join(".cache", `dev-test-${process.pid}`),
      log: (message) => logs.push(message),
      packageJson: "package.json",
      bundled: [],
      isolatedGlobals: [],
    });
    try {
      writeFileSync(
        join(src, "entry.ts"),
        'import { value } from "./domain/value.js";\nexport const read = () => value;\n',
      );
      const domain = join(src, "domain");
      mkdirSync(domain);
      writeFileSync(join(domain, "value.ts"), "export const value = 1;\n");
      const read = async () => ((await hot.load(join(src, "entry.ts"))).read as () => number)();
      expect(await read()).toBe(1);

      writeFileSync(join(domain, "value.ts"), "export const value = 2;\n"); // saved in place
      expect(await eventually(async () => ((await read()) === 2 ? 2 : undefined), 10_000)).toBe(2);

      writeFileSync(join(domain, "value.tmp"), "export const value = 3;\n");
      renameSync(join(domain, "value.tmp"), join(domain, "value.ts")); // replaced, as many editors save
      expect(await eventually(async () => ((await read()) === 3 ? 3 : undefined), 10_000)).toBe(3);

      writeFileSync(join(domain, "value.ts"), "export const value = ;\n"); // does not compile
      await eventually(
        async () => (logs.some((l) => l.includes("does not build")) ? true : (await read(), undefined)),
        10_000,
      );
      expect(await read()).toBe(3);

      writeFileSync(join(domain, "value.ts"), "export const value = 4;\n");
      expect(await eventually(async () => ((await read()) === 4 ? 4 : undefined), 10_000)).toBe(4);
      expect(hot.reloads()).toBe(3);
    } finally {
      await hot.close();
      rmSync(src, { recursive: true, force: true });
    }
  }, 60_000);
});
