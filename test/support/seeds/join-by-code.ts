/* eslint-disable @typescript-eslint/no-unused-vars -- seed sample, verbatim */ import { CortexClient } from "../../../sdk/src/index.js";

const client = new CortexClient({
  baseUrl: "https://ots.odin.4players.io",
  apiKey: process.env.CORTEX_API_KEY,
});
const project = client.project("your-project-id");

const result = await project.gatherings.joinByCode({
  joinCode: "ABCD1234",
  participantId: "p9",
});
