/* eslint-disable @typescript-eslint/no-unused-vars -- seed sample, verbatim */ import { CortexClient } from "../../../sdk/src/index.js";

const client = new CortexClient({
  baseUrl: "https://ots.odin.4players.io",
  apiKey: process.env.CORTEX_API_KEY,
});
const project = client.project("your-project-id");

const gathering = await project.gatherings.get(gatheringId);

await gathering.addMember({ participantId: "p1" });
const members = await gathering.listMembers();

// React to changes live:
gathering.watchMembers().onSnapshot((members, changes) => {
  /* ... */
});
gathering.watchInvitations().onSnapshot((invites) => {
  /* ... */
});
