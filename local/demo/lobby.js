// The live lobby page: plain JavaScript on the SDK's browser build (served beside it as /demo/sdk.js).
import { CortexClient } from "./sdk.js";
import { $, readAddress, setConnection } from "./page.js";

const form = $("join-form");
const fields = {
  apiKey: $("api-key"),
  projectId: $("project-id"),
  joinCode: $("join-code"),
  participantId: $("participant-id"),
  displayName: $("display-name"),
};

const STATE_LABEL = { ready: "Ready ✓", joined: "Not ready", invited: "Invited", left: "Left" };

/** What the page is showing: the live gathering, its views, and who "I" am in it (if I joined). */
const session = { gathering: undefined, views: [], me: undefined, statuses: new Map() };

// ── Rendering ─────────────────────────────────────────────────────────────────────────────────────────────

function showError(error) {
  const box = $("error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.hidden = false;
  box.textContent = error.status ? `${error.message} (HTTP ${error.status})` : String(error.message ?? error);
}

function nameOf(member) {
  return member.displayName ?? member.participantId;
}

function renderGathering(gathering) {
  $("lobby-heading").textContent = gathering.name;
  const parts = [`${gathering.type[0].toUpperCase()}${gathering.type.slice(1)}`, `code ${gathering.joinCode}`];
  parts.push(gathering.status === "started" ? "started" : gathering.status);
  $("lobby-meta").textContent = parts.join(" · ");
}

function renderMembers(members) {
  const rows = $("member-rows");
  const fragment = document.createDocumentFragment();
  for (const member of members) {
    const row = document.createElement("tr");
    row.dataset.participantId = member.participantId;
    row.dataset.status = member.status;
    if (member.participantId === session.me) row.classList.add("is-me");
    const name = document.createElement("td");
    name.textContent = nameOf(member) + (member.participantId === session.me ? " (you)" : "");
    const role = document.createElement("td");
    role.textContent = member.role === "owner" ? "Host" : "Player";
    const state = document.createElement("td");
    const pill = document.createElement("span");
    pill.className = "state";
    pill.dataset.status = member.status;
    pill.textContent = STATE_LABEL[member.status] ?? member.status;
    state.append(pill);
    row.append(name, role, state);
    fragment.append(row);
  }
  if (members.length === 0) {
    const row = document.createElement("tr");
    row.className = "empty";
    const cell = document.createElement("td");
    cell.colSpan = 3;
    cell.textContent = "Nobody here yet.";
    row.append(cell);
    fragment.append(row);
  }
  rows.replaceChildren(fragment);

  const present = members.filter((m) => m.status === "joined" || m.status === "ready");
  const ready = present.filter((m) => m.status === "ready");
  const everyone = present.length > 0 && ready.length === present.length;
  $("summary").textContent = `${ready.length} of ${present.length} ready` + (everyone ? " — everyone is ready!" : "");

  const mine = members.find((m) => m.participantId === session.me);
  const controls = $("me");
  controls.hidden = !mine || mine.status === "left";
  if (mine) {
    const button = $("ready-button");
    const isReady = mine.status === "ready";
    button.setAttribute("aria-pressed", String(isReady));
    button.textContent = isReady ? "Ready ✓ (click to take back)" : "I'm ready";
    $("me-label").textContent = `You are ${nameOf(mine)}.`;
  }
}

/** Says what changed, politely, for screen readers (the table itself is not a live region). */
function announce(changes) {
  const lines = [];
  for (const change of changes) {
    const before = session.statuses.get(change.id);
    const name = nameOf(change.data);
    if (change.type === "removed") lines.push(`${name} was removed`);
    else if (before === undefined) lines.push(`${name} ${change.data.status === "invited" ? "was invited" : "joined"}`);
    else if (before !== change.data.status) {
      lines.push(
        {
          ready: `${name} is ready`,
          joined: before === "ready" ? `${name} is no longer ready` : `${name} joined`,
          left: `${name} left`,
          invited: `${name} was invited`,
        }[change.data.status] ?? `${name} is ${change.data.status}`,
      );
    }
  }
  if (lines.length > 0) $("announcer").textContent = lines.join(". ") + ".";
}

// ── Live views ────────────────────────────────────────────────────────────────────────────────────────────

function stopViews() {
  for (const stop of session.views) stop();
  session.views = [];
}

function show(gathering) {
  stopViews();
  session.gathering = gathering;
  session.statuses = new Map();
  renderGathering(gathering);
  setConnection("connecting", "Connecting…");

  const onError = (error, { willRetry }) => {
    if (willRetry) setConnection("retrying", "Connection lost — reconnecting…");
    else {
      setConnection("stopped", "Not connected");
      showError(error);
    }
  };

  const doc = gathering.watch();
  doc.onError(onError);
  session.views.push(doc.onSnapshot((current) => current && renderGathering(current)));

  const members = gathering.watchMembers();
  members.onError(onError);
  let first = true;
  session.views.push(
    members.onSnapshot((items, changes) => {
      setConnection("live", "Live");
      if (!first) announce(changes);
      first = false;
      session.statuses = new Map(items.map((m) => [m.participantId, m.status]));
      renderMembers(items);
    }),
  );
  session.views.push(
    () => doc.close(),
    () => members.close(),
  );
}

function client() {
  const apiKey = fields.apiKey.value.trim();
  if (!apiKey) throw new Error("Enter the API key first (or join as a player: no key needed).");
  return new CortexClient({ baseUrl: location.origin, apiKey });
}

/**
 * A player acts with a participant token, never with the key: minted with the host's key when the page
 * has one (POST /v1/projects/{id}/tokens), else by the local runtime on the page's behalf (POST /demo/token,
 * the game server's part).
 */
async function playerProject(participantId) {
  const projectId = fields.projectId.value.trim();
  if (!projectId) throw new Error("Enter the project id.");
  const apiKey = fields.apiKey.value.trim();
  const response = apiKey
    ? await fetch(`/v1/projects/${encodeURIComponent(projectId)}/tokens`, {
        method: "POST",
        headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
        body: JSON.stringify({ participantId, ttlSeconds: 3600 }),
      })
    : await fetch("/demo/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ projectId, participantId }),
      });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw Object.assign(new Error(body.detail ?? body.title ?? "No player token"), { status: response.status });
  }
  return new CortexClient({ baseUrl: location.origin, token: body.token }).project(projectId);
}

