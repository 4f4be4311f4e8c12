import { CortexClient } from "../../../sdk/src/index.js";

const client = new CortexClient({
  baseUrl: "https://ots.odin.4players.io",
  apiKey: process.env.CORTEX_API_KEY,
});
const project = client.project("your-project-id");

const lobby = await project.gatherings.create({ name: "Ranked 5v5", type: "lobby" });
await lobby.addMember({ participantId: "p1" });
// players mark ready, then:
await lobby.start({ roomId: "ranked-5v5-room" });
