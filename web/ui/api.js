// SPDX-License-Identifier: MIT
// The dashboard's side of the API: keys (a `computedb keygen` file, or an
// account of a polkadot{.js}-compatible extension), signed requests to the
// page's own origin, and the SS58 address of an ed25519 key. Keys live in
// this module's memory only: nothing here touches any browser storage.
import { authMessage, importSeed, pkcs8, signHeaders } from "./computedb_sign.mjs";

const enc = new TextEncoder();
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// ---- BLAKE2b-512 (RFC 7693), for SS58 checksums: WebCrypto lacks it ----
const M64 = (1n << 64n) - 1n;
const IV = [0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n, 0x510e527fade682d1n, 0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]];
const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M64;

function mix(v, a, b, c, d, x, y) {
  v[a] = (v[a] + v[b] + x) & M64; v[d] = rotr(v[d] ^ v[a], 32n);
  v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], 24n);
  v[a] = (v[a] + v[b] + y) & M64; v[d] = rotr(v[d] ^ v[a], 16n);
  v[c] = (v[c] + v[d]) & M64; v[b] = rotr(v[b] ^ v[c], 63n);
}

export function blake2b512(input) {
  const h = IV.slice();
  h[0] ^= 0x01010040n; // no key, 64-byte digest
  const blocks = Math.max(1, Math.ceil(input.length / 128));
  for (let b = 0; b < blocks; b++) {
    const chunk = new Uint8Array(128);
    chunk.set(input.subarray(b * 128, b * 128 + 128));
    const dv = new DataView(chunk.buffer);
    const m = Array.from({ length: 16 }, (_, i) => dv.getBigUint64(i * 8, true));
    const last = b === blocks - 1;
    const v = [...h, ...IV];
    v[12] ^= BigInt(last ? input.length : (b + 1) * 128);
    if (last) v[14] ^= M64;
    for (let r = 0; r < 12; r++) {
      const s = SIGMA[r % 10];
      mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]]); mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
      mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]]); mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
      mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]]); mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
      mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]]); mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (let i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
  }
  const out = new Uint8Array(64);
  const dv = new DataView(out.buffer);
  h.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  return out;
}

// ---- SS58 (network 42), docs/protocol.md section 1 ----
const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58(bytes) {
  let n = BigInt("0x" + (hex(bytes) || "0"));
  let s = "";
  while (n > 0n) { s = B58[Number(n % 58n)] + s; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; s = "1" + s; }
  return s;
}

export function ss58Encode(publicKey) {
  const payload = new Uint8Array([42, ...publicKey]);
  const sum = blake2b512(new Uint8Array([...enc.encode("SS58PRE"), ...payload]));
  return base58(new Uint8Array([...payload, sum[0], sum[1]]));
}

// ---- keys ----
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410), as computedb_sign.mjs
// does: here once more, extractable, only to read the public key from it.
async function publicKeyOf(seed) {
  const k = await crypto.subtle.importKey("pkcs8", pkcs8(seed),
    { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", k);
  const b64 = jwk.x.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

// A signer from the text of a key file. Throws an Error whose message says
// what to do when the file is not an ed25519 key file.
export async function signerFromKeyFile(text) {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) {
    const seed = Uint8Array.from(t.match(/../g), (b) => parseInt(b, 16));
    try {
      const ss58 = ss58Encode(await publicKeyOf(seed));
      const key = await importSeed(seed, ss58);
      return { ss58, scheme: "ed25519", sign: (m, target, body) => signHeaders(key, m, target, body) };
    } finally {
      seed.fill(0);
    }
  }
  if (t.startsWith("{") && t.includes("ss58Address"))
    throw new Error("This is an sr25519 hotkey file. Browsers cannot sign sr25519 themselves: " +
      "add the hotkey to a polkadot{.js}-compatible extension and sign in with the extension.");
  throw new Error("Not a computedb key file: `computedb keygen --out FILE` writes 64 hexadecimal digits.");
}

// The extensions the page can see (window.injectedWeb3), by name.
export function extensionNames() {
  return Object.keys(globalThis.injectedWeb3 ?? {});
}

// Enables extension name for this origin and lists its accounts.
export async function extensionAccounts(name) {
  const ext = await globalThis.injectedWeb3[name].enable("computedb dashboard");
  const accounts = await ext.accounts.get();
  return { ext, accounts };
}

// A signer for an extension account: signRaw signs the <Bytes>-wrapped
// message, which the server accepts for sr25519 principals.
export function extensionSigner(ext, account) {
  return {
    ss58: account.address,
    scheme: account.type ?? "sr25519",
    async sign(method, target, body) {
      const m = await authMessage(method, target, body, account.address);
      const { signature } = await ext.signer.signRaw({
        address: account.address, data: "0x" + hex(enc.encode(m.text)), type: "bytes" });
      return { "BT-Signer": account.address, "BT-Timestamp": m.timestamp,
        "BT-Nonce": m.nonce, "BT-Signature": signature };
    },
  };
}

// ---- requests ----
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Requests to this page's origin, signed by signer (null: unsigned, for
// servers started with --public-read and for the open routes).
export class Api {
  constructor(signer) { this.signer = signer; }

  // The answer to a request; throws ApiError for an HTTP error.
  async fetch(method, target, body) {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers = this.signer ? await this.signer.sign(method, target, text) : {};
    if (text) headers["Content-Type"] = "application/json";
    const res = await fetch(target, { method, headers, body: text || undefined, cache: "no-store" });
    if (res.ok) return res;
    const err = (await parse(res))?.error ?? {};
    throw new ApiError(res.status, err.code ?? "http_" + res.status, err.message ?? res.statusText);
  }

  // The parsed body of an answer (null for 204).
  async send(method, target, body) {
    const res = await this.fetch(method, target, body);
    return res.status === 204 ? null : parse(res);
  }

  async get(target) { return this.send("GET", target); }
}

async function parse(res) {
  const type = res.headers.get("Content-Type") ?? "";
  if (type.startsWith("application/json")) return res.json();
  return res.text();
}
