// SPDX-License-Identifier: MIT
// The dashboard's two figures (issue 17): its page weight, every file the
// page loads as sent gzip-compressed (target: under 300 KB), and the time
// from asking for the miners view to its first rendered table on a server
// with the bench database (target: under 300 ms). Headless chromium
// (puppeteer-core from scripts/tools.sh) signs in with KEYFILE through the
// page's own file input, then opens #/miners RUNS + 1 times from the
// overview: the first run reads the tables cold (the server's response
// cache empty), the others warm.
//   COMPUTEDB_TOOLS_DIR=build/tools node bench/ui_bench.mjs URL KEYFILE [RUNS]
// CHROMIUM names the browser (default: chromium on PATH). Prints one JSON
// object on stdout; exit status 1 when the page fails, 2 on usage.
import { existsSync } from "node:fs";
import { request } from "node:http";
import { pathToFileURL } from "node:url";

const [url, keyFile, runsArg] = process.argv.slice(2);
if (!url || !keyFile || !url.startsWith("http://")) {
  console.error("usage: node bench/ui_bench.mjs http://HOST:PORT KEYFILE [RUNS]");
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
const tools = (process.env.COMPUTEDB_TOOLS_DIR ?? "build/tools") + "/node_modules/";
const puppeteer = (await import(pathToFileURL(tools + "puppeteer-core/lib/esm/puppeteer/puppeteer-core.js").href)).default;

// The bytes of path as sent to a client that takes gzip.
function wireBytes(path) {
  return new Promise((resolve, reject) => {
    request(url + path, { headers: { "Accept-Encoding": "gzip" } }, (res) => {
      let n = 0;
      res.on("data", (c) => { n += c.length; });
      res.on("end", () => resolve({ bytes: n, gzip: res.headers["content-encoding"] === "gzip" }));
    }).on("error", reject).end();
  });
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? process.env.PATH.split(":").map((d) => d + "/chromium").find(existsSync),
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 900 });
const files = new Set();
page.on("request", (r) => {
  const u = new URL(r.url());
  if (u.pathname.startsWith("/ui/")) files.add(u.pathname);
});
await page.goto(url + "/ui/", { waitUntil: "load" });
await page.waitForSelector("body[data-ready]");
await (await page.$("#keyfile")).uploadFile(keyFile);
await page.waitForSelector("#nav:not([hidden])", { timeout: 30000 });

// One opening of #/miners from the overview, in ms, until the table has
// its first rows in the page.
async function minersTable() {
  await page.evaluate(() => { location.hash = "#/overview"; });
  await page.waitForSelector("[data-k=health]");
  return page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    location.hash = "#/miners";
    const done = () => document.querySelector("#miner-count[data-shown]") &&
      document.querySelector(".vt tbody tr:not(.spacer)");
    const poll = () => (done() ? resolve(performance.now() - t0) : requestAnimationFrame(poll));
    poll();
  }));
}
const times = [];
for (let i = 0; i <= runs; i++) times.push(await minersTable());
const miners = await page.$eval("#miner-count", (e) => Number(e.dataset.shown));
await browser.close();

const sizes = {};
for (const f of [...files].sort()) sizes[f] = await wireBytes(f);
const total = Object.values(sizes).reduce((a, s) => a + s.bytes, 0);
const warm = times.slice(1).sort((a, b) => a - b);
console.log(JSON.stringify({
  page_weight_bytes: total, page_weight_target_bytes: 300 * 1000, files: sizes,
  miners, miners_table_ms: { cold: +times[0].toFixed(1), warm_median: +warm[warm.length >> 1].toFixed(1),
    warm: warm.map((t) => +t.toFixed(1)), target: 300 },
}, null, 2));
