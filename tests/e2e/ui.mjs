// SPDX-License-Identifier: MIT
// The dashboard (/ui/) in headless Chromium, driven by puppeteer-core,
// against the servers ui.sh started. Seeds data through the API (signed as
// the admin with docs/clients/computedb_sign.mjs), then checks that each
// view shows what the API answers, what a reader, a writer and an admin
// are offered, that nothing leaves the origin, that nothing is stored,
// that a reload signs out, axe-core's verdict, HTTPS from a non-local
// name (a secure context), the plain-HTTP notice, and sign-in through a
// fake polkadot{.js} extension whose signRaw is @polkadot/util-crypto's.
// Environment (from ui.sh): URL, TLS_URL, PLAIN_NAMED_URL, SPKI, CHROMIUM,
// ARTIFACTS, the key files ADMIN_KEY, READER_KEY, WRITER_KEY and the
// sr25519 seed byte SR_SEED. Exit status 1 on any failure, each named.
import { readFileSync, mkdirSync } from "node:fs";
import { pathToFileURL } from "node:url";

const env = process.env;
const tools = env.COMPUTEDB_TOOLS_DIR + "/node_modules/";
const load = (m, file) => import(pathToFileURL(tools + m + "/" + file).href);
const puppeteer = (await load("puppeteer-core", "lib/esm/puppeteer/puppeteer-core.js")).default;
const pd = await load("@polkadot/util-crypto", "index.js");
const pu = await load("@polkadot/util", "index.js");
const sign = await import(pathToFileURL(env.COMPUTEDB_SOURCE_DIR + "/docs/clients/computedb_sign.mjs").href);
await pd.cryptoWaitReady();

let failures = 0;
const bad = (what) => { failures++; console.log("ui.mjs: FAIL: " + what); };
const check = (ok, what) => { if (!ok) bad(what); };
const eq = (got, want, what) => check(String(got) === String(want), `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
mkdirSync(env.ARTIFACTS, { recursive: true });

// ---- the API, as the admin ----
const seedOf = (file) => Uint8Array.from(readFileSync(file, "ascii").trim().match(/../g), (b) => parseInt(b, 16));
async function keyOf(file) {
  const ss58 = pd.encodeAddress(pd.ed25519PairFromSeed(seedOf(file)).publicKey, 42);
  return { ss58, key: await sign.importSeed(seedOf(file), ss58) };
}
const admin = await keyOf(env.ADMIN_KEY);
async function call(method, target, body, base = env.URL) {
  const res = await sign.signedFetch(admin.key, base, method, target, body ? JSON.stringify(body) : undefined);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${target}: ${res.status} ${text}`);
  return text.startsWith("{") ? JSON.parse(text) : text;
}

// ---- seed ----
const N = 3000;
const hotkey = (i) => pd.encodeAddress(pd.blake2AsU8a(new Uint8Array([i & 255, i >> 8, 7]), 256), 42);
await call("PUT", "/miners", { mode: "merge", miners: Array.from({ length: N }, (_, uid) => ({ uid, hotkey: hotkey(uid) })) });
const challenges = [];
for (let uid = 0; uid < 20; uid++)
  for (let k = 0; k < 10; k++)
    challenges.push({ uid, hotkey: hotkey(uid), success: k < 3 + (uid % 7), elapsed_time: 1 + k, difficulty: 2 + (k % 5),
      created_at: `2026-11-0${1 + (k % 9)}T10:${String(uid).padStart(2, "0")}:00.000000` });
await call("POST", "/challenges", { challenges });
const gpu = (name, n) => ({ count: n, capacity: 81559 * n, details: Array.from({ length: n }, () => ({ name, capacity: 81559 })) });
await call("PUT", "/miners/details", { miners: Array.from({ length: 40 }, (_, uid) => ({ hotkey: hotkey(uid),
  details: { gpu: gpu(uid % 2 ? "NVIDIA H100 80GB HBM3" : "NVIDIA H200", 1 + (uid % 8)), has_docker: uid % 3 === 0 } })) });
for (const uid of [1, 2, 4])
  await call("POST", "/pog/stats", { hotkey: hotkey(uid), gpu_name: uid === 2 ? "NVIDIA H200" : "NVIDIA H100 80GB HBM3", num_gpus: uid + 2 });
