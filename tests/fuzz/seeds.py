#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of tests/fuzz/corpus/ (checked in; run again
after changing a seed, then commit the result). Each harness gets valid
inputs from README examples plus the edge cases its decoder must refuse.
Standard library only, except the signed auth seeds, which need the
`cryptography` package (they are skipped with a note without it)."""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
HK = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
HK2 = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
BAD = "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpv"
SQL = "x'); DROP TABLE miner; -- \" % _ ;"
NOW = 1700000000000

SPECS = {"cpu": {"count": 64}, "gpu": {"count": 8, "capacity": 652472.0,
         "details": [{"name": "NVIDIA H100 80GB HBM3"}]},
         "hard_disk": {"free": 3500000000000}, "ram": {"available": 2100000000000},
         "has_docker": True}

# Shapes every JSON decoder should refuse cleanly.
GENERIC = [b"", b"{", b"[]", b"null", b"{}", b'{"a": 1}', b'{"x": "\xff"}',
           b'{"x": "a\\u0000b"}', b"[" * 3000 + b"]" * 3000,
           b'{"x": ' + b"[" * 100 + b"]" * 100 + b"}", b'{"x": 1e999}',
           b'{"x": NaN}', b'{"x": -0.0}', b'{"a": 1, "a": 2}']


def js(v):
    return json.dumps(v).encode()


def bodies():
    row = {"uid": 12, "hotkey": HK, "success": True, "elapsed_time": 1.5,
           "difficulty": 8}
    stats = {"hotkey": HK, "gpu_specs": {"gpu_name": "NVIDIA H200", "num_gpus": 8},
             "score": 100.0, "allocated": False, "own_score": True,
             "reliability_score": 0}
    alloc = {"username": "root", "password": "q8ZrT2mLx0", "port": 4444,
             "version": 183, "ip": "203.0.113.7", "resource": "nvidia h100 80gb hbm3",
             "regkey": "-----BEGIN PUBLIC KEY-----...", "ssh_key": "",
             "uuid": "2f6c1e3a-f4b1-11ef-9c1d-0242ac120002"}
    return {
        "miners_put": [
            {"mode": "merge", "miners": [{"uid": 12, "hotkey": HK}]},
            {"mode": "sync", "miners": [{"uid": 12, "hotkey": HK2}, {"uid": 13, "hotkey": HK}]},
            {"mode": "merge", "miners": []},
            {"mode": "merge", "miners": [{"uid": -1, "hotkey": HK}]},
            {"mode": "merge", "miners": [{"uid": 65536, "hotkey": BAD}]},
            {"mode": "replace", "miners": [{"uid": 1, "hotkey": SQL}]},
            {"mode": "merge", "miners": [{"uid": "1", "hotkey": HK, "x": 1}]},
        ],
        "specs_put": [
            {"miners": [{"hotkey": HK, "details": SPECS}]},
            {"miners": [{"hotkey": HK, "details": None}]},
            {"miners": [{"hotkey": HK2, "details": {SQL: SQL, "n": [1, 2.5, None]}}]},
            {"miners": [{"hotkey": HK, "details": "str"}]},
            {"miners": [{"hotkey": BAD}]},
        ],
        "candidates_post": [
            {"cpu": {"count": 1}, "gpu": {"count": 1, "capacity": 80000, "type": "h100"},
             "hard_disk": {"capacity": 1073741824}, "ram": {"capacity": 1073741824}},
            {"cpu": {}, "gpu": {}, "hard_disk": {}, "ram": {}},
            {"cpu": {"count": -1}, "gpu": {"count": 1e308, "type": SQL},
             "hard_disk": {"capacity": 0}, "ram": {"capacity": 9223372036854775807}},
            {"cpu": {"count": 1}},
        ],
        "challenges_post": [
            {"challenges": [row]},
            {"challenges": [dict(row, created_at="2024-05-01T12:00:00.123456")]},
            {"challenges": [dict(row, success=False, elapsed_time=0), row]},
            {"challenges": [dict(row, difficulty=9223372036854775807)]},
            {"challenges": [dict(row, created_at="2024-02-30T25:61:61.000000")]},
            {"challenges": []},
        ],
        "alloc_put": [
            {"details": alloc},
            {"details": {}},
            {"details": {"username": SQL, "port": -1}},
            {"details": {"passwd": "x"}},
            {"details": None},
        ],
        "blacklist_post": [
            {"hotkeys": [HK]}, {"hotkeys": [HK, HK2]}, {"hotkeys": []},
            {"hotkeys": [BAD]}, {"hotkeys": [HK, HK]}, {"hotkeys": {}},
        ],
        "blacklist_delete": [
            {"hotkeys": [HK]}, {"hotkeys": [HK2, SQL]}, {"hotkeys": []},
        ],
        "pog_post": [
            {"hotkey": HK, "gpu_name": "NVIDIA H100 80GB HBM3", "num_gpus": 8},
            {"hotkey": HK, "gpu_name": None, "num_gpus": None},
            {"hotkey": HK2, "gpu_name": SQL, "num_gpus": -5},
            {"hotkey": HK, "gpu_name": "x" * 2000, "num_gpus": 1},
        ],
        "stats_put": [
            {"stats": {"12": stats}},
            {"stats": {"0": dict(stats, score=0), "65535": dict(stats, gpu_specs=None)}},
            {"stats": {"12": dict(stats, gpu_specs=SQL)}},
            {"stats": {"-1": stats}},
            {"stats": {"1": dict(stats, score=1e308)}},
            {"stats": {}},
        ],
        "wandb_put": [
            {"run_id": "ab12cd34"}, {"run_id": SQL}, {"run_id": ""},
            {"run_id": "x" * 1025}, {"run_id": 5},
        ],
        "principals_put": [
            {"role": "reader", "label": "grafana"},
            {"role": "writer", "label": "validator", "expires_at": "2030-01-01 00:00:00"},
            {"role": "admin"}, {"role": "boss"},
            {"role": "reader", "expires_at": "2030-02-30 00:00:00"},
            {"role": "reader", "label": SQL},
        ],
        "backup_post": [
            {}, {"name": "before-upgrade.db"}, {"name": "../escape.db"},
            {"name": "/etc/passwd"}, {"name": ".hidden"}, {"name": "-x"},
            {"name": "a/b"}, {"name": "a\\b"}, {"name": "x" * 65}, {"name": ""},
            {"name": "..%2Fx"}, {"name": "ok.db", "x": 1},
        ],
    }


def router_seeds():
    out = []
    for role in (b"\x03", b"\x01", b"\x00"):
        out += [role + b"GET\n/miners\n\n",
                role + b"PUT\n/miners\napplication/json\n" + js(
                    {"mode": "merge", "miners": [{"uid": 1, "hotkey": HK}]}),
                role + b"DELETE\n/miners/12?hotkey=" + HK.encode() + b"\n\n"]
    out += [b"\x03GET\n/miners/details?has_docker=true\n\n",
            b"\x03GET\n/miners/details/" + HK.encode() + b"\n\n",
            b"\x03POST\n/allocations/candidates\napplication/json; charset=utf-8\n{}",
            b"\x03GET\n/challenges?uid=1&limit=5&cursor=9\n\n",
            b"\x03GET\n/challenges?a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&n=1&o=1&p=1&q=1\n\n",
            b"\x03PUT\n/allocations/" + HK.encode() + b"\ntext/plain\n{}",
            b"\x03DELETE\n/blacklist\napplication/json\n[]",
            b"\x03DELETE\n/blacklist/" + HK.encode() + b"\n\n",
            b"\x03PATCH\n/stats\n\n", b"\x03GET\n/stats/%31\n\n",
            b"\x03GET\n/wandb-runs/\n\n", b"\x03GET\n//miners\n\n",
            b"\x03GET\n/miners/details/a/b\n\n", b"\x03GET\n/admin/backup?name=x&name=y\n\n",
            b"\x03OPTIONS\n/healthz\n\n", b"\x00GET\n/healthz?x\n\n",
            b"\x03GET\n/%00miners\n\n", b"\x03PUT\n/admin/principals/" + HK2.encode()
            + b"\napplication/json\n{\"role\": \"reader\"}"]
    return out


def query_seeds():
    t = ["/miners", "/miners/details?has_docker=true", "/miners/details?has_docker=maybe",
         "/miners/details/" + HK, "/challenges?uid=1&limit=1", "/challenges?cursor=1&limit=1000",
         "/challenges?uid=-0&limit=+5", "/challenges?uid=1%00&limit=1", "/challenges/stats",
         "/allocations", "/allocations/" + HK, "/blacklist", "/pog/stats", "/pog/stats/" + HK,
         "/stats", "/stats/1", "/stats/99999999999999999999", "/wandb-runs", "/wandb-runs/" + HK,
         "/admin/principals", "/admin/principals/" + HK2, "/admin/backup",
         "/admin/backup?name=seed.db", "/admin/backup?name=..%2Fdatabase.db",
         "/admin/backup?name=%2Fetc%2Fpasswd", "/admin/backup?name=.", "/admin/backup?name=",
         "/healthz", "/readyz", "/version", "/metrics", "/openapi.json",
         "/miners/details?has_docker=true&has_docker=false", "/challenges?uid=1+2"]
    out = [b"\x00" + s.encode() for s in t]
    out += [b"\x03/miners/1?hotkey=" + HK.encode(), b"\x03/miners/1?hotkey=" + BAD.encode(),
            b"\x03/allocations/" + HK.encode(), b"\x03/blacklist/" + HK2.encode(),
            b"\x03/wandb-runs/" + HK.encode(), b"\x03/admin/principals/" + HK2.encode()]
    return out


def ss58_seeds():
    return [HK.encode(), HK2.encode(), BAD.encode(), HK[:-1].encode(), (HK + "A").encode(),
            b"0" + HK[1:].encode(), bytes(32), b"\xff" * 32, b"1" * 48, b""]


# sr25519 (fuzz_sr25519.c): pk (32) || signature (64) || message.
SR_ALICE = ("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
            "1037eb7e51613d0dcf5930ae518819c87d655056605764840d9280984e1b7063"
            "c4566b55bf292fcab07b369d01095879b50517beca4d26e6a65866e25fec0d83",
            b"I hereby verify that I control " + HK.encode())
SR_WRAPPED = ("f84d048da2ddae2d9d8fd6763f469566e8817a26114f39408de15547f6d47805",
              "48ce2c90e08651adfc8ecef84e916f6d1bb51ebebd16150ee12df247841a5437"
              "951ea0f9d632ca165e6ab391532e75e701be6a1caa88c8a6bcca3511f55b4183",
              b"<Bytes>message to sign</Bytes>")
SR_FIXED = ("46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a",
            "dc4831339346dc294d21dd6efa22c078b6eb6602a30fb9c67540c1fb4e20936e"
            "17489f36dbe14aec6d2b1e56d979f7b420ca34143aca1691db0bab9535c49a86",
            b"this is a message")
SR_UNMARKED = ("b4bfa1f7a5166695eb75299fd1c4c03ea212871c342f2c5dfea0902b2c246918",
               "5a9755f069939f45d96aaf125cf5ce7ba1db998686f87f2fb3cbdea922078741"
               "a73891ba265f70c31436e18a9acd14d189d73c12317ab6c313285cd938453202",
               b"Verifying that I am the owner of "
               b"5G9hQLdsKQswNPgB499DeA5PkFBbgkLPJWkkS6FAM6xGQ8xD. Hash: 221455a3\n")


def sr25519_seeds():
    def raw(v):
        return bytes.fromhex(v[0]) + bytes.fromhex(v[1]) + v[2]

    alice = raw(SR_ALICE)
    s = int.from_bytes(alice[64:96], "little") & ~(1 << 255)
    s_plus_l = (s + 2**252 + 27742317777372353535851937790883648493) | (1 << 255)
    unmarked = bytearray(alice)
    unmarked[95] &= 0x7F
    return [alice, raw(SR_WRAPPED), raw(SR_FIXED), raw(SR_UNMARKED),
            raw(SR_WRAPPED).replace(b"<Bytes>", b"").replace(b"</Bytes>", b""),
            bytes(unmarked), alice[:64] + s_plus_l.to_bytes(32, "little") + alice[96:],
            bytes(32) + alice[32:], b"\xff" * 32 + alice[32:], alice[:96],
            alice[:95], alice[:31], b""]


def signed(seed, method, target, body, ts, nonce):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    sys.path.insert(0, os.path.join(HERE, "..", "..", "docs", "clients"))
    from computedb_sign import ss58_address
    key = Ed25519PrivateKey.from_private_bytes(seed)
    signer = ss58_address(key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    msg = "\n".join(["bt-http-auth-v1", "computedb", method, target,
                     hashlib.sha256(body).hexdigest(), str(ts), nonce, signer])
    sig = "0x" + key.sign(msg.encode()).hex()
    return "\n".join([signer, str(ts), nonce, sig, method, target]).encode() + b"\n" + body


def auth_seeds():
    nonce = "0123456789abcdef0123456789abcdef"
    plain = "\n".join([HK, str(NOW), nonce, "0x" + "ab" * 64, "GET", "/miners"]).encode()
    out = [b"\x00" + plain + b"\n", b"\x10" + plain + b"\n", b"\x01" + plain + b"\n",
           b"\x01" + plain + b"\n{\"a\": 1}", b"\x03" + plain + b"\nbody",
           b"\x00\n\n\n\nGET\n/miners\n", b"\x00" + plain.replace(b"0x", b"0X") + b"\n",
           b"\x03" + plain.replace(b"/miners", b"/miners\n/x") + b"\n",
           b"\x02" + b"ab" * 32 + b"\n", b"\x02" + b"AB" * 32 + b"\r\n", b"\x02" + b"ab" * 31,
           b"\x02" + b"zz" * 32 + b"\n", b"\x02" + b"ab" * 32 + b"x"]
    try:
        seed = bytes(range(1, 33))
        out.append(b"\x00" + signed(seed, "GET", "/miners", b"", NOW, nonce))
        out.append(b"\x20" + signed(seed, "PUT", "/stats?x=1", b'{"stats": {}}', NOW + 20000,
                                    "nonce_with-dash_0123"))
        out.append(b"\x00" + signed(seed, "GET", "/miners", b"", NOW - 31000, nonce))
    except ImportError:
        print("seeds.py: no cryptography module; signed auth seeds skipped", file=sys.stderr)
    return out


def write(name, items):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):  # inputs the fuzzer found stay
        if old.startswith("seed-"):
            os.unlink(os.path.join(d, old))
    for i, item in enumerate(items):
        data = item if isinstance(item, bytes) else js(item)
        with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
            f.write(data)


def main():
    for name, items in bodies().items():
        write(name, items + GENERIC)
    write("router", router_seeds())
    write("query", query_seeds())
    write("ss58", ss58_seeds())
    write("sr25519", sr25519_seeds())
    write("auth", auth_seeds())


if __name__ == "__main__":
    main()
