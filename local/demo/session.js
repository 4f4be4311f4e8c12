// The live session page: plain JavaScript on the SDK's browser build (served beside it as /demo/sdk.js).
// Every text from the API goes in with textContent, never as HTML.
import { CortexClient } from "./sdk.js";
import { $, readAddress, setConnection } from "./page.js";

const fields = {
  apiKey: $("api-key"),
  projectId: $("project-id"),
  sessionId: $("session-id"),
  title: $("session-title"),
  roomId: $("room-id"),
};

const BOT_STATE = {
  none: "not started",
  requested: "join requested, waiting for the bot",
  joining: "joining the room",
  in_room: "in the room",
  leaving: "leaving",
  left: "left the room",
  failed: "failed",
};
const ENDED_REASON = {
  stopped: "stopped",
  idle: "ended after silence",
  gathering_ended: "its gathering ended",
  bot_failed: "the bot failed",
  bot_left: "the bot left",
};

const KIND = { summary: "Summary", action_items: "Action items", sentiment: "Mood" };

/** What the page shows: the open session, its live views, and the latest of each to render together. */
const view = { session: undefined, stops: [], messages: [], messageAnnotations: [], sessionAnnotations: [] };

// ── Small renderers ───────────────────────────────────────────────────────────────────────────────────────

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function describeError(error) {
  return error.status ? `${error.message} (HTTP ${error.status})` : String(error.message ?? error);
}

function showError(error) {
  const box = $("error");
  box.hidden = !error;
  box.textContent = error ? describeError(error) : "";
}

function timeOf(iso) {
  const node = el("time", "time", new Date(iso).toLocaleTimeString([], { hour12: false }));
  node.dateTime = iso;
  return node;
}

/**
 * Who made an annotation, in words: `wink-nlp@2.4.0:extractive-summary` is "wink-nlp 2.4.0, extractive
 * summary", `amazon-bedrock:<model>` is "Amazon Bedrock, <model>" — so a sentence ranker is never taken for
 * an LLM. A roll-up over several engines names them comma-separated.
 */
function madeBy(engine) {
  if (typeof engine !== "string" || !engine) return "made by an unnamed engine";
  const words = engine.split(",").map((one) => {
    const [name, ...rest] = one.trim().split(":");
    const detail = rest.join(":");
    const who = { "amazon-bedrock": "Amazon Bedrock", "amazon-comprehend": "Amazon Comprehend" }[name];
    const readable = who ?? name.replace("@", " ");
    return detail ? `${readable}, ${who ? detail : detail.replaceAll("-", " ")}` : readable;
  });
  return `made by ${words.join(" + ")}`;
}

function sentimentBadge(data) {
  const score = Number(data.score);
  const text = Number.isFinite(score) ? `${score > 0 ? "+" : ""}${score.toFixed(2)}` : "?";
  const badge = el("span", "sentiment", text);
  badge.dataset.label = String(data.label ?? "neutral");
  badge.title = `Sentiment ${data.label ?? "unknown"} (${text}), ${madeBy(data.engine)}`;
  return badge;
}

// ── The session ───────────────────────────────────────────────────────────────────────────────────────────

function renderSession(session) {
  if (!session) {
    $("session-meta").textContent = "This session was deleted.";
    $("bot-hint").hidden = true;
    return;
  }
  $("session-heading").textContent = session.title;
  const status =
    session.status === "ended" ? `ended (${ENDED_REASON[session.endedReason] ?? session.endedReason})` : "active";
  const bot = `bot ${BOT_STATE[session.bot.state] ?? session.bot.state}${session.bot.reason ? `: ${session.bot.reason}` : ""}`;
  const lines = `${session.messageCount} message${session.messageCount === 1 ? "" : "s"}`;
  const meta = $("session-meta");
  meta.textContent = `${status} · ${bot} · ${lines}`;
  meta.dataset.status = session.status;
  meta.dataset.botState = session.bot.state;

  const project = fields.projectId.value.trim();
  $("bot-command").textContent =
    `npm run bot -- --session ${session.id}` + (project && project !== "demo" ? ` --project ${project}` : "");
  $("bot-hint").hidden = session.status !== "active" || !["none", "requested"].includes(session.bot.state);
}

// ── The transcript, with each line's annotations ──────────────────────────────────────────────────────────

/**
 * The message annotations by message id, for the messages the transcript holds only: an annotation event
 * is message-scoped, so the SDK cannot tell which session it belongs to (its documented contract).
 */
