import { describe, expect, it } from "vitest";
import { RuleBasedActionItemsEngine } from "../../shared/domain/plugins/action-items-rules.js";
import type { ActionItem } from "../../shared/domain/plugins/engines.js";

/** The rule-based engine sentence by sentence; every line is said by "Zed" on Tuesday 2 July 2030. */
const engine = new RuleBasedActionItemsEngine();

async function itemsOf(content: string): Promise<Array<Omit<ActionItem, "messageId">>> {
  const { items } = await engine.extract([
    { id: "m1", senderName: "Zed", content, timestamp: "2030-07-02T10:00:00.000Z" },
  ]);
  return items.map(({ messageId: _, ...item }) => item);
}

describe("rule-based action items", () => {
  it.each<[string, Omit<ActionItem, "messageId">]>([
    [
      "I'll send the report by end of next week.",
      { owner: "Zed", task: "send the report", due: "2030-07-12", duePhrase: "end of next week" },
    ],
    ["We need to fix the flaky test by EOD.", { task: "fix the flaky test", due: "2030-07-02", duePhrase: "EOD" }],
    [
      "Carol is going to draft the RFC by March 14.",
      { owner: "Carol", task: "draft the RFC", due: "2031-03-14", duePhrase: "March 14" },
    ],
    [
      "Erin's going to write the postmortem by next Tuesday.",
      { owner: "Erin", task: "write the postmortem", due: "2030-07-09", duePhrase: "next Tuesday" },
    ],
    [
      "Alice and Bob will pair on the cache bug this afternoon.",
      { owner: "Alice and Bob", task: "pair on the cache bug", due: "2030-07-02", duePhrase: "this afternoon" },
    ],
    [
      "Frank will send it by the end of the week.",
      { owner: "Frank", task: "send it", due: "2030-07-05", duePhrase: "end of the week" },
    ],
    [
      "Action item: Grace to update the roadmap by Wednesday.",
      { owner: "Grace", task: "update the roadmap", due: "2030-07-03", duePhrase: "Wednesday" },
    ],
    ["Please file the ticket today.", { task: "file the ticket", due: "2030-07-02", duePhrase: "today" }],
    ["Could you send me the slides, Bob?", { owner: "Bob", task: "send me the slides" }],
    [
      "Bob, please send the invoice in two weeks.",
      { owner: "Bob", task: "send the invoice", due: "2030-07-16", duePhrase: "in two weeks" },
    ],
    ["I'm gonna fix it tonight.", { owner: "Zed", task: "fix it", due: "2030-07-02", duePhrase: "tonight" }],
    [
      "Action item: I will send the deck on Monday.",
      { owner: "Zed", task: "send the deck", due: "2030-07-08", duePhrase: "Monday" },
    ],
    ["TODO: update the changelog", { task: "update the changelog" }],
    ["I think we'll ship on 2030-07-10.", { task: "ship", due: "2030-07-10", duePhrase: "2030-07-10" }],
    [
      "Dana will handle the vendor call next week.",
      { owner: "Dana", task: "handle the vendor call", due: "next week", duePhrase: "next week" },
    ],
  ])("%s", async (content, item) => {
    expect(await itemsOf(content)).toEqual([item]);
  });

  it.each([
    "I'll be out tomorrow.",
    "I won't make it by Friday.",
    "Can you hear me?",
    "What will you do?",
    "Yesterday I fixed the login bug.",
    "Today I'm working on the billing page.",
    "The design review is in two weeks.",
    "No blockers.",
    "It will take a while.",
  ])("%s → no item", async (content) => {
    expect(await itemsOf(content)).toEqual([]);
  });

  it("takes each sentence of a message on its own, in meeting order", async () => {
    const { items } = await engine.extract([
      {
        id: "m2",
        senderName: "Yuki",
        content: "Thanks. I'll merge it tomorrow. Then Zed will tag the release.",
        timestamp: "2030-07-02T10:05:00.000Z",
      },
      { id: "m1", senderName: "Zed", content: "Yuki will review it.", timestamp: "2030-07-02T10:00:00.000Z" },
    ]);
    expect(items).toEqual([
      { owner: "Yuki", task: "review it", messageId: "m1" },
      { owner: "Yuki", task: "merge it", due: "2030-07-03", duePhrase: "tomorrow", messageId: "m2" },
      { owner: "Zed", task: "tag the release", messageId: "m2" },
    ]);
  });
});