const PASSWORD = "pw-" + Math.random().toString(36).slice(2);
await call("PUT", `/allocations/${hotkey(4)}`, { details: { username: "root", password: PASSWORD, port: 4444, ip: "203.0.113.7",
  resource: "nvidia h100 80gb hbm3", ssh_key: "ssh-ed25519 AAAAtest", regkey: "rk", uuid: "u-1", version: 183 } });
await call("POST", "/blacklist", { hotkeys: [hotkey(2999)] });

// What the API says, to compare with the pages.
const cstats = await call("GET", "/challenges/stats");
const scores = await call("GET", "/scores");
const gpus = await call("GET", "/pog/gpus");

// ---- the browser ----
const browser = await puppeteer.launch({
  executablePath: env.CHROMIUM, headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--host-resolver-rules=MAP computedb.test 127.0.0.1, MAP plain.test 127.0.0.1",
    "--ignore-certificate-errors-spki-list=" + env.SPKI],
});
const axeSource = readFileSync(tools + "axe-core/axe.min.js", "utf8");
let shot = 0;

// A page that records console errors, page errors and requests leaving
// its origin (those are refused).
async function newPage(origin) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.problems = [];
  page.on("console", (m) => { if (m.type() === "error") page.problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => page.problems.push("page error: " + e.message));
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    if (new URL(r.url()).origin !== origin && !r.url().startsWith("blob:")) {
      page.problems.push("request leaving the origin: " + r.url());
      r.abort();
    } else r.continue();
  });
  return page;
}
const text = (page, sel) => page.$eval(sel, (e) => e.textContent.trim());
const count = (page, sel) => page.$$eval(sel, (es) => es.length);
async function view(page, hash, ready) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(ready, { timeout: 15000 });
}
async function snap(page, name) {
  const file = `${env.ARTIFACTS}/${String(++shot).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
}
async function axe(page, name) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ["violations"] }));
  for (const v of r.violations.filter((x) => x.impact === "serious" || x.impact === "critical"))
    bad(`axe on ${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
}
// A new page on base, signed in with keyFile through the file input.
async function signedIn(base, keyFile) {
  const page = await newPage(base);
  await page.goto(base + "/ui/", { waitUntil: "load" });
  await page.waitForSelector("body[data-ready]");
  const input = await page.$("#keyfile");
  await input.uploadFile(keyFile);
  await page.waitForSelector("#nav:not([hidden])", { timeout: 15000 });
  return page;
}
// Every problem the page recorded is a failure.
const problems = (page, label) => page.problems.forEach((p) => bad(`${label} page: ${p}`));
const writeControls = (page) => page.$$eval("#view button, #view form", (es) =>
  es.filter((e) => e.tagName === "FORM" || !e.classList.contains("sort")).map((e) => e.textContent.trim() || e.getAttribute("aria-label")));
// The page's storage: every place a key could have been put.
const storage = (page) => page.evaluate(async () => JSON.stringify({
  local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie,
  idb: (await indexedDB.databases()).map((d) => d.name), caches: await caches.keys() }));

// ---- a reader ----
const reader = await signedIn(env.URL, env.READER_KEY);
check((await text(reader, "#who")).endsWith("reader"), "the reader's header names the role: " + await text(reader, "#who"));
const seen = await storage(reader);
eq(seen, JSON.stringify({ local: {}, session: {}, cookie: "", idb: [], caches: [] }), "browser storage after sign-in");
check(!seen.includes(readFileSync(env.READER_KEY, "ascii").trim()), "the key is not in any storage");

// miners: all rows known, few in the page, search, sort
await view(reader, "#/miners", "#miner-count[data-shown]");
eq(await text(reader, "#miner-count"), `${N.toLocaleString("en-US")} of ${N.toLocaleString("en-US")} miners`, "miner count");
const trs = await count(reader, ".vt tbody tr");
check(trs > 10 && trs < 150, `only the visible miner rows are in the page (${trs} of ${N})`);
await snap(reader, "miners");
await axe(reader, "miners");
const uid = 5;
const cs = cstats[uid];
await reader.type("#miner-q", String(uid));
await reader.waitForFunction(() => document.querySelector("#miner-count").dataset.shown === "1");
const cells = await reader.$$eval(".vt tbody tr:not(.spacer) td", (tds) => tds.map((t) => t.textContent));
eq(cells[0], uid, "the uid searched for");
eq(cells[2], (100 * cs.challenge_successes / cs.challenge_attempts).toFixed(1) + "%", "miner 5's success rate");
eq(cells[4], cs.challenge_failed, "miner 5's failures");
eq(cells[7], 1 + (uid % 8), "miner 5's GPU count");
eq(cells[6], "NVIDIA H100 80GB HBM3", "miner 5's GPU model");
await reader.click("#miner-q", { clickCount: 3 });
await reader.type("#miner-q", hotkey(2).slice(3, 15));
await reader.waitForFunction(() => document.querySelector("#miner-count").dataset.shown === "1");
eq((await reader.$$eval(".vt tbody tr:not(.spacer) td", (tds) => tds.map((t) => t.textContent)))[1], hotkey(2), "search by hotkey");
await reader.click("#miner-q", { clickCount: 3 });
await reader.keyboard.press("Backspace");
await reader.waitForFunction((n) => document.querySelector("#miner-count").dataset.shown === String(n), {}, N);
await reader.$$eval("th button.sort", (bs) => bs.find((b) => b.textContent === "Score").click());
await reader.$$eval("th button.sort", (bs) => bs.find((b) => b.textContent === "Score").click());
const best = scores.items.reduce((a, s) => (s.score > a.score ? s : a));
eq((await reader.$$eval(".vt tbody tr:not(.spacer) td", (tds) => tds.map((t) => t.textContent)))[0], best.uid, "score sort, highest first");
check(reader.url().includes("sort=Score") && reader.url().includes("desc=1"), "the sort is in the URL: " + reader.url());

// one miner
await view(reader, `#/miners/${uid}`, "[data-k=rate]");
eq(await text(reader, "[data-k=rate]"), (100 * cs.challenge_successes / cs.challenge_attempts).toFixed(1) + "%", "miner page success rate");
eq(await text(reader, "[data-k=attempts]"), cs.challenge_attempts, "miner page attempts");
await reader.waitForFunction(() => window.Chart?.getChart(document.querySelector(".chart canvas")), { timeout: 5000 })
  .catch(() => bad("no challenge history chart (Chart.js) on the miner page"));
await view(reader, "#/miners/4", "[data-k=allocation]");
check((await text(reader, "[data-k=allocation]")).startsWith("allocated"), "miner 4 is allocated");
eq(await text(reader, "[data-k=gpus]"), "5 \u00d7 NVIDIA H200", "miner 4's GPUs");
await reader.waitForFunction(() => window.Chart?.getChart(document.querySelector(".chart canvas")), { timeout: 5000 });
await snap(reader, "miner");
await axe(reader, "miner");

// PoG
await view(reader, "#/pog", "table");
eq(await reader.$$eval("table", (ts) => ts.find((t) => t.caption.textContent === "GPU table").tBodies[0].rows.length),
  gpus.gpus.length, "GPU table rows");
eq(await reader.$$eval("table", (ts) => ts.find((t) => t.caption.textContent === "Scores").tBodies[0].rows.length),
  scores.items.length, "score rows");
await snap(reader, "pog");
await axe(reader, "pog");

// allocations: the password never reaches a reader's page
await view(reader, "#/allocations", "table");
check(!(await reader.content()).includes(PASSWORD), "a reader's page shows no secret");
check((await text(reader, "table tbody td:last-child")) === "withheld", "secrets read as withheld for a reader");
await snap(reader, "allocations-reader");
await axe(reader, "allocations");

// blacklist and admin: no write control; a 403 is explained
for (const [hash, ready] of [["#/overview", "[data-k=health]"], ["#/miners", ".vt"], ["#/pog", "table"],
  ["#/allocations", "table"], ["#/blacklist", "table"]]) {
  await view(reader, hash, ready);
  eq(JSON.stringify(await writeControls(reader)), "[]", `write controls a reader sees on ${hash}`);
}
await snap(reader, "blacklist-reader");
check(await reader.$eval("#nav-admin", (a) => a.hidden), "no admin link for a reader");
const before = reader.problems.length;
await view(reader, "#/admin", ".error");
check((await text(reader, ".error")).includes("Not allowed (403)"), "the admin view's 403 says so: " + await text(reader, ".error"));
// the browser logs the refused request itself: that one line is expected
eq(JSON.stringify(reader.problems.splice(before)),
  JSON.stringify(["console: Failed to load resource: the server responded with a status of 403 (Forbidden)"]),
  "what the refused admin view logged");
await snap(reader, "admin-403");

// overview: the numbers /metrics has (row counts refresh every 30 s)
for (let i = 0; i < 40; i++) {
  const m = await (await fetch(env.URL + "/metrics")).text();
  if (m.includes(`computedb_db_rows{table="miner"} ${N}\n`)) break;
  await new Promise((r) => setTimeout(r, 1000));
}
await view(reader, "#/miners", ".vt");
await view(reader, "#/overview", "[data-k=rows-miner]");
eq(await text(reader, "[data-k=rows-miner]"), N.toLocaleString("en-US"), "overview: miner rows");
eq(await text(reader, "[data-k=rows-challenge_details]"), String(challenges.length), "overview: challenge rows");
eq(await text(reader, "[data-k=health]"), "ok", "overview: health");
eq(await text(reader, "[data-k=version]"), (await (await fetch(env.URL + "/version")).json()).version + " (" +
  (await (await fetch(env.URL + "/version")).json()).git_commit + ")", "overview: version");
eq(await text(reader, "[data-k=pog-backend]"), "cpu", "overview: PoG backend");
// the database file's size, as /metrics has it now (the page reloads every 5 s)
{
  const m = await (await fetch(env.URL + "/metrics")).text();
  const size = Number((/^computedb_db_bytes (\d+)$/m.exec(m) ?? [])[1]);
  check(size > 0, "no computedb_db_bytes in /metrics");
  const shown = await text(reader, "[data-k=db-bytes]");
  const [v, unit] = shown.split(" ");
  const scale = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[unit];
  check(scale && Math.abs(Number(v) * scale - size) <= 0.1 * size,
    `overview: database file ${shown}, /metrics says ${size} bytes`);
}
await snap(reader, "overview");
await axe(reader, "overview");

// a reload signs out
await reader.reload({ waitUntil: "load" });
await reader.waitForSelector("body[data-ready]");
check(await reader.$eval("#nav", (n) => n.hidden) && !(await reader.$eval("#signin", (n) => n.hidden)), "a reload signs out");
await snap(reader, "signin");
await axe(reader, "sign-in");
problems(reader, "reader");

// ---- a writer: blacklist and a PoG job ----
const writer = await signedIn(env.URL, env.WRITER_KEY);
await view(writer, "#/blacklist", "#bl-add");
await writer.type("#bl-hotkey", hotkey(17));
await writer.click("#bl-add");
await writer.waitForFunction((hk) => document.querySelector("#view").textContent.includes(hk), { timeout: 10000 }, hotkey(17));
check((await call("GET", "/blacklist")).items.includes(hotkey(17)), "the writer's blacklist entry is stored");
await snap(writer, "blacklist-writer");
await view(writer, "#/pog", "#job-submit");
await writer.select("#job-kind", "selftest");
await writer.click("#job-submit");
await writer.waitForFunction(() => ["done", "failed", "timed_out"].includes(document.querySelector("[data-k=job-state]")?.dataset.state),
  { timeout: 60000 });
eq(await writer.$eval("[data-k=job-state]", (e) => e.dataset.state), "done", "the selftest job, watched to its end");
// a benchmark runs for seconds on the CPU backend: cancelled while it runs
await writer.select("#job-kind", "benchmark");
await writer.click("#job-submit");
await writer.waitForSelector("#job-status button", { timeout: 10000 });
await writer.click("#job-status button");
await writer.waitForFunction(() => document.querySelector("[data-k=job-state]")?.dataset.state === "cancelled",
  { timeout: 60000 }).catch(() => bad("the benchmark job did not end cancelled"));
await snap(writer, "pog-writer");
await axe(writer, "pog (writer)");
problems(writer, "writer");

// ---- an admin: secrets shown as the server sent them; principals ----
const adm = await signedIn(env.URL, env.ADMIN_KEY);
await view(adm, "#/allocations", "details");
await adm.click("details summary");
check((await adm.content()).includes(PASSWORD), "an admin sees the allocation's password");
await snap(adm, "allocations-admin");
await view(adm, "#/admin", "#p-ss58");
eq(await adm.$$eval("table", (ts) => ts.find((t) => t.caption.textContent.startsWith("Principals")).tBodies[0].rows.length),
  (await call("GET", "/admin/principals")).items.length, "principal rows");
await snap(adm, "admin");
await axe(adm, "admin");
problems(adm, "admin");

// ---- sr25519 through a fake polkadot{.js} extension ----
const pair = pd.sr25519PairFromSeed(new Uint8Array(32).fill(Number(env.SR_SEED)));
const srAddress = pd.encodeAddress(pair.publicKey, 42);
await call("PUT", `/admin/principals/${srAddress}`, { role: "reader", scheme: "sr25519" });
const ext = await newPage(env.URL);
await ext.exposeFunction("__testSignRaw", (data) => pu.u8aToHex(pd.sr25519Sign(pu.u8aWrapBytes(pu.hexToU8a(data)), pair)));
await ext.evaluateOnNewDocument((address) => {
  globalThis.injectedWeb3 = { "polkadot-js": { version: "test", enable: async () => ({
    accounts: { get: async () => [{ address, name: "hotkey", type: "sr25519" }] },
    signer: { signRaw: async ({ data }) => ({ id: 1, signature: await globalThis.__testSignRaw(data) }) } }) } };
}, srAddress);
await ext.goto(env.URL + "/#/miners", { waitUntil: "load" }); // the page at / too
eq(await ext.evaluate(() => location.pathname + location.hash), "/ui/#/miners", "the page's address, opened at /");
await ext.click("#ext-btn");
await ext.waitForSelector("#ext-use:not([hidden])");
await ext.click("#ext-use");
await ext.waitForSelector("#nav:not([hidden])", { timeout: 15000 });
eq(await text(ext, "#who"), srAddress + " \u00b7 reader", "signed in with the extension's sr25519 account");
await view(ext, "#/miners", "#miner-count[data-shown]");
eq(await ext.$eval("#miner-count", (e) => e.dataset.shown), N, "miners read with sr25519 signatures");
problems(ext, "extension");

// ---- HTTPS from a non-local name: a secure context; plain HTTP: the notice ----
const tls = await signedIn(env.TLS_URL, env.READER_KEY);
check(await tls.evaluate(() => window.isSecureContext), "https://computedb.test is a secure context");
await view(tls, "#/blacklist", "table");
eq(await tls.$$eval("table tbody tr", (rs) => rs.length), 1, "a signed read over HTTPS");
await snap(tls, "https");
problems(tls, "HTTPS");
// that server has --public-read: reading without a key
const anon = await newPage(env.TLS_URL);
await anon.goto(env.TLS_URL + "/ui/", { waitUntil: "load" });
await anon.click("#anon-btn");
await anon.waitForSelector("#nav:not([hidden])", { timeout: 15000 });
eq(await text(anon, "#who"), "no key (public read) \u00b7 reader", "reading without a key (--public-read)");
await view(anon, "#/blacklist", "table");
eq(await anon.$$eval("table tbody tr", (rs) => rs.length), 1, "an unsigned read");
problems(anon, "public-read");
const plain = await newPage(env.PLAIN_NAMED_URL);
await plain.goto(env.PLAIN_NAMED_URL + "/ui/", { waitUntil: "load" });
await plain.waitForSelector("body[data-ready]");
check(!(await plain.evaluate(() => window.isSecureContext)), "http://computedb.test is not a secure context");
check(await plain.$eval("#insecure", (e) => !e.hidden && e.textContent.includes("--tls-cert") && e.textContent.includes("SSH")),
  "the plain-HTTP notice says what to do");
check(await plain.$eval("#keyfile", (e) => e.disabled), "no key file sign-in without WebCrypto");
await snap(plain, "plain-http");
await axe(plain, "plain-HTTP notice");
problems(plain, "plain-HTTP");

await browser.close();
console.log(`ui.mjs: screenshots in ${env.ARTIFACTS}`);
process.exit(failures ? 1 : 0);
