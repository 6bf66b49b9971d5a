#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Signed requests to computedb from Python (wire format bt-http-auth-v1).

Needs only the standard library and the `cryptography` package (Debian:
python3-cryptography; PyNaCl's SigningKey(seed).sign(msg).signature gives
the same bytes). Import sign_headers() into a validator, or run it:

    COMPUTEDB_URL=http://127.0.0.1:8080 \
        python3 computedb_sign.py data/admin.key GET /miners
    python3 computedb_sign.py data/admin.key PUT /miners \
        '{"mode": "merge", "miners": [{"uid": 1, "hotkey": "5Grw..."}]}'

The key file is what `computedb keygen` writes: the 32-byte ed25519 seed as
64 hex characters. Exit status: 0 on 2xx, 1 on an HTTP error, 2 on usage.
"""
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def ss58_address(public_key: bytes) -> str:
    """SS58 (network 42) of a 32-byte public key."""
    raw = bytes([42]) + public_key
    raw += hashlib.blake2b(b"SS58PRE" + raw, digest_size=64).digest()[:2]
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return out


def sign_headers(seed: bytes, method: str, target: str, body: bytes = b"",
                 audience: str = "computedb") -> dict:
    """The four BT-* headers for one request. target is the path and query
    exactly as sent; body the exact bytes sent (b"" for none)."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    signer = ss58_address(public)
    timestamp = str(int(time.time() * 1000))
    nonce = os.urandom(16).hex()
    message = "\n".join(["bt-http-auth-v1", audience, method.upper(), target,
                         hashlib.sha256(body).hexdigest(), timestamp, nonce,
                         signer])
    signature = key.sign(message.encode("ascii"))
    return {"BT-Signer": signer, "BT-Timestamp": timestamp, "BT-Nonce": nonce,
            "BT-Signature": "0x" + signature.hex()}


def load_seed(path: str) -> bytes:
    with open(path, "r", encoding="ascii") as f:
        return bytes.fromhex(f.read().strip())


def call(url: str, seed: bytes, method: str, target: str, body: bytes = b"",
         audience: str = "computedb"):
    """Sends one signed request; returns (status, parsed JSON or None)."""
    headers = sign_headers(seed, method, target, body, audience)
    if body:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url.rstrip("/") + target, data=body or None,
                                 method=method.upper(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, (json.loads(raw) if raw else None)


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    url = os.environ.get("COMPUTEDB_URL", "http://127.0.0.1:8080")
    audience = os.environ.get("COMPUTEDB_AUDIENCE", "computedb")
    body = argv[4].encode() if len(argv) == 5 else b""
    status, answer = call(url, load_seed(argv[1]), argv[2], argv[3], body,
                          audience)
    print(json.dumps(answer, indent=2))
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
