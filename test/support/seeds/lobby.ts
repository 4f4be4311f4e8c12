import { CortexClient } from "../../../sdk/src/index.js";

const client = new CortexClient({
  baseUrl: "https://ots.odin.4players.io",
  apiKey: process.env.CORTEX_API_KEY,
});
const project = client.project("your-project-id");

const lobby = await project.gatherings.create({
  name: "Ranked 5v5",
  type: "lobby",
});

// Players join (e.g. via your matchmaker)
await lobby.addMember({ participantId: "p1" });
await lobby.addMember({ participantId: "p2" });

// Track readiness live; start when everyone is ready
lobby.watchMembers().onSnapshot((members) => {
  const ready = members.filter((m) => m.status === "ready");
  console.log(`${ready.length}/${members.length} ready`);
});

// When your "everyone ready" condition is met:
await lobby.start({ roomId: "ranked-5v5-room" });