function project() {
  const id = fields.projectId.value.trim();
  if (!id) throw new Error("Enter the project id.");
  return client().project(id);
}

async function busy(button, run) {
  button.disabled = true;
  showError(undefined);
  try {
    await run();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

// ── Actions ───────────────────────────────────────────────────────────────────────────────────────────────

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void busy($("join-button"), async () => {
    const participantId = fields.participantId.value.trim();
    if (!fields.participantId.checkValidity() || !participantId) {
      fields.participantId.focus();
      throw new Error("Enter a player id: letters, digits and . _ : @ | + - only.");
    }
    const joinCode = fields.joinCode.value.trim();
    if (!joinCode) {
      fields.joinCode.focus();
      throw new Error("Enter the lobby's join code.");
    }
    const displayName = fields.displayName.value.trim();
    const player = await playerProject(participantId);
    const result = await player.gatherings.joinByCode({
      joinCode,
      participantId,
      ...(displayName && { displayName }),
    });
    session.me = participantId;
    show(result.gathering);
    $("lobby").focus();
  });
});

$("ready-button").addEventListener("click", (event) =>
  busy(event.currentTarget, async () => {
    const { gathering, me } = session;
    if (!gathering || !me) return;
    if (session.statuses.get(me) === "ready") await gathering.unready(me);
    else await gathering.ready(me);
  }),
);

$("leave-button").addEventListener("click", (event) =>
  busy(event.currentTarget, async () => {
    const { gathering, me } = session;
    if (!gathering || !me) return;
    await gathering.leave(me);
  }),
);

// ── Start ─────────────────────────────────────────────────────────────────────────────────────────────────

const settings = readAddress(["gathering", "code"]);
if (settings.key) fields.apiKey.value = settings.key;
if (settings.project) fields.projectId.value = settings.project;
if (settings.code) fields.joinCode.value = settings.code;
if (settings.gathering && settings.key) {
  // Watch a lobby without joining it (a spectator's or the host's view).
  project()
    .gatherings.get(settings.gathering)
    .then(show)
    .catch((error) => showError(error));
}
