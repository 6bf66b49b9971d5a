// SPDX-License-Identifier: MIT
// Writes the TypeScript file that types.sh hands to tsc: each captured
// response assigned, as a literal, to the type openapi-typescript generated
// for its route, status and media type (so tsc also refuses members the
// contract does not name), plus canaries that must not type-check.
// Exits 1, writing nothing, when a GET route of openapi.json has no sample,
// a sample names a route openapi.json lacks, or a sample is not a success.
// Usage: node types.mjs OPENAPI_JSON MANIFEST_TSV OUT_TS
import { readFileSync, writeFileSync } from "node:fs";

const [specFile, manifestFile, outFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, "utf8"));
const rows = readFileSync(manifestFile, "utf8").split("\n").filter(Boolean)
  .map((line) => line.split("\t"));
const problems = [];
const covered = new Set();

const baseType = (media) => media.split(";")[0].trim().toLowerCase();

// The media type key the generated type uses for what the server sent: the
// documented one of the same type, else the header itself (tsc then says it
// is not documented).
function mediaKey(route, status, header) {
  const documented = Object.keys(
    spec.paths[route].get.responses[status]?.content ?? {});
  return documented.find((m) => baseType(m) === baseType(header)) ?? header;
}

// The body as a TypeScript expression: JSON as sent (JSON is a subset of
// the language), anything else as a string.
function literal(file, header, label) {
  const bytes = readFileSync(file);
  if (baseType(header) !== "application/json")
    return JSON.stringify(bytes.toString(header.startsWith("text/") ? "utf8" : "latin1"));
  try {
    JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    problems.push(`${label}: the body is not JSON (${e.message})`);
  }
  return bytes.toString("utf8");
}

function sample([route, target, status, header, file], i) {
  const label = `GET ${target} -> ${status}`;
  if (!spec.paths[route]?.get) {
    problems.push(`${label}: openapi.json has no GET ${route}`);
    return "";
  }
  covered.add(route);
  if (!/^2\d\d$/.test(status))
    problems.push(`${label}: a sample must be a success (seeding failed?)`);
  const type = `paths[${JSON.stringify(route)}]["get"]["responses"][${status}]` +
    `["content"][${JSON.stringify(mediaKey(route, status, header))}]`;
  return `// ${label} (${header})\nexport const sample${i}: ${type} =\n` +
    `${literal(file, header, label)};\n`;
}

// A generated type that accepted anything would pass every sample: these
// must fail (tsc reports an unused @ts-expect-error when one passes).
const canaries = `
type Allocations = paths["/allocations"]["get"]["responses"][200]["content"]["application/json"];
// @ts-expect-error details is an object, an array or null
export const canary1: Allocations = { items: [{ id: 1, hotkey: "x", details: 5 }], next: null };
// @ts-expect-error a member the contract does not name
export const canary2: Allocations = { items: [{ id: 1, hotkey: "x", details: null, extra: 1 }], next: null };
`;

const body = rows.map(sample).join("\n");
for (const [route, item] of Object.entries(spec.paths))
  if (item.get && !covered.has(route))
    problems.push(`GET ${route} has no sample: add one to tests/contract/types.sh`);
if (problems.length) {
  console.log(problems.join("\n"));
  process.exit(1);
}
writeFileSync(outFile, `import type { paths } from "./api";\n\n${body}${canaries}`);
console.log(`types: ${rows.length} samples cover the ${covered.size} GET routes of openapi.json`);
