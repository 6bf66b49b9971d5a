// SPDX-License-Identifier: MIT
// The dashboard's shell: sign-in (a key file, an extension account, or no
// key for --public-read servers), the view routes (#/overview,
// #/miners/<uid>, ...) and what the signed-in role is offered. The key is
// held in this module only; a reload signs out.
import { Api, extensionAccounts, extensionNames, extensionSigner, signerFromKeyFile } from "./api.js";
import { errorBox, h } from "./dom.js";
import { views } from "./views.js";

const $ = (id) => document.getElementById(id);
let session = null; // {api, who: {ss58, role, secrets}}
let leaving = []; // cleanups of the view shown (timers)

const ROLES = ["none", "reader", "writer", "admin"];

// Over plain HTTP from another machine the browser has no WebCrypto, so
// nothing can be signed: say so, with what to do, instead of failing.
function insecureNotice() {
  if (window.isSecureContext && globalThis.crypto?.subtle) return false;
  const host = location.host;
  $("insecure").hidden = false;
  $("insecure").replaceChildren(
    h("strong", {}, "Signing is not possible on this page. "),
    `It was opened over plain HTTP from another machine (${location.origin}), and browsers ` +
    "allow WebCrypto, which signs requests, only in secure contexts. Either serve HTTPS: start " +
    "computedb with --tls-cert and --tls-key (`computedb tls selfsigned --out DIR` makes a first " +
    "pair) and open https://" + host + "/ui/; or reach it as localhost through an SSH tunnel: " +
    `ssh -L 8080:127.0.0.1:${location.port || 80} THAT_HOST, then open http://localhost:8080/ui/. ` +
    "Reading without a key still works where the server runs with --public-read.");
  $("keyfile").disabled = true;
  $("ext-btn").disabled = true;
  return true;
}

async function start(signer) {
  const api = new Api(signer);
  const msg = $("signin-msg");
  msg.textContent = "Signing in\u2026";
  try {
    const who = await api.get("/whoami");
    session = { api, who, rank: ROLES.indexOf(who.role) };
    msg.textContent = "";
    $("signin").hidden = true;
    $("nav").hidden = false;
    $("signout").hidden = false;
    $("nav-admin").hidden = session.rank < 3;
    $("who").textContent = (who.ss58 ? who.ss58 : "no key (public read)") + " \u00b7 " + who.role;
    if (!location.hash || location.hash === "#/") location.hash = "#/overview";
    else show();
  } catch (e) {
    msg.replaceChildren(e.status === 401 && !signer
      ? "This server needs a signed request to read (it runs without --public-read): sign in with a key."
      : errorBox(e));
  }
}

async function onKeyFile(ev) {
  const file = ev.target.files?.[0];
  ev.target.value = ""; // the input keeps no reference to the file
  if (!file) return;
  try {
    await start(await signerFromKeyFile(await file.text()));
  } catch (e) {
    $("signin-msg").replaceChildren(e.status ? errorBox(e) : h("span", {}, e.message));
  }
}

let extAccounts = null;
async function onExtension() {
  const msg = $("signin-msg");
  const names = extensionNames();
  if (!names.length) {
    msg.textContent = "No polkadot{.js}-compatible extension is installed in this browser.";
    return;
  }
  try {
    const { ext, accounts } = await extensionAccounts(names[0]);
    if (!accounts.length) {
      msg.textContent = `The extension ${names[0]} shares no account with this page.`;
      return;
    }
    extAccounts = { ext, accounts };
    const sel = $("ext-account");
    sel.replaceChildren(...accounts.map((a, i) =>
      h("option", { value: i }, (a.name ? a.name + ": " : "") + a.address)));
    sel.hidden = false;
    $("ext-use").hidden = false;
  } catch (e) {
    msg.textContent = "The extension refused: " + (e.message ?? e);
  }
}

function onExtensionUse() {
  const a = extAccounts.accounts[Number($("ext-account").value)];
  start(extensionSigner(extAccounts.ext, a));
}

// #/miners/12?q=x -> {name: "miner", arg: "12", query}
function route() {
  const [path, q] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const name = parts[0] === "miners" && parts[1] !== undefined ? "miner" : parts[0] ?? "overview";
  return { name, arg: parts[1] ? decodeURIComponent(parts[1]) : null, query: new URLSearchParams(q ?? "") };
}

async function show() {
  if (!session) return;
  leaving.forEach((f) => f());
  leaving = [];
  const r = route();
  const view = views[r.name] ?? views.overview;
  const el = $("view");
  el.hidden = false;
  el.replaceChildren(h("p", { class: "loading" }, "Loading\u2026"));
  document.querySelectorAll("#nav a").forEach((a) => {
    const here = a.getAttribute("href") === "#/" + (r.name === "miner" ? "miners" : r.name);
    if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
  const ctx = {
    ...session, route: r,
    canWrite: session.rank >= 2,
    isAdmin: session.rank >= 3,
    onLeave: (f) => leaving.push(f),
    current: () => location.hash,
    refresh: () => show(),
  };
  const hash = location.hash;
  try {
    const node = await view(ctx);
    if (location.hash === hash) el.replaceChildren(node);
  } catch (e) {
    if (location.hash === hash) el.replaceChildren(errorBox(e));
  }
}

function signOut() {
  location.hash = "";
  location.reload(); // the key lives only in this page's memory
}

// The page is also served at / and /ui: its address becomes /ui/.
if (location.pathname !== "/ui/") history.replaceState(null, "", "/ui/" + location.hash);
window.addEventListener("hashchange", show);
$("keyfile").addEventListener("change", onKeyFile);
$("ext-btn").addEventListener("click", onExtension);
$("ext-use").addEventListener("click", onExtensionUse);
$("anon-btn").addEventListener("click", () => start(null));
$("signout").addEventListener("click", signOut);
insecureNotice();
document.body.dataset.ready = "1";