function annotationsByMessage(messages, annotations) {
  const known = new Set(messages.map((m) => m.id));
  const byMessage = new Map();
  for (const annotation of annotations) {
    if (!known.has(annotation.messageId)) continue;
    const entry = byMessage.get(annotation.messageId) ?? {};
    entry[annotation.type] = annotation;
    byMessage.set(annotation.messageId, entry);
  }
  return byMessage;
}

function renderTranscript() {
  const list = $("transcript");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const byMessage = annotationsByMessage(view.messages, view.messageAnnotations);
  const fragment = document.createDocumentFragment();
  for (const message of view.messages) {
    const line = el("li", "line");
    line.dataset.messageId = message.id;
    line.dataset.type = message.type;
    const { profanity, sentiment } = byMessage.get(message.id) ?? {};
    const censored = profanity?.data.flagged && typeof profanity.data.censored === "string";
    const text = el("span", "text", censored ? profanity.data.censored : message.content);
    line.append(timeOf(message.timestamp), el("span", "speaker", message.senderName), text);
    if (censored) {
      line.dataset.profane = "true";
      const marker = el("span", "profanity", "censored");
      marker.title = `Profanity masked, ${madeBy(profanity.data.engine)}`;
      line.append(marker);
    }
    if (sentiment) line.append(sentimentBadge(sentiment.data));
    fragment.append(line);
  }
  if (view.messages.length === 0) fragment.append(el("li", "empty", "Nothing said yet."));
  list.replaceChildren(fragment);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

// ── The side panel: summary, action items, the meeting's mood, and what they superseded ──────────────────

function summaryText(data) {
  if (typeof data.summary === "string" && data.summary.trim()) return data.summary;
  return (Array.isArray(data.sentences) ? data.sentences : []).map((s) => s.text).join(" ");
}

function renderItems(list, data) {
  const items = Array.isArray(data?.items) ? data.items : [];
  const fragment = document.createDocumentFragment();
  for (const item of items) {
    const entry = el("li");
    if (item.owner) entry.append(el("strong", "owner", item.owner), " — ");
    entry.append(item.task ?? "");
    if (item.due ?? item.duePhrase) entry.append(" ", el("span", "due", `due ${item.due ?? item.duePhrase}`));
    fragment.append(entry);
  }
  if (data && items.length === 0) fragment.append(el("li", "empty", "None found."));
  if (!data) fragment.append(el("li", "empty", "None yet: they are found when the session ends."));
  list.replaceChildren(fragment);
}

function renderSentiment(target, data) {
  if (!data) {
    target.replaceChildren("Not rated yet.");
    return;
  }
  const counts = data.counts ? ` over ${data.messages ?? "?"} lines` : "";
  target.replaceChildren(el("span", "label", String(data.label)), " ", sentimentBadge(data), counts);
}

function renderNotes() {
  const all = view.sessionAnnotations;
  const current = (type) => all.find((a) => a.current && a.type === type)?.data;

  const summary = current("summary");
  $("summary-text").textContent = summary
    ? summaryText(summary) || "The meeting had nothing to summarize."
    : "None yet: one is made when the session ends.";
  $("summary-engine").textContent = summary ? madeBy(summary.engine) : "";

  const items = current("action_items");
  renderItems($("action-items"), items);
  $("action-items-engine").textContent = items ? madeBy(items.engine) : "";

  const mood = current("sentiment");
  renderSentiment($("meeting-sentiment"), mood);
  $("meeting-sentiment-engine").textContent = mood ? madeBy(mood.engine) : "";

  const superseded = all.filter((a) => !a.current).reverse();
  const fragment = document.createDocumentFragment();
  for (const old of superseded) {
    const entry = el("details", "superseded");
    entry.dataset.type = old.type;
    const when = new Date(old.createdAt).toLocaleTimeString([], { hour12: false });
    entry.append(el("summary", undefined, `${KIND[old.type] ?? old.type} of ${when}`));
    if (old.type === "summary") entry.append(el("p", undefined, summaryText(old.data)));
    else if (old.type === "action_items") renderItems(entry.appendChild(el("ul", "action-items")), old.data);
    else renderSentiment(entry.appendChild(el("p")), old.data);
    entry.append(el("p", "engine", madeBy(old.data.engine)));
    fragment.append(entry);
  }
  $("history-items").replaceChildren(fragment);
  $("history").hidden = superseded.length === 0;
}

// ── The action menu ───────────────────────────────────────────────────────────────────────────────────────

/** Runs an action from the menu; a disabled plugin (409) leaves its button disabled, other failures don't. */
async function runFromMenu(button, name, run) {
  button.disabled = true;
  const status = $("action-status");
  status.dataset.state = "busy";
  status.textContent = `${name}…`;
  try {
    await run();
    status.dataset.state = "ok";
    status.textContent = `${name}: accepted. The result appears beside the transcript.`;
    button.disabled = false;
  } catch (error) {
    status.dataset.state = "error";
    status.textContent = `${name} failed: ${describeError(error)}`;
    button.disabled = error.status === 409;
  }
}

async function renderActions(session) {
  const menu = $("actions");
  const regenerate = $("regenerate-button");
  for (const old of menu.querySelectorAll("[data-plugin-id]")) old.remove();
  regenerate.disabled = false;
  $("action-status").textContent = "";
  const { plugins } = await session.getActions();
  if (view.session !== session) return; // another session was opened meanwhile
  for (const plugin of plugins) {
    for (const action of plugin.actions) {
      const button = el("button", undefined, action.name);
      button.type = "button";
      button.title = action.description;
      button.dataset.pluginId = plugin.id;
      button.dataset.actionId = action.id;
      button.addEventListener("click", () =>
        runFromMenu(button, action.name, () => session.runAction(plugin.id, action.id)),
      );
      regenerate.before(button);
    }
  }
  menu.hidden = false;
}

$("regenerate-button").addEventListener("click", (event) => {
  const { session } = view;
  if (session) void runFromMenu(event.currentTarget, "Regenerate summary", () => session.regenerateSummary());
});

// ── Live views ────────────────────────────────────────────────────────────────────────────────────────────

function stopViews() {
  for (const stop of view.stops) stop();
  Object.assign(view, { session: undefined, stops: [], messages: [], messageAnnotations: [], sessionAnnotations: [] });
}

function watchAll(subscription, render) {
  subscription.onError((error, { willRetry }) => {
    if (willRetry) setConnection("retrying", "Connection lost — reconnecting…");
    else {
      setConnection("stopped", "Not connected");
      showError(error);
    }
  });
  view.stops.push(subscription.onSnapshot(render), () => subscription.close());
}

function show(session) {
  stopViews();
  view.session = session;
  showError(undefined);
  renderSession(session);
  renderTranscript();
  renderNotes();
  setConnection("connecting", "Connecting…");
  fields.sessionId.value = session.id;
  history.replaceState(
    null,
    "",
    `${location.pathname}#project=${encodeURIComponent(session.projectId)}&session=${encodeURIComponent(session.id)}`,
  );

  watchAll(session.watch(), (current) => {
    setConnection("live", "Live");
    renderSession(current);
  });
  watchAll(session.watchMessages(), (messages) => {
    view.messages = messages;
    renderTranscript();
  });
  watchAll(session.watchMessageAnnotations(), (annotations) => {
    view.messageAnnotations = annotations;
    renderTranscript();
  });
  watchAll(session.watchSessionAnnotations(), (annotations) => {
    view.sessionAnnotations = annotations;
    renderNotes();
  });
  renderActions(session).catch(showError);
}

// ── Forms ─────────────────────────────────────────────────────────────────────────────────────────────────

function project() {
  const apiKey = fields.apiKey.value.trim();
  if (!apiKey) throw new Error("Enter the API key first.");
  const id = fields.projectId.value.trim();
  if (!id) throw new Error("Enter the project id.");
  return new CortexClient({ baseUrl: location.origin, apiKey }).project(id);
}

async function busy(button, run) {
  button.disabled = true;
  showError(undefined);
  try {
    show(await run());
    $("live").focus();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

$("open-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void busy($("open-button"), async () => {
    const sessionId = fields.sessionId.value.trim();
    if (!sessionId) {
      fields.sessionId.focus();
      throw new Error("Enter the session id (sess_…), or create a session.");
    }
    return project().sessions.get(sessionId);
  });
});

$("create-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void busy($("create-button"), async () => {
    const title = fields.title.value.trim();
    const externalRoomId = fields.roomId.value.trim();
    if (!title || !externalRoomId) throw new Error("Give the session a title and a voice room.");
    return project().sessions.create({ title, externalRoomId });
  });
});

// ── Start ─────────────────────────────────────────────────────────────────────────────────────────────────

renderNotes();
const settings = readAddress(["session"]);
if (settings.key) fields.apiKey.value = settings.key;
if (settings.project) fields.projectId.value = settings.project;
if (settings.session) fields.sessionId.value = settings.session;
if (settings.key && settings.session) {
  try {
    project()
      .sessions.get(settings.session)
      .then(show)
      .catch((error) => showError(error));
  } catch (error) {
    showError(error);
  }
}
