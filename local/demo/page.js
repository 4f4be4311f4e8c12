// What the demo pages share: their settings from the address, and the connection line.

export const $ = (id) => document.getElementById(id);

/**
 * The page's settings from the address: `#key=…&project=…&<name>=…` (or the same as ?query), for `key`,
 * `project` and the page's own `names`. The key is then taken out of the address bar, the history and
 * screenshots.
 */
export function readAddress(names) {
  const hash = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const get = (name) => hash.get(name) ?? query.get(name) ?? undefined;
  const settings = Object.fromEntries(["key", "project", ...names].map((name) => [name, get(name)]));
  if (settings.key) {
    hash.delete("key");
    query.delete("key");
    const search = query.toString();
    const rest = hash.toString();
    history.replaceState(null, "", `${location.pathname}${search ? `?${search}` : ""}${rest ? `#${rest}` : ""}`);
  }
  return settings;
}

/** The live-connection line: its state (for styles and tests) and its text. */
export function setConnection(state, text) {
  const line = $("connection");
  line.dataset.state = state;
  line.textContent = text;
}
