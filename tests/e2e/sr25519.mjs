// SPDX-License-Identifier: MIT
// sr25519 signatures made by two implementations independent of
// computedb's (schnorrkel as wasm in @polkadot/util-crypto, and
// @scure/sr25519), sent to a running server. Driven by sr25519.sh:
//   node sr25519.mjs keys        prints "name address" for each test key
//   node sr25519.mjs run URL     sends the requests, checks each answer
// Keys come from fixed seeds, so both runs agree. Exit status 1 on any
// wrong answer, with the case named.
import { createHash, generateKeyPairSync, sign as edSign, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const tools = process.env.COMPUTEDB_TOOLS_DIR + '/node_modules/';
const load = (m, file) => import(pathToFileURL(tools + m + '/' + file).href);
const scure = await load('@scure/sr25519', 'index.js');
const pd = await load('@polkadot/util-crypto', 'index.js');
await pd.cryptoWaitReady();

const seed = (n) => new Uint8Array(32).fill(n);
const address = (pk) => pd.encodeAddress(pk, 42);

// Each signer: its address and a function signing bytes.
function scureSigner(n) {
  const sk = scure.secretFromSeed(seed(n));
  const pk = scure.getPublicKey(sk);
  return { address: address(pk), sign: (m) => scure.sign(sk, m) };
}
function polkadotSigner(n) {
  const pair = pd.sr25519PairFromSeed(seed(n));
  return { address: address(pair.publicKey), sign: (m) => pd.sr25519Sign(m, pair) };
}
// An ed25519 key, for the cross-scheme cases.
function ed25519Signer() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { address: address(raw), sign: (m) => new Uint8Array(edSign(null, m, privateKey)) };
}

const signers = {
  scure: scureSigner(1),
  polkadot: polkadotSigner(2),
  // an sr25519 key registered as ed25519: its sr25519 signatures must fail
  sr_as_ed: scureSigner(3),
  identity: { address: address(new Uint8Array(32)), sign: () => new Uint8Array(64) },
  // not a canonical Ristretto encoding (the top bit set)
  noncanonical: { address: address(new Uint8Array(32).fill(0xff)), sign: () => new Uint8Array(64) },
};

if (process.argv[2] === 'keys') {
  for (const [name, s] of Object.entries(signers)) console.log(name, s.address);
  process.exit(0);
}

// `computedb sign` output for GET /miners (no body): does @polkadot's
// signatureVerify take it as sr25519 from the signer it names?
if (process.argv[2] === 'verify-headers') {
  const h = Object.fromEntries([...process.argv[3].matchAll(/-H (BT-[A-Za-z]+):(\S+)/g)].map((m) => [m[1], m[2]]));
  const msg = ['bt-http-auth-v1', 'computedb', 'GET', '/miners',
               createHash('sha256').update('').digest('hex'), h['BT-Timestamp'], h['BT-Nonce'], h['BT-Signer']].join('\n');
  const v = pd.signatureVerify(msg, h['BT-Signature'], h['BT-Signer']);
  console.log(`signatureVerify: ${v.isValid} ${v.crypto}`);
  process.exit(v.isValid && v.crypto === 'sr25519' ? 0 : 1);
}

const url = process.argv[3];
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString('hex');

// The bt-http-auth-v1 message (docs/protocol.md section 7.1).
function message(method, target, body, ts, nonce, signer) {
  const hash = createHash('sha256').update(body).digest('hex');
  return ['bt-http-auth-v1', 'computedb', method, target, hash, ts, nonce, signer].join('\n');
}

// Sends method target body signed by s as signer (default s's own
// address); tamper may change the signature bytes, wrap signs the
// <Bytes> form. Returns [status, body text].
async function send(s, method, target, body = '', opts = {}) {
  const ts = String(Date.now());
  const nonce = hex(randomBytes(16));
  const signer = opts.as || s.address;
  let m = enc.encode(message(method, target, body, ts, nonce, signer));
  if (opts.wrap) m = enc.encode('<Bytes>' + message(method, target, body, ts, nonce, signer) + '</Bytes>');
  const sig = new Uint8Array(s.sign(m));
  if (opts.tamper) opts.tamper(sig);
  const headers = { 'BT-Signer': signer, 'BT-Timestamp': ts, 'BT-Nonce': nonce,
                    'BT-Signature': '0x' + hex(sig) };
  if (body) headers['Content-Type'] = 'application/json';
  const r = await fetch(url + target, { method, headers, body: body || undefined });
  return [r.status, await r.text()];
}

let failed = 0;
async function expect(name, want, p) {
  const [status, text] = await p;
  const ok = Array.isArray(want) ? status === want[0] && text.includes(want[1]) : status === want;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${status}${ok ? '' : ' ' + text}`);
  if (!ok) failed++;
}

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
// s + l written back: the same scalar, not in canonical form.
function sPlusL(sig) {
  let s = 0n;
  sig[63] &= 0x7f;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]);
  s += L;
  for (let i = 0; i < 32; i++) { sig[32 + i] = Number(s & 0xffn); s >>= 8n; }
  sig[63] |= 0x80; // s + l < 2^253: the marker bit is free
}

const body = '{"mode": "merge", "miners": [{"uid": 4242, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}]}';
const bad = [401, 'bad_signature'];
for (const name of ['scure', 'polkadot']) {
  const s = signers[name];
  const other = signers[name === 'scure' ? 'polkadot' : 'scure'];
  await expect(`${name} GET`, 200, send(s, 'GET', '/miners'));
  await expect(`${name} PUT`, 200, send(s, 'PUT', '/miners', body));
  await expect(`${name} <Bytes> form`, 200, send(s, 'GET', '/miners', '', { wrap: true }));
  await expect(`${name} bit flipped in R`, bad, send(s, 'GET', '/miners', '', { tamper: (g) => { g[3] ^= 4; } }));
  await expect(`${name} bit flipped in s`, bad, send(s, 'GET', '/miners', '', { tamper: (g) => { g[40] ^= 1; } }));
  await expect(`${name} marker cleared`, bad, send(s, 'GET', '/miners', '', { tamper: (g) => { g[63] &= 0x7f; } }));
  await expect(`${name} s + l`, bad, send(s, 'GET', '/miners', '', { tamper: sPlusL }));
  await expect(`${name} another key's signature`, bad, send(other, 'GET', '/miners', '', { as: s.address }));
  await expect(`${name} ed25519 signature`, bad, send(ed25519Signer(), 'GET', '/miners', '', { as: s.address }));
}
await expect('sr25519 signature under an ed25519 principal', bad, send(signers.sr_as_ed, 'GET', '/miners'));
await expect('identity key', bad, send(signers.identity, 'GET', '/miners'));
await expect('non-canonical key', bad, send(signers.noncanonical, 'GET', '/miners'));
process.exit(failed ? 1 : 0);
