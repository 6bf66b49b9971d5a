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
    python3 computedb_sign.py data/admin.key GET '/admin/backup?name=x.db' >x.db

The key file is what `computedb keygen` writes: the 32-byte ed25519 seed as
64 hex characters. call() takes the body as a dict or list (sent as JSON),
a str (sent as UTF-8) or bytes (sent as they are), and returns (status,
answer): the parsed JSON for a JSON answer, the raw bytes for any other (a
backup download, /metrics), None for an empty one. A server it cannot reach
(refused, unknown host, timed out) raises Unreachable, a ConnectionError.
Exit status: 0 on 2xx, 1 on an HTTP error, 2 on usage, 3 when unreachable.
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


class Unreachable(ConnectionError):
    """The server could not be reached: nothing was answered."""


def encode_body(body) -> bytes:
    """The bytes to send for body: a dict or list as JSON, a str as UTF-8,
    bytes as they are, None as nothing."""
    if body is None:
        return b""
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode("utf-8")
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def call(url: str, seed: bytes, method: str, target: str, body=None,
         audience: str = "computedb"):
    """Sends one signed request; returns (status, answer) as the module
    says. Raises Unreachable when no answer came."""
    data = encode_body(body)
    headers = sign_headers(seed, method, target, data, audience)
    if data:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url.rstrip("/") + target, data=data or None,
                                 method=method.upper(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, kind, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, kind, raw = e.code, e.headers, e.read()
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Unreachable(f"cannot reach computedb at {url}: {reason}") from e
    if not raw:
        return status, None
    if kind.get_content_type() == "application/json":
        return status, json.loads(raw)
    return status, raw


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    url = os.environ.get("COMPUTEDB_URL", "http://127.0.0.1:8080")
    audience = os.environ.get("COMPUTEDB_AUDIENCE", "computedb")
    try:
        status, answer = call(url, load_seed(argv[1]), argv[2], argv[3],
                              argv[4] if len(argv) == 5 else None, audience)
    except Unreachable as e:
        print(f"computedb_sign.py: {e}", file=sys.stderr)
        return 3
    if isinstance(answer, bytes):
        sys.stdout.buffer.write(answer)
    else:
        print(json.dumps(answer, indent=2))
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
