// SPDX-License-Identifier: MIT
// Small DOM helpers. Text from the API only ever goes in as text nodes,
// never as markup.

// h("a", {href: "#/x", class: "y"}, "text", child...): a new element.
// Attributes starting with "on" are listeners; false/null ones are left out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// A number for people: thousands separated, at most `digits` decimals;
// "\u2013" for none.
export function num(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return "\u2013";
  return Number(x).toLocaleString("en-US", { maximumFractionDigits: digits });
}

export function pct(x) {
  return x === null || x === undefined || Number.isNaN(x) ? "\u2013" : (100 * x).toFixed(1) + "%";
}

export function bytes(n) {
  if (n === null || n === undefined) return "\u2013";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

export function when(ms) {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "\u2013";
}

// The message an API error shows: a 403 says plainly that the role may not.
export function errorBox(e) {
  let text;
  if (e.status === 403)
    text = "Not allowed (403): your key's role may not do this. Ask an admin for a role that may (" + e.message + ").";
  else if (e.status === 401)
    text = "Not signed in (401): " + e.message + ". Sign in with a key file, or start the server with --public-read to read without one.";
  else if (e.status)
    text = `The server answered ${e.status} (${e.code}): ${e.message}`;
  else
    text = "The request failed: " + (e.message ?? e);
  return h("p", { class: "error", role: "alert" }, text);
}

// A table of rows with columns [{label, get(row) -> text|Node}].
export function table(caption, columns, rows) {
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, c.get(r)))))));
}

// A definition list of [label, value] pairs.
export function facts(pairs, attrs = {}) {
  return h("dl", { class: "facts", ...attrs }, pairs.flatMap(([k, v, key]) =>
    [h("dt", {}, k), h("dd", key ? { "data-k": key } : {}, v)]));
}
