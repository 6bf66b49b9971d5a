# SPDX-License-Identifier: MIT
"""bt-http-auth-v1 request signing (docs/protocol.md section 7).

A signer is any object with an `ss58_address` (str) and a `sign(bytes) ->
bytes` method returning the 64-byte signature. A Bittensor wallet's hotkey
(`wallet.hotkey`, an sr25519 Keypair) is one; the server verifies by the
scheme registered for the principal, so this module never needs to know it.
Ed25519Signer is one made from a computedb key file (needs `cryptography`).
"""
import hashlib
import os
import re
import time

PREFIX = "bt-http-auth-v1"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_AUDIENCE = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
_KEY_FILE = re.compile(rb"[0-9A-Fa-f]{64}(\r?\n)?\Z")


def ss58_address(public_key):
    """The SS58 address (network 42) of a 32-byte public key."""
    if len(public_key) != 32:
        raise ValueError("a public key is 32 bytes")
    payload = bytes([42]) + bytes(public_key)
    check = hashlib.blake2b(b"SS58PRE" + payload, digest_size=64).digest()
    raw = payload + check[:2]
    number = int.from_bytes(raw, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = _B58[digit] + text
    return text  # no leading zero bytes: the first is 42


def check_audience(audience):
    if not isinstance(audience, str) or not _AUDIENCE.match(audience):
        raise ValueError("audience must be 1 to 64 of [A-Za-z0-9._:-]")
    return audience


class Ed25519Signer:
    """An ed25519 key: what `computedb keygen` writes (the 32-byte seed as
    64 hex digits and an optional line break)."""

    def __init__(self, seed):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey)
        if len(seed) != 32:
            raise ValueError("an ed25519 seed is 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(bytes(seed))
        self.public_key = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.ss58_address = ss58_address(self.public_key)

    @classmethod
    def from_file(cls, path):
        with open(path, "rb") as f:
            data = f.read(200)
        if not _KEY_FILE.match(data):
            raise ValueError("%s: a key file holds 64 hex digits and an "
                             "optional line break" % path)
        return cls(bytes.fromhex(data[:64].decode("ascii")))

    @classmethod
    def generate(cls):
        return cls(os.urandom(32))

    def sign(self, message):
        return self._key.sign(bytes(message))

    def __repr__(self):
        return "Ed25519Signer(%s)" % self.ss58_address


def as_signer(obj):
    """obj itself when it can sign, or a wallet's hotkey."""
    if obj is None:
        return None
    if not hasattr(obj, "sign") and hasattr(obj, "hotkey"):
        obj = obj.hotkey  # a bittensor wallet
    if not callable(getattr(obj, "sign", None)) or \
            not isinstance(getattr(obj, "ss58_address", None), str):
        raise TypeError("a signer needs .ss58_address (str) and "
                        ".sign(bytes) -> bytes, as wallet.hotkey has")
    return obj


def message(audience, method, target, body, timestamp, nonce, signer):
    """The eight lines of section 7.1 as the ASCII bytes that are signed."""
    lines = [PREFIX, audience, method, target,
             hashlib.sha256(body).hexdigest(), timestamp, nonce, signer]
    return "\n".join(lines).encode("ascii")


def _signature_bytes(sig):
    if isinstance(sig, str):  # some keypairs answer hex text
        sig = bytes.fromhex(sig[2:] if sig.startswith("0x") else sig)
    sig = bytes(sig)
    if len(sig) != 64:
        raise ValueError("the signer returned %d bytes, not a 64-byte "
                         "signature" % len(sig))
    return sig


def sign_headers(signer, audience, method, target, body=b""):
    """The four BT-* headers for one request: target is the path and query
    exactly as sent, body the exact bytes sent. A fresh nonce and timestamp
    every call, so a retry must call it again."""
    timestamp = str(int(time.time() * 1000))
    nonce = os.urandom(16).hex()
    msg = message(audience, method, target, body, timestamp, nonce,
                  signer.ss58_address)
    sig = _signature_bytes(signer.sign(msg))
    return {"BT-Signer": signer.ss58_address, "BT-Timestamp": timestamp,
            "BT-Nonce": nonce, "BT-Signature": "0x" + sig.hex()}
