import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "./http.js";
import { eventually, startRuntime, type RunningRuntime } from "./runtime.js";
import { runSample as runSampleIn } from "./seeds/run-sample.js";

/**
 * The seeds' SDK samples run against the local runtime, with what each prints asserted. `samplesDir()` says
 * where the sample files are: this folder (importing the SDK's source) or a scratch project where they import
 * the packed package — the same tests either way.
 */
export function describeSeedSamples(options: { samplesDir?: () => string; beforeAll?: () => Promise<void> } = {}) {
  let rt: RunningRuntime;
  beforeAll(async () => {
    await options.beforeAll?.();
    rt = await startRuntime(["--in-memory"]);
  });
  afterAll(async () => {
    rt?.process.kill("SIGINT");
    await rt?.exited;
  });

  const runSample = (file: string, runtime: RunningRuntime, env: Record<string, string> = {}) =>
    runSampleIn(options.samplesDir ? join(options.samplesDir(), file) : file, runtime, env);

  /** The samples' hard-coded project. */
  const api = () => new ApiClient(rt, "your-project-id");

  async function newestLobby(): Promise<any> {
    const page = await api().get("/gatherings?type=lobby&limit=1");
    return page.body.items[0];
  }

  describe("seed 000 (Scheduling a gathering)", () => {
    it("matchmaking lobby: prints 0/2 ready, then 1/2 and 2/2 as the players ready up live, and starts the lobby", async () => {
      const sample = runSample("lobby.ts", rt);
      try {
        await sample.waitFor(/^0\/2 ready$/m);
        const lobby = await newestLobby();
        expect(lobby).toMatchObject({ name: "Ranked 5v5", memberCount: 2 });
        await eventually(
          async () => (await api().get(`/gatherings/${lobby.id}`)).body.status === "started" || undefined,
        );
        expect((await api().post(`/gatherings/${lobby.id}/members/p1/ready`)).status).toBe(200);
        await sample.waitFor(/^1\/2 ready$/m);
        expect((await api().post(`/gatherings/${lobby.id}/members/p2/ready`)).status).toBe(200);
        await sample.waitFor(/^2\/2 ready$/m);
      } finally {
        await sample.stop();
      }
      expect(sample.stdout()).toBe("0/2 ready\n1/2 ready\n2/2 ready\n");
      expect(sample.stderr()).toBe("");
      const lobby = await newestLobby();
      expect(lobby).toMatchObject({ status: "started", roomId: "ranked-5v5-room", readyCount: 2 });
    });

    it("join by code: joins p9 to the gathering whose code is ABCD-1234, typed as ABCD1234", async () => {
      const gathering = await api().create({ name: "Code night", type: "open", joinCode: "ABCD-1234" });
      expect(gathering.joinCode).toBe("ABCD-1234");
      const result = await runSample("join-by-code.ts", rt).exited;
      expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
      const member = await api().get(`/gatherings/${gathering.id}/members/p9`);
      expect(member.status).toBe(200);
      expect(member.body).toMatchObject({ participantId: "p9", status: "joined", role: "owner" });
    });

    it("scheduled appointment: invites p2 and p3 and prints each invitation's status as it changes, to sent", async () => {
      // The sample's startsAt (2026-07-01) has passed; the API rightly refuses appointments that start in
      // the past, so this runtime's clock starts on 2026-06-01 (CORTEX_CLOCK_START) and the sample runs as written.
      const past = await startRuntime(["--in-memory"], { CORTEX_CLOCK_START: "2026-06-01T09:00:00Z" });
      try {
        const seeded = new ApiClient(past, "your-project-id");
        for (const [id, name] of [
          ["p2", "Bob"],
          ["p3", "Carol"],
        ] as const) {
          await seeded.request("PUT", `/participants/${id}`, {
            displayName: name,
            email: `${name.toLowerCase()}@example.com`,
          });
        }
        const sample = runSample("appointment.ts", past);
        try {
          await sample.waitFor(/(invitation inv_\w+: sent\n[\s\S]*){2}/);
        } finally {
          await sample.stop();
        }
        const lines = sample.stdout().trim().split("\n");
        const ids = [...new Set(lines.map((l) => /^invitation (inv_\w+): (\w+)$/.exec(l)![1]))];
        expect(ids).toHaveLength(2);
        for (const id of ids) {
          const statuses = lines.filter((l) => l.startsWith(`invitation ${id}:`)).map((l) => l.split(": ")[1]);
          expect(statuses.at(-1)).toBe("sent");
        }
        expect(sample.stderr()).toBe("");
        const appointment = (await seeded.get("/gatherings?type=appointment")).body.items[0];
        expect(appointment).toMatchObject({ name: "Quarterly Review", status: "scheduled", autoStartSession: true });
      } finally {
        past.process.kill("SIGINT");
        await past.exited;
      }
    });
  });

  describe("seed 001 (Gatherings)", () => {
    it("lobby quickstart: creates the lobby, adds p1 and starts it in the given room", async () => {
      const result = await runSample("lobby-quickstart.ts", rt).exited;
      expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
      const lobby = await newestLobby();
      expect(lobby).toMatchObject({ name: "Ranked 5v5", status: "started", roomId: "ranked-5v5-room", ownerId: "p1" });
    });

    it("members & invitations: adds p1, lists the members and keeps both live views open without an error", async () => {
      const gathering = await api().create({ name: "Book club", type: "open" });
      const trace = join(mkdtempSync(join(tmpdir(), "seed-trace-")), "trace");
      const sample = runSample("members-watch.ts", rt, { SEED_GATHERING_ID: gathering.id, SEED_TRACE: trace });
      const lines = () => (existsSync(trace) ? readFileSync(trace, "utf8").split("\n").filter(Boolean) : []);
      try {
        await eventually(async () => {
          const member = await api().get(`/gatherings/${gathering.id}/members/p1`);
          return member.status === 200 ? member.body : undefined;
        });
        // Both live views share one stream (one per gathering per client); later changes are the markers it must carry.
        await eventually(async () => (lines().filter((l) => l.startsWith("open ")).length >= 1 ? true : undefined));
        const marker = await api().post(`/gatherings/${gathering.id}/members`, { participantId: "marker" });
        await api().post(`/gatherings/${gathering.id}/invitations`, { emails: ["marker@example.com"] });
        const streams = lines()
          .filter((l) => l.startsWith("open "))
          .map((l) => l.slice(5));
        await eventually(async () =>
          streams.every((s) =>
            lines().some(
              (l) => l.startsWith(`${s} `) && Number(l.slice(s.length + 1)) >= marker.body.gathering.version,
            ),
          )
            ? true
            : undefined,
        );
        // Both views are live past the markers; one that had failed for good would have said so on stderr.
        expect(sample.stderr()).toBe("");
        expect(streams).toEqual([
          `/v1/projects/your-project-id/gatherings/${gathering.id}/events?types=gathering.member.*,gathering.owner.changed,gathering.invitation.*`,
        ]);
        expect(sample.running()).toBe(true);
      } finally {
        await sample.stop();
      }
      expect(sample.stdout()).toBe("");
      expect(sample.stderr()).toBe("");
    });
  });
}
