import { describe, expect, it } from "vitest";
import {
  escapeHtml,
  formatUtcRange,
  renderInvitationEmail,
  type InvitationEmailInput,
} from "../../shared/domain/mail/email-content.js";

const acceptUrl = "https://app.example.com/invitations/inv_01/accept?token=a&b=1";
const declineUrl = "https://app.example.com/invitations/inv_01/decline?token=a&b=1";
const invitation: InvitationEmailInput = {
  kind: "invitation",
  gatheringName: "Weekly planning",
  startsAt: "2026-07-01T15:00:00Z",
  endsAt: "2026-07-01T16:00:00Z",
  joinCode: "ABCD-1234",
  inviterName: "Ann",
  personalMessage: "Bring your notes.\nSee you!",
  acceptUrl,
  declineUrl,
  recordingNotice: false,
};

describe("renderInvitationEmail", () => {
  it("shows the time in UTC, unambiguously, in the subject and both bodies", () => {
    const { subject, text, html } = renderInvitationEmail(invitation);
    expect(subject).toBe("Invitation: Weekly planning (Wed, 1 Jul 2026, 15:00–16:00 UTC)");
    expect(text).toContain("When: Wed, 1 Jul 2026, 15:00–16:00 UTC");
    expect(html).toContain("Wed, 1 Jul 2026, 15:00–16:00 UTC");
  });

  it("names both dates when the gathering crosses midnight UTC, and converts offsets to UTC", () => {
    expect(formatUtcRange("2026-07-01T23:30:00Z", "2026-07-02T00:30:00Z")).toBe(
      "Wed, 1 Jul 2026, 23:30 – Thu, 2 Jul 2026, 00:30 UTC",
    );
    expect(formatUtcRange("2026-07-01T17:00:00+02:00", "2026-07-01T18:05:00+02:00")).toBe(
      "Wed, 1 Jul 2026, 15:00–16:05 UTC",
    );
  });

  it("gives the join code, the inviter's message and working accept and decline links", () => {
    const { text, html } = renderInvitationEmail(invitation);
    expect(text).toContain("Ann invited you to “Weekly planning”.");
    expect(text).toContain("Join code: ABCD-1234");
    expect(text).toContain("Message from Ann:\n> Bring your notes.\n> See you!");
    expect(text).toContain(`Accept: ${acceptUrl}`);
    expect(text).toContain(`Decline: ${declineUrl}`);
    expect(html).toContain("ABCD-1234");
    expect(html).toContain("Bring your notes.<br>See you!");
    expect(html).toContain('href="https://app.example.com/invitations/inv_01/accept?token=a&amp;b=1"');
    expect(html).toContain('href="https://app.example.com/invitations/inv_01/decline?token=a&amp;b=1"');
    expect(html).toContain(">Accept the invitation</a>");
  });

  it("escapes names and messages in the HTML, so user input cannot add markup", () => {
    const { subject, text, html } = renderInvitationEmail({
      ...invitation,
      gatheringName: '<script>alert("name")</script>',
      inviterName: "<img src=x onerror=alert(1)>",
      personalMessage: "<script>alert('message')</script> & \"quotes\"",
      joinCode: "<b>ABCD-1234</b>",
    });
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;");
    expect(html).toContain("&lt;script&gt;alert(&#39;message&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // Plain text and the subject are not HTML: they carry the input as written.
    expect(text).toContain("<script>alert('message')</script>");
    expect(subject).toContain('<script>alert("name")</script>');
  });

  it("keeps the subject on one line whatever line breaks the gathering name contains", () => {
    const { subject } = renderInvitationEmail({
      ...invitation,
      gatheringName: "Planning\r\nBcc: eve@example.com\u2028x",
    });
    expect(subject).toBe("Invitation: Planning Bcc: eve@example.com x (Wed, 1 Jul 2026, 15:00–16:00 UTC)");
  });

  it("says clearly that the call will be transcribed when it auto-starts a transcribed session", () => {
    const { text, html } = renderInvitationEmail({ ...invitation, recordingNotice: true });
    expect(text).toContain("This call will be transcribed.");
    expect(html).toContain("<strong>Recording notice:</strong> This call will be transcribed.");
  });

  it("says nothing about transcription when the gathering does not record", () => {
    const { text, html } = renderInvitationEmail(invitation);
    expect(text).not.toMatch(/transcri/i);
    expect(html).not.toMatch(/transcri|recording/i);
  });

  it("an update says the gathering changed and still lets people answer", () => {
    const { subject, text, html } = renderInvitationEmail({ ...invitation, kind: "update", recordingNotice: true });
    expect(subject).toBe("Updated invitation: Weekly planning (Wed, 1 Jul 2026, 15:00–16:00 UTC)");
    expect(text).toContain("“Weekly planning” has changed.");
    expect(text).toContain("This call will be transcribed.");
    expect(html).toContain(">Accept the invitation</a>");
  });

  it("a cancellation says so and offers no join code, links or recording notice", () => {
    const { subject, text, html } = renderInvitationEmail({
      kind: "cancellation",
      gatheringName: "Weekly planning",
      startsAt: "2026-07-01T15:00:00Z",
      endsAt: "2026-07-01T16:00:00Z",
      joinCode: "ABCD-1234",
      recordingNotice: true,
    });
    expect(subject).toBe("Cancelled: Weekly planning (Wed, 1 Jul 2026, 15:00–16:00 UTC)");
    expect(text).toContain("“Weekly planning” has been cancelled.");
    for (const body of [text, html]) {
      expect(body).not.toContain("ABCD-1234");
      expect(body).not.toMatch(/https?:|transcri/);
    }
  });

  it("is a self-contained, accessible HTML document: language, title, no external assets", () => {
    const { subject, html } = renderInvitationEmail(invitation);
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html).toContain(`<title>${escapeHtml(subject)}</title>`);
    expect(html).not.toMatch(/<(img|link|script|iframe)\b|src=|url\(/i);
  });

  it("refuses accept or decline links that are not http(s)", () => {
    expect(() => renderInvitationEmail({ ...invitation, acceptUrl: "javascript:alert(1)" })).toThrow(/http\(s\)/);
    expect(() => renderInvitationEmail({ ...invitation, declineUrl: "/relative" })).toThrow(/absolute/);
  });
});
