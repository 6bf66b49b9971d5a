// SPDX-License-Identifier: MIT
// The views, one per route: each is async (ctx) -> Node, reading the API
// with ctx.api (signed) and offering write controls only where ctx says
// the role may write. Values the browser test compares carry data-k.
import { Api } from "./api.js";
import { bytes, errorBox, facts, h, num, pct, table, when } from "./dom.js";
import { VirtualTable } from "./vtable.js";

const open = new Api(null); // the open routes: never signed
const FINAL = new Set(["done", "failed", "cancelled", "timed_out"]);
const SECRETS = ["password", "ssh_key", "regkey"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- overview --------------------------------------------------------------

// Prometheus text -> [{name, labels, value}].
function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^([A-Za-z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const total = (ms, name, pred = () => true) =>
  ms.filter((x) => x.name === name && pred(x.labels)).reduce((a, x) => a + x.value, 0);

function requestCounts(ms) {
  const status = (lo, hi) => (l) => Number(l.status) >= lo && Number(l.status) <= hi;
  return {
    t: performance.now() / 1000,
    all: total(ms, "computedb_http_requests_total"),
    e4: total(ms, "computedb_http_requests_total", status(400, 499)),
    e5: total(ms, "computedb_http_requests_total", status(500, 599)),
  };
}

function rates(now, prev, uptime) {
  const dt = prev ? now.t - prev.t : uptime;
  const base = prev ?? { all: 0, e4: 0, e5: 0 };
  const per = (k) => (dt > 0 ? (now[k] - base[k]) / dt : null);
  return { window: prev ? `last ${Math.round(dt)} s` : "since start", all: per("all"), e4: per("e4"), e5: per("e5") };
}

async function readiness() {
  try { return await open.get("/readyz"); } catch (e) { return { status: "not ready: " + e.message, pog: null }; }
}

async function overview(ctx) {
  const body = h("div", { class: "cards" });
  let prev = null;
  const load = async () => {
    const [health, ready, version, text] = await Promise.all([
      open.get("/healthz"), readiness(), open.get("/version"), open.get("/metrics")]);
    const ms = parseMetrics(text);
    const now = requestCounts(ms);
    const r = rates(now, prev, total(ms, "computedb_process_uptime_seconds"));
    prev = now;
    const rows = ms.filter((x) => x.name === "computedb_db_rows");
    const jobs = {};
    for (const x of ms.filter((y) => y.name === "computedb_pog_jobs_total"))
      jobs[x.labels.state] = (jobs[x.labels.state] ?? 0) + x.value;
    const pog = ready.pog ?? {};
    body.replaceChildren(
      h("section", { class: "card", "aria-labelledby": "ov-h" }, h("h2", { id: "ov-h" }, "Service"), facts([
        ["Health", health.status, "health"], ["Ready", ready.status, "ready"],
        ["Version", `${version.version} (${version.git_commit})`, "version"],
        ["SQLite", version.sqlite], ["Schema", version.schema_version],
        ["Uptime", num(total(ms, "computedb_process_uptime_seconds")) + " s"]])),
      h("section", { class: "card", "aria-labelledby": "ov-r" }, h("h2", { id: "ov-r" }, "Requests (" + r.window + ")"), facts([
        ["Requests/s", num(r.all, 2), "req-rate"], ["4xx/s", num(r.e4, 2), "err4-rate"],
        ["5xx/s", num(r.e5, 2), "err5-rate"], ["Requests in total", num(now.all), "req-total"],
        ["In flight", num(total(ms, "computedb_http_requests_in_flight"))]])),
      h("section", { class: "card", "aria-labelledby": "ov-d" }, h("h2", { id: "ov-d" }, "Database"), facts([
        ...(ms.some((x) => x.name === "computedb_db_bytes")
          ? [["Database file", bytes(total(ms, "computedb_db_bytes")), "db-bytes"]] : []),
        ["WAL", bytes(total(ms, "computedb_db_wal_bytes")), "wal"],
        ["Disk free", bytes(total(ms, "computedb_db_disk_free_bytes")), "disk-free"],
        ...rows.map((x) => [`${x.labels.table} rows`, num(x.value), "rows-" + x.labels.table])]),
        h("p", { class: "note" }, "Row counts are refreshed by the server every 30 s.")),
      h("section", { class: "card", "aria-labelledby": "ov-p" }, h("h2", { id: "ov-p" }, "PoG workers"), facts([
        ["Backend", pog.backend ?? version.pog_backend, "pog-backend"],
        ["Devices", `${num(pog.ready)} ready of ${num(pog.devices)}`, "pog-devices"],
        ["CUDA built in", version.cuda ? "yes" : "no"],
        ...Object.entries(jobs).map(([s, n]) => [`Jobs ${s}`, num(n), "jobs-" + s])])));
  };
  await load();
  const timer = setInterval(() => load().catch((e) => body.replaceChildren(errorBox(e))), 5000);
  ctx.onLeave(() => clearInterval(timer));
  return h("section", {}, h("h1", {}, "Overview"), body);
}

// ---- miners ----------------------------------------------------------------

// One row per miner: the joined answers of four routes.
function minerRows(miners, cstats, details, scores) {
  const score = new Map(scores.items.map((s) => [s.hotkey, s]));
  return Object.entries(miners).map(([uid, hotkey]) => {
    const c = cstats[uid] ?? {};
    const d = details[hotkey] ?? {};
    const gpus = d.gpu?.details ?? [];
    return {
      uid: Number(uid), hotkey,
      attempts: c.challenge_attempts ?? null,
      rate: c.challenge_attempts ? c.challenge_successes / c.challenge_attempts : null,
      difficulty: c.challenge_difficulty_avg ?? null,
      failed: c.challenge_failed ?? null,
      docker: d.has_docker === true,
      gpu: gpus[0]?.name ?? null,
      gpus: d.gpu?.count ?? (gpus.length || null),
      score: score.get(hotkey)?.score ?? null,
    };
  });
}

const MINER_COLUMNS = [
  { label: "UID", key: (r) => r.uid, cell: (r) => h("a", { href: `#/miners/${r.uid}` }, r.uid) },
  { label: "Hotkey", key: (r) => r.hotkey, cell: (r) => h("span", { class: "mono", title: r.hotkey }, r.hotkey) },
  { label: "Success", key: (r) => r.rate, cell: (r) => pct(r.rate) },
  { label: "Difficulty", key: (r) => r.difficulty, cell: (r) => num(r.difficulty, 2) },
  { label: "Failures", key: (r) => r.failed, cell: (r) => num(r.failed) },
  { label: "Docker", key: (r) => (r.docker ? 1 : 0), cell: (r) => (r.docker ? "yes" : "no") },
  { label: "GPU", key: (r) => r.gpu, cell: (r) => r.gpu ?? "\u2013" },
  { label: "GPUs", key: (r) => r.gpus, cell: (r) => num(r.gpus) },
  { label: "Score", key: (r) => r.score, cell: (r) => num(r.score, 4) },
];

function minerFilter(q, docker, gpus) {
  const s = q.trim();
  return (r) => (!docker || r.docker) && (!gpus || r.gpus > 0) &&
    (!s || (/^\d+$/.test(s) ? r.uid === Number(s) : r.hotkey.toLowerCase().includes(s.toLowerCase())));
}

async function miners(ctx) {
  const [m, cs, det, sc] = await Promise.all([ctx.api.get("/miners"), ctx.api.get("/challenges/stats"),
    ctx.api.get("/miners/details"), ctx.api.get("/scores")]);
  const q = ctx.route.query;
  const sortBy = Math.max(0, MINER_COLUMNS.findIndex((c) => c.label === q.get("sort")));
  const vt = new VirtualTable({ caption: "Miners", columns: MINER_COLUMNS,
    sort: { by: sortBy, desc: q.get("desc") === "1" }, onSort: () => remember() });
  const search = h("input", { type: "search", id: "miner-q", value: q.get("q") ?? "", placeholder: "hotkey or uid" });
  const docker = h("input", { type: "checkbox", id: "miner-docker", checked: q.get("docker") === "1" });
  const gpus = h("input", { type: "checkbox", id: "miner-gpus", checked: q.get("gpus") === "1" });
  const count = h("p", { id: "miner-count", "aria-live": "polite" });
  // The filter and sort live in the URL, so a view can be shared.
  function remember() {
    const p = new URLSearchParams();
    if (search.value) p.set("q", search.value);
    if (docker.checked) p.set("docker", "1");
    if (gpus.checked) p.set("gpus", "1");
    p.set("sort", MINER_COLUMNS[vt.sort.by].label);
    if (vt.sort.desc) p.set("desc", "1");
    history.replaceState(null, "", "#/miners?" + p);
  }
  const apply = () => {
    vt.setFilter(minerFilter(search.value, docker.checked, gpus.checked));
    count.textContent = `${num(vt.rows.length)} of ${num(vt.all.length)} miners`;
    count.dataset.shown = vt.rows.length;
    remember();
  };
  for (const el of [search, docker, gpus]) el.addEventListener("input", apply);
  vt.all = minerRows(m, cs, det, sc);
  const root = h("section", {}, h("h1", {}, "Miners"),
    h("div", { class: "controls" },
      h("label", { for: "miner-q" }, "Search "), search,
      h("label", {}, docker, " has Docker"), h("label", {}, gpus, " has GPUs")),
    count, vt.element);
  setTimeout(apply); // once in the page, so the visible rows are known
  return root;
}

// ---- one miner -----------------------------------------------------------

const CHALLENGE_PAGES = 20;

// The miner's challenge rows, oldest first (up to 20 pages of 1000).
async function challengeHistory(api, uid) {
  let rows = [], cursor = null;
  for (let i = 0; i < CHALLENGE_PAGES; i++) {
    const page = await api.get(`/challenges?uid=${uid}&limit=1000` + (cursor ? `&cursor=${cursor}` : ""));
    rows = rows.concat(page.items);
    cursor = page.next;
    if (!cursor) break;
  }
  return rows;
}

function historyChart(rows) {
  if (!window.Chart || !rows.length)
    return h("p", { class: "note" }, rows.length ? "Charts are off: this build has no Chart.js (libjs-chart.js)." : "No challenges yet.");
  const canvas = h("canvas", { role: "img", "aria-label": "Challenge difficulty over time, successes and failures" });
  const point = (r) => ({ x: Date.parse(r.created_at), y: r.difficulty });
  setTimeout(() => new window.Chart(canvas, {
    type: "scatter",
    data: { datasets: [
      { label: "success", data: rows.filter((r) => r.success).map(point), backgroundColor: "#2a7d2a" },
      { label: "failure", data: rows.filter((r) => !r.success).map(point), backgroundColor: "#b3261e" }] },
    options: { animation: false, maintainAspectRatio: false, scales: {
      x: { type: "linear", ticks: { callback: (v) => new Date(v).toISOString().slice(0, 16).replace("T", " ") } },
      y: { title: { display: true, text: "difficulty" } } } },
  }));
  return h("div", { class: "chart" }, canvas);
}

async function miner(ctx) {
  const uid = Number(ctx.route.arg);
  const all = await ctx.api.get("/miners");
  const hotkey = all[uid];
  if (!hotkey) return h("p", { class: "error", role: "alert" }, `No miner has uid ${ctx.route.arg}.`);
  // Whole lists rather than one-hotkey routes: a miner without specs or an
  // allocation is then no 404 (which browsers log as an error).
  const [stats, hist, details, pog, allocs, scores] = await Promise.all([
    ctx.api.get("/challenges/stats"), challengeHistory(ctx.api, uid), ctx.api.get("/miners/details"),
    ctx.api.get("/pog/stats"), ctx.api.get("/allocations"), ctx.api.get("/scores")]);
  const c = stats[uid] ?? {};
  const spec = details[hotkey];
  const alloc = allocs.items.find((a) => a.hotkey === hotkey);
  const score = scores.items.find((s) => s.hotkey === hotkey);
  const recent = hist.slice(-50).reverse();
  return h("section", {}, h("h1", {}, `Miner ${uid}`),
    facts([["Hotkey", h("span", { class: "mono" }, hotkey), "hotkey"],
      ["Success (60 newest)", pct(c.challenge_attempts ? c.challenge_successes / c.challenge_attempts : null), "rate"],
      ["Attempts", num(c.challenge_attempts), "attempts"], ["Failures", num(c.challenge_failed), "failed"],
      ["Difficulty (mean of successes)", num(c.challenge_difficulty_avg, 2), "difficulty"],
      ["GPUs", spec?.gpu ? `${num(spec.gpu.count)} \u00d7 ${spec.gpu.details?.[0]?.name ?? "?"}` : "no specs", "gpus"],
      ["Docker", spec?.has_docker === true ? "yes" : "no"],
      ["Score", num(score?.score, 4), "score"],
      ["Allocation", alloc ? `allocated (id ${alloc.id})` : "not allocated", "allocation"]]),
    h("h2", {}, `Challenge history (${num(hist.length)})`), historyChart(hist),
    table("Newest challenges", [
      { label: "When", get: (r) => r.created_at }, { label: "Result", get: (r) => (r.success ? "success" : "failure") },
      { label: "Difficulty", get: (r) => num(r.difficulty) }, { label: "Elapsed s", get: (r) => num(r.elapsed_time, 2) }], recent),
    table("PoG results (newest first)", [
      { label: "When", get: (r) => r.created_at }, { label: "GPU", get: (r) => r.gpu_name ?? "failed" },
      { label: "Count", get: (r) => num(r.num_gpus) }], pog.items.filter((r) => r.hotkey === hotkey)));
}

// ---- PoG -------------------------------------------------------------------

function jobText(j) {
  const t = j.finished_at ? `, ${((j.finished_at - (j.started_at ?? j.submitted_at)) / 1000).toFixed(2)} s` : "";
  return `job ${j.id} (${j.kind}) ${j.state}${t}` + (j.error ? `: ${j.error.message}` : "");
}

// Polls job id into status until it is final; a running job can be cancelled.
async function watchJob(ctx, id, status, onChange) {
  const here = ctx.current();
  for (;;) {
    const job = await ctx.api.get(`/pog/jobs/${id}`);
    const cancel = h("button", { type: "button", onclick: async () => {
      try { await ctx.api.send("DELETE", `/pog/jobs/${id}`); } catch (e) { status.append(errorBox(e)); }
    } }, `Cancel job ${id}`);
    status.replaceChildren(h("span", { "data-k": "job-state", "data-state": job.state }, jobText(job)),
      FINAL.has(job.state) ? "" : cancel);
    if (FINAL.has(job.state)) { onChange(); return; }
    await sleep(500);
    if (ctx.current() !== here) return;
  }
}

function jobForm(ctx, onChange) {
  const kind = h("select", { id: "job-kind" }, ["selftest", "benchmark", "info"].map((k) => h("option", { value: k }, k)));
  const device = h("input", { id: "job-device", type: "number", min: "-1", max: "63", value: "-1" });
  const status = h("p", { id: "job-status", "aria-live": "polite" });
  const submit = async (ev) => {
    ev.preventDefault();
    try {
      const job = await ctx.api.send("POST", "/pog/jobs", { kind: kind.value, device: Number(device.value) });
      onChange();
      await watchJob(ctx, job.id, status, onChange);
    } catch (e) { status.replaceChildren(errorBox(e)); }
  };
  return h("form", { class: "controls", onsubmit: submit, "aria-label": "Submit a PoG job" },
    h("label", { for: "job-kind" }, "Kind "), kind, h("label", { for: "job-device" }, " Device (-1: least busy) "), device,
    h("button", { type: "submit", id: "job-submit" }, "Submit job"), status);
}

async function pog(ctx) {
  const [gpus, scores] = await Promise.all([ctx.api.get("/pog/gpus"), ctx.api.get("/scores")]);
  const jobsBox = h("div");
  const cancel = (j) => (FINAL.has(j.state) ? "" : h("button", { type: "button", onclick: async () => {
    try { await ctx.api.send("DELETE", `/pog/jobs/${j.id}`); } catch (e) { jobsBox.prepend(errorBox(e)); }
    reload();
  } }, `Cancel job ${j.id}`));
  const loadJobs = async () => {
    const jobs = await ctx.api.get("/pog/jobs?limit=50");
    jobsBox.replaceChildren(table("Jobs (newest 50)", [
      { label: "ID", get: (j) => j.id }, { label: "Kind", get: (j) => j.kind }, { label: "State", get: (j) => j.state },
      { label: "Device", get: (j) => j.device ?? "\u2013" }, { label: "Submitted", get: (j) => when(j.submitted_at) },
      { label: "By", get: (j) => h("span", { class: "mono" }, j.principal ?? "\u2013") },
      ...(ctx.canWrite ? [{ label: "Action", get: cancel }] : [])], jobs.items));
  };
  const reload = () => loadJobs().catch((e) => jobsBox.replaceChildren(errorBox(e)));
  await loadJobs();
  return h("section", {}, h("h1", {}, "Proof of GPU"),
    ctx.canWrite ? jobForm(ctx, reload) : "",
    jobsBox,
    table("GPU table", [
      { label: "GPU", get: (g) => g.name }, { label: "fp16 TFLOPS", get: (g) => num(g.fp16, 1) },
      { label: "fp32 TFLOPS", get: (g) => num(g.fp32, 1) }, { label: "VRAM GiB", get: (g) => num(g.avram, 2) },
      { label: "Score", get: (g) => num(g.score, 2) }], gpus.gpus),
    table("Scores", [
      { label: "UID", get: (s) => h("a", { href: `#/miners/${s.uid}` }, s.uid) },
      { label: "Hotkey", get: (s) => h("span", { class: "mono" }, s.hotkey) }, { label: "GPU", get: (s) => s.gpu_name },
      { label: "GPUs", get: (s) => num(s.num_gpus) }, { label: "Score", get: (s) => num(s.score, 4) }], scores.items));
}

// ---- allocations -----------------------------------------------------------

// Secrets are shown only when the server sent them (it redacts by role).
function secretCell(d) {
  const present = SECRETS.filter((k) => typeof d[k] === "string");
  if (!present.length) return "withheld";
  return h("details", {}, h("summary", {}, "Show secrets"),
    facts(present.map((k) => [k, h("span", { class: "mono" }, d[k])])));
}

async function allocations(ctx) {
  const list = await ctx.api.get("/allocations");
  const col = (label, k) => ({ label, get: (a) => (a.details?.[k] ?? "\u2013") });
  return h("section", {}, h("h1", {}, "Allocations"),
    ctx.who.secrets ? "" : h("p", { class: "note" },
      "Secrets (password, SSH key, registration key) are withheld by the server for your role."),
    table(`Allocations (${list.items.length})`, [
      { label: "ID", get: (a) => a.id }, { label: "Hotkey", get: (a) => h("span", { class: "mono" }, a.hotkey) },
      col("Resource", "resource"), col("IP", "ip"), col("Port", "port"), col("User", "username"), col("UUID", "uuid"),
      { label: "Secrets", get: (a) => secretCell(a.details ?? {}) }], list.items));
}

// ---- blacklist -------------------------------------------------------------

async function blacklist(ctx) {
  const list = await ctx.api.get("/blacklist");
  const msg = h("p", { "aria-live": "polite" });
  const refresh = () => { ctx.refresh(); };
  const remove = (hk) => h("button", { type: "button", onclick: async () => {
    try { await ctx.api.send("DELETE", `/blacklist/${hk}`); refresh(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, "Remove");
  const input = h("input", { id: "bl-hotkey", size: "50", required: true });
  const form = h("form", { class: "controls", "aria-label": "Add to the blacklist", onsubmit: async (ev) => {
    ev.preventDefault();
    try { await ctx.api.send("POST", "/blacklist", { hotkeys: [input.value.trim()] }); refresh(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, h("label", { for: "bl-hotkey" }, "Hotkey "), input, h("button", { type: "submit", id: "bl-add" }, "Add"));
  return h("section", {}, h("h1", {}, "Blacklist"), ctx.canWrite ? form : "", msg,
    table(`Blacklisted hotkeys (${list.items.length})`, [
      { label: "Hotkey", get: (hk) => h("span", { class: "mono" }, hk) },
      ...(ctx.canWrite ? [{ label: "Action", get: (hk) => remove(hk) }] : [])], list.items));
}

// ---- admin -----------------------------------------------------------------

function principalForm(ctx, msg) {
  const f = {
    ss58: h("input", { id: "p-ss58", size: "50", required: true }),
    role: h("select", { id: "p-role" }, ["reader", "writer", "admin"].map((r) => h("option", {}, r))),
    scheme: h("select", { id: "p-scheme" }, ["ed25519", "sr25519"].map((r) => h("option", {}, r))),
    label: h("input", { id: "p-label" }),
  };
  const submit = async (ev) => {
    ev.preventDefault();
    try {
      await ctx.api.send("PUT", `/admin/principals/${f.ss58.value.trim()}`,
        { role: f.role.value, scheme: f.scheme.value, label: f.label.value });
      ctx.refresh();
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  };
  return h("form", { class: "controls", onsubmit: submit, "aria-label": "Add or change a principal" },
    h("label", { for: "p-ss58" }, "SS58 "), f.ss58, h("label", { for: "p-role" }, " Role "), f.role,
    h("label", { for: "p-scheme" }, " Scheme "), f.scheme, h("label", { for: "p-label" }, " Label "), f.label,
    h("button", { type: "submit" }, "Save principal"));
}

function backups(ctx) {
  const status = h("p", { "aria-live": "polite" });
  const make = async () => {
    try {
      const b = await ctx.api.send("POST", "/admin/backup", {});
      status.textContent = `Backup ${b.name} made (${bytes(b.bytes)}).`;
    } catch (e) { status.replaceChildren(errorBox(e)); }
  };
  const download = async () => {
    try {
      const res = await ctx.api.fetch("GET", "/admin/backup");
      const name = /filename="?([^";]+)/.exec(res.headers.get("Content-Disposition") ?? "")?.[1] ?? "backup.db";
      const url = URL.createObjectURL(await res.blob());
      h("a", { href: url, download: name }).click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { status.replaceChildren(errorBox(e)); }
  };
  return h("section", { "aria-labelledby": "bk-h" }, h("h2", { id: "bk-h" }, "Backups"),
    h("button", { type: "button", onclick: make }, "Make a backup"), " ",
    h("button", { type: "button", onclick: download }, "Download the newest backup"), status);
}

async function admin(ctx) {
  const list = await ctx.api.get("/admin/principals");
  const msg = h("p", { "aria-live": "polite" });
  const del = (p) => h("button", { type: "button", onclick: async () => {
    try { await ctx.api.send("DELETE", `/admin/principals/${p.ss58}`); ctx.refresh(); } catch (e) { msg.replaceChildren(errorBox(e)); }
  } }, "Delete");
  return h("section", {}, h("h1", {}, "Admin"),
    h("h2", {}, "Principals"), principalForm(ctx, msg), msg,
    table(`Principals (${list.items.length})`, [
      { label: "SS58", get: (p) => h("span", { class: "mono" }, p.ss58) }, { label: "Scheme", get: (p) => p.scheme },
      { label: "Role", get: (p) => p.role }, { label: "Secrets", get: (p) => (p.secrets ? "yes" : "no") },
      { label: "Label", get: (p) => p.label ?? "" }, { label: "Created", get: (p) => p.created_at },
      { label: "Expires", get: (p) => p.expires_at ?? "never" },
      { label: "Action", get: (p) => (p.ss58 === ctx.who.ss58 ? "you" : del(p)) }], list.items),
    backups(ctx),
    h("p", {}, h("a", { href: "#/blacklist" }, "The blacklist"), " is a view of its own."));
}

export const views = { overview, miners, miner, pog, allocations, blacklist, admin };
