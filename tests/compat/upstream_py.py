# SPDX-License-Identifier: MIT
"""Plays the upstream Python validator against a database computedb serves.

Each mode uses Python's sqlite3 module the way the validator does: a plain
connect() (5 s busy timeout, implicit transactions), the upstream SQL
semantics, json.dumps for JSON columns and CURRENT_TIMESTAMP rows.
Exits non-zero with a message on any mismatch.
"""
import json
import sqlite3
import sys


def connect(path):
    return sqlite3.connect(path, check_same_thread=False)


def write(path, hk):
    """Rows as update_miners, update_miner_details, update_pog_stats,
    write_stats, update_allocation_db and ComputeWandb write them."""
    db = connect(path)
    cur = db.cursor()
    cur.executemany("INSERT OR IGNORE INTO miner(uid, ss58_address) VALUES(?, ?)",
                    [(40, hk[0]), (41, hk[1])])
    db.commit()
    specs = {"cpu": {"count": 16, "frequency": 3500.0},
             "gpu": {"count": 1, "capacity": 24564.0,
                     "details": [{"name": "NVIDIA GeForce RTX 4090", "capacity": 24564.0}]},
             "hard_disk": {"free": 10 ** 12}, "ram": {"available": 64 * 2 ** 30},
             "has_docker": True, "note": "caf\u00e9"}
    cur.execute("INSERT INTO miner_details (hotkey, details, no_specs_count) VALUES (?, ?, 0) "
                "ON CONFLICT(hotkey) DO UPDATE SET details=excluded.details, no_specs_count=0",
                (hk[0], json.dumps(specs)))
    db.commit()
    for name in ("NVIDIA H100", None):
        cur.execute("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus) VALUES (?, ?, ?)",
                    (hk[0], name, 8 if name else None))
    db.commit()
    cur.execute("INSERT INTO stats (uid, hotkey, gpu_specs, score, allocated, own_score, "
                "reliability_score) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uid) DO UPDATE SET "
                "hotkey=excluded.hotkey, gpu_specs=excluded.gpu_specs, score=excluded.score, "
                "allocated=excluded.allocated, own_score=excluded.own_score, "
                "reliability_score=excluded.reliability_score, created_at=CURRENT_TIMESTAMP",
                (40, hk[0], json.dumps({"gpu_name": "NVIDIA H100", "num_gpus": 8}),
                 float(70.0), 1, 1, 0))
    db.commit()
    info = {"username": "root", "password": "pw", "port": 4444, "version": 183,
            "ip": "203.0.113.9", "resource": "nvidia h100", "regkey": "k",
            "ssh_key": "", "uuid": "u-1"}
    cur.execute("INSERT INTO allocation (hotkey, details) VALUES (?, ?) "
                "ON CONFLICT(hotkey) DO UPDATE SET details=excluded.details",
                (hk[1], json.dumps(info)))
    cur.execute("INSERT INTO wandb_runs (hotkey, run_id) VALUES (?, ?)", (hk[1], "run-py"))
    db.commit()
    db.close()


def fail(msg):
    print("upstream_py: " + msg, file=sys.stderr)
    sys.exit(1)


def check(path, hk):
    """Reads what computedb wrote, the way the validator reads it."""
    db = connect(path)
    cur = db.cursor()
    miners = dict(cur.execute("SELECT uid, ss58_address FROM miner").fetchall())
    if miners.get(50) != hk[2]:
        fail("miner 50 is %r" % (miners.get(50),))
    row = cur.execute("SELECT details, no_specs_count FROM miner_details WHERE hotkey=?",
                      (hk[2],)).fetchone()
    want = {"cpu": {"count": 8, "frequency": 2400.5}, "has_docker": False,
            "gpu": {"count": 0}, "name": "\u00fcber"}
    if row is None or json.loads(row[0]) != want or row[1] != 0:
        fail("miner_details row %r" % (row,))
    if row[0] != json.dumps(want):
        fail("stored text %r is not json.dumps output %r" % (row[0], json.dumps(want)))
    stats = cur.execute("SELECT uid, hotkey, gpu_specs, score, allocated, own_score "
                        "FROM stats WHERE uid=51").fetchone()
    if stats is None or stats[1] != hk[2] or json.loads(stats[2]) != {"gpu_name": "NVIDIA H200", "num_gpus": 2} \
            or stats[3] != 25.0 or stats[4] != 1 or stats[5] != 0:
        fail("stats row %r" % (stats,))
    pog = cur.execute("SELECT gpu_name, num_gpus FROM pog_stats WHERE hotkey=? AND gpu_name IS NOT NULL "
                      "AND num_gpus IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1",
                      (hk[2],)).fetchone()
    if pog != ("NVIDIA H200", 2):
        fail("pog row %r" % (pog,))
    alloc = cur.execute("SELECT details FROM allocation WHERE hotkey=?", (hk[2],)).fetchone()
    if alloc is None or json.loads(alloc[0])["uuid"] != "u-2":
        fail("allocation %r" % (alloc,))
    db.close()


def hammer(path, n, hk):
    """Writes n small transactions as the validator does, and prints how
    many committed. A 'database is locked' would be upstream's silent drop:
    count it and report it."""
    db = connect(path)
    cur = db.cursor()
    ok = 0
    for i in range(n):
        try:
            cur.execute("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus) VALUES (?, ?, ?)",
                        (hk[3], "NVIDIA H100", 1 + i % 8))
            cur.execute("INSERT INTO tb (hotkey, details) VALUES (?, ?)", (hk[3], str(i)))
            db.commit()
            ok += 1
        except sqlite3.OperationalError as e:
            db.rollback()
            print("locked: %s" % e, file=sys.stderr)
    print(ok)
    db.close()


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "write":
        write(path, sys.argv[3:])
    elif mode == "check":
        check(path, sys.argv[3:])
    elif mode == "hammer":
        hammer(path, int(sys.argv[3]), sys.argv[4:])
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
