import { describe, expect, it } from "vitest";
import { CortexClient, type DocumentChange, type Invitation, type Member } from "../../sdk/src/index.js";
import { uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";

/**
 * Invitations through the SDK against the local runtime (mail goes to its local SES): seed 000's
 * appointment flow with a start time that is still ahead, watched live as the invitations are created,
 * emailed and answered.
 */
const rt = sharedRuntime();

const future = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("invitations", () => {
  it("seed 000's appointment flow: invitations are watched live from created to sent to accepted/declined", async () => {
    const client = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey });
    const project = client.project(uniqueProject("inv"));
    await project.participants.put("p2", { displayName: "Bea", email: "bea@example.com" });
    await project.participants.put("p3", { displayName: "Cem", email: "cem@example.com" });
    const appointment = await project.gatherings.create({
      name: "Quarterly Review",
      type: "appointment",
      startsAt: future(24),
      endsAt: future(25),
      autoStartSession: true,
    });

    const printed: string[] = [];
    let current: Invitation[] = [];
    const invitationsView = appointment.watchInvitations();
    invitationsView.onSnapshot((invites, changes) => {
      current = invites;
      // The seed's own callback body.
      for (const c of changes) printed.push(`invitation ${c.id}: ${c.data.status}`);
    });
    let members: Member[] = [];
    const membersView = appointment.watchMembers();
    membersView.onSnapshot((items) => (members = items));
    await eventually(async () => (invitationsView.current && membersView.active ? true : undefined));

    const sent = await appointment.sendInvitations({ participantIds: ["p2", "p3"] });
    expect(sent).toHaveLength(2);
    expect(sent.map((i) => i.participantId)).toEqual(["p2", "p3"]);
    const [bea, cem] = sent as [Invitation, Invitation];

    await eventually(async () => (current.filter((i) => i.status === "sent").length === 2 ? true : undefined), 30_000);
    for (const invitation of sent) {
      expect(printed).toContain(`invitation ${invitation.id}: sent`);
      expect(printed.indexOf(`invitation ${invitation.id}: pending`)).toBeLessThan(
        printed.indexOf(`invitation ${invitation.id}: sent`),
      );
    }
    expect(printed.every((line) => /^invitation inv_\w+: (pending|sent)$/.test(line))).toBe(true);
    // The membership layer: invitees are members, as invited.
    await eventually(async () => (members.length === 2 ? true : undefined));
    expect(members.map((m) => [m.participantId, m.status])).toEqual([
      ["p2", "invited"],
      ["p3", "invited"],
    ]);

    expect(await appointment.acceptInvitation(bea.id)).toMatchObject({ id: bea.id, status: "accepted" });
    expect(await appointment.declineInvitation(cem.id)).toMatchObject({ id: cem.id, status: "declined" });
    await eventually(async () => (current.map((i) => i.status).join() === "accepted,declined" ? true : undefined));
    invitationsView.close();
    membersView.close();
    expect(printed.slice(-2)).toEqual([`invitation ${bea.id}: accepted`, `invitation ${cem.id}: declined`]);

    // The live view equals the server's list, in creation order.
    const server = await appointment.listInvitations();
    expect(current).toEqual(server);
    expect((await appointment.listInvitations({ status: "accepted" })).map((i) => i.id)).toEqual([bea.id]);
    expect(await appointment.getInvitation(cem.id)).toMatchObject({ status: "declined", email: "cem@example.com" });
    const pages: number[] = [];
    for await (const page of appointment.invitations({ limit: 1 }).pages()) pages.push(page.items.length);
    expect(pages).toEqual([1, 1]);
  });

  it("reports the first snapshot's items as added and later ones as modified with their indexes", async () => {
    const client = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey });
    const project = client.project(uniqueProject("inv"));
    const open = await project.gatherings.create({ name: "Hangout", type: "open" });
    await open.sendInvitations({ emails: ["a@example.com", "b@example.com", "c@example.com"] });
    const snapshots: Array<DocumentChange<Invitation>[]> = [];
    const view = open.watchInvitations();
    view.onSnapshot((_, changes) => snapshots.push(changes));
    await eventually(async () => (snapshots.length > 0 ? true : undefined));
    expect(snapshots[0]!.map((c) => [c.type, c.oldIndex, c.newIndex])).toEqual([
      ["added", -1, 0],
      ["added", -1, 1],
      ["added", -1, 2],
    ]);
    const third = snapshots[0]![2]!.data;
    await open.declineInvitation(third.id);
    await eventually(async () =>
      snapshots.flat().some((c) => c.id === third.id && c.type === "modified" && c.data.status === "declined")
        ? true
        : undefined,
    );
    view.close();
    const change = snapshots.flat().find((c) => c.id === third.id && c.data.status === "declined")!;
    expect(change).toMatchObject({ type: "modified", oldIndex: 2, newIndex: 2 });
  });
});
