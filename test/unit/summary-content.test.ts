import { describe, expect, it } from "vitest";
import { renderSummaryEmail, type SummaryEmailInput } from "../../shared/domain/mail/summary-content.js";

const input: SummaryEmailInput = {
  title: "Weekly planning",
  summary: { text: "We agreed to ship on Friday.\nThe budget is fine.", engine: "extractive-summary@1 (wink-nlp)" },
  actionItems: {
    items: [
      { owner: "Alice", task: "send the report", due: "2026-07-03", duePhrase: "Friday" },
      { task: "book the room" },
    ],
    engine: "action-items-rules@1",
  },
};

describe("renderSummaryEmail", () => {
  it("names the gathering in the subject and carries the summary and each action item in both bodies", () => {
    const { subject, text, html } = renderSummaryEmail(input);
    expect(subject).toBe("Summary: Weekly planning");
    expect(text).toContain("We agreed to ship on Friday.\nThe budget is fine.");
    expect(text).toContain("- Alice: send the report (due 2026-07-03, “Friday”)");
    expect(text).toContain("- book the room");
    expect(html).toContain("We agreed to ship on Friday.<br>The budget is fine.");
    expect(html).toContain("<li>Alice: send the report (due 2026-07-03, “Friday”)</li>");
    expect(html).toContain("<li>book the room</li>");
  });

  it("names the engines, so a word-ranker is never mistaken for a language model", () => {
    const { text, html } = renderSummaryEmail(input);
    expect(text).toContain("Summarized by extractive-summary@1 (wink-nlp).");
    expect(text).toContain("Action items found by action-items-rules@1.");
    expect(html).toContain("Summarized by extractive-summary@1 (wink-nlp).");
    const same = renderSummaryEmail({
      ...input,
      actionItems: { ...input.actionItems!, engine: input.summary!.engine },
    });
    expect(same.text).not.toContain("Action items found by");
  });

  it("escapes every user-supplied value in the HTML and keeps the subject on one line", () => {
    const hostile: SummaryEmailInput = {
      title: "Plan <b>\r\nBcc: x@example.com",
      summary: { text: `<script>alert("x")</script> & more`, engine: "<engine>" },
      actionItems: { items: [{ owner: "<img src=x>", task: "a & b", duePhrase: '"soon"' }], engine: "rules" },
    };
    const { subject, text, html } = renderSummaryEmail(hostile);
    expect(subject).toBe("Summary: Plan <b> Bcc: x@example.com");
    expect(subject).not.toMatch(/[\r\n]/);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("<engine>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more");
    expect(html).toContain("&lt;img src=x&gt;: a &amp; b (due &quot;soon&quot;)");
    // The plain text is not HTML: it says what was said.
    expect(text).toContain(`<script>alert("x")</script> & more`);
  });

  it("says so when the meeting had no action items, and leaves out a part whose plugin is off", () => {
    const none = renderSummaryEmail({ ...input, actionItems: { items: [], engine: "rules" } });
    expect(none.text).toContain("Action items:\nNone found.");
    expect(none.html).toContain("None found.");
    const summaryOnly = renderSummaryEmail({ title: "T", summary: input.summary! });
    expect(summaryOnly.text).not.toContain("Action items");
    expect(summaryOnly.html).not.toContain("Action items");
    const itemsOnly = renderSummaryEmail({ title: "T", actionItems: input.actionItems! });
    expect(itemsOnly.text).not.toContain("Summary:");
    expect(itemsOnly.text).not.toContain("Summarized by");
    expect(itemsOnly.text).toContain("Action items found by action-items-rules@1.");
  });
});
