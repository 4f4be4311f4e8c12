import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EVENT_DATA_MODULE, renderEventDataModule } from "../../scripts/generate-sdk-events.js";
import { EVENT_TYPES } from "../../shared/events/catalog.js";

describe("the SDK's event payload types (sdk/src/event-data.ts)", () => {
  it("are what the event catalog generates now (run `npm run generate:sdk-events` after changing an event)", async () => {
    expect(readFileSync(EVENT_DATA_MODULE, "utf8")).toBe(await renderEventDataModule());
  });

  it("name every event of the catalog", async () => {
    const text = await renderEventDataModule();
    for (const type of EVENT_TYPES) expect(text).toContain(`"${type}": {`);
  });
});
