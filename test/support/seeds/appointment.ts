import { CortexClient } from "../../../sdk/src/index.js";

const client = new CortexClient({
  baseUrl: "https://ots.odin.4players.io",
  apiKey: process.env.CORTEX_API_KEY,
});
const project = client.project("your-project-id");

// 1. Create the appointment
const appointment = await project.gatherings.create({
  name: "Quarterly Review",
  type: "appointment",
  startsAt: "2026-07-01T15:00:00Z",
  endsAt: "2026-07-01T16:00:00Z",
  autoStartSession: true, // becomes a transcribed call at start time
});

// 2. Invite participants (by id) — emails with calendar invites go out
await appointment.sendInvitations({ participantIds: ["p2", "p3"] });

// 3. Watch invitation responses come in live
appointment.watchInvitations().onSnapshot((invites, changes) => {
  for (const c of changes) {
    console.log(`invitation ${c.id}: ${c.data.status}`);
  }
});
