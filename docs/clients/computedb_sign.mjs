// SPDX-License-Identifier: MIT
// Signed requests to computedb from a browser dashboard or Node >= 20, with
// WebCrypto Ed25519 only (wire format bt-http-auth-v1).
//
//   const key = await importSeed(seedBytes, ss58);    // 32-byte ed25519 seed
//   const res = await signedFetch(key, "http://127.0.0.1:8080", "GET", "/miners");
//
// Cross-origin dashboards need the server started with --cors-origin.
// Prefer a reader key in a browser. As a script (for testing), with the
// address `computedb keygen` printed for KEYFILE:
//   COMPUTEDB_URL=http://127.0.0.1:8080 node computedb_sign.mjs KEYFILE SS58 METHOD TARGET [BODY]
// It prints a JSON answer indented and writes any other (a backup) as it
// came; exit status 0 on 2xx, 1 on an HTTP error, 2 on usage, 3 when the
// server cannot be reached.

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): a fixed 16-byte prefix.
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03,
                      0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) =>
  b.toString(16).padStart(2, "0")).join("");

// The PKCS#8 form of a 32-byte Ed25519 seed, as WebCrypto imports it.
export function pkcs8(seed) {
  return new Uint8Array([...PKCS8_PREFIX, ...seed]);
}

// BLAKE2b is not in WebCrypto, so the signer's SS58 address is passed in
// (print it with `computedb keygen`) rather than computed here.
export async function importSeed(seed, ss58) {
  const privateKey = await crypto.subtle.importKey(
    "pkcs8", pkcs8(seed), { name: "Ed25519" }, false, ["sign"]);
  return { privateKey, ss58 };
}

// The eight lines a request's signature covers (docs/protocol.md section
// 7.1), with a fresh timestamp and nonce: { text, timestamp, nonce }.
export async function authMessage(method, target, body, signer,
                                  audience = "computedb") {
  const bodyBytes = new TextEncoder().encode(body ?? "");
  const digest = hex(await crypto.subtle.digest("SHA-256", bodyBytes));
  const timestamp = String(Date.now());
  const nonce = hex(crypto.getRandomValues(new Uint8Array(16)));
  const text = ["bt-http-auth-v1", audience, method.toUpperCase(), target,
                digest, timestamp, nonce, signer].join("\n");
  return { text, timestamp, nonce };
}

export async function signHeaders(key, method, target, body = "",
                                  audience = "computedb") {
  const m = await authMessage(method, target, body, key.ss58, audience);
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey,
                                       new TextEncoder().encode(m.text));
  return { "BT-Signer": key.ss58, "BT-Timestamp": m.timestamp,
           "BT-Nonce": m.nonce, "BT-Signature": "0x" + hex(sig) };
}

// target is the path and query exactly as fetched (url.pathname + url.search).
export async function signedFetch(key, base, method, target, body,
                                  audience = "computedb") {
  const headers = await signHeaders(key, method, target, body ?? "", audience);
  if (body) headers["Content-Type"] = "application/json";
  return fetch(base.replace(/\/$/, "") + target,
               { method, headers, body: body || undefined });
}

// Script mode: the usage above.
async function main(argv) {
  if (argv.length < 4 || argv.length > 5) {
    console.error("usage: node computedb_sign.mjs KEYFILE SS58 METHOD TARGET [BODY]");
    return 2;
  }
  const { readFileSync } = await import("node:fs");
  const seedHex = readFileSync(argv[0], "ascii").trim();
  const seed = Uint8Array.from(seedHex.match(/../g), (h) => parseInt(h, 16));
  const key = await importSeed(seed, argv[1]);
  const base = process.env.COMPUTEDB_URL ?? "http://127.0.0.1:8080";
  let res;
  try {
    res = await signedFetch(key, base, argv[2], argv[3], argv[4],
                            process.env.COMPUTEDB_AUDIENCE ?? "computedb");
  } catch (e) { // fetch rejects only when no answer came
    console.error(`computedb_sign.mjs: cannot reach computedb at ${base}: ${e.cause ?? e}`);
    return 3;
  }
  const raw = new Uint8Array(await res.arrayBuffer());
  if (res.headers.get("Content-Type")?.startsWith("application/json"))
    console.log(JSON.stringify(JSON.parse(new TextDecoder().decode(raw)), null, 2));
  else
    process.stdout.write(raw);
  return res.ok ? 0 : 1;
}

if (typeof process !== "undefined" && import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
