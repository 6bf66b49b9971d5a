# SPDX-License-Identifier: MIT
"""The Python client (clients/python) against a running computedb.

Upstream below is a standalone re-statement of the upstream validator's
database functions (neuralinternet/compute-subnet v1.8.3, as
docs/upstream.md and the shared UPSTREAM.md describe them): the same SQL
semantics on a sqlite3 connection, errors logged and swallowed as upstream
did (recorded here, so a dropped write shows). Ties on created_at are broken
by the newer id / rowid, as computedb does and UPSTREAM.md 6.2 asks.

1. The client writes to the server, and Upstream performs the same writes
   on the mirror (a file of upstream's own schema). Every reader, run as the
   client on the server, as Upstream on the served file and as Upstream on
   the mirror, must return the same; the rows must be the same.
2. Upstream writes straight into the served file; the client and Upstream
   must read the same from it.
3. The documented differences, the typed exceptions, a signer object, the
   default db from the environment, re-signed retries, an sr25519 signer
   (node and @scure/sr25519, when scripts/tools.sh installed them), pip
   install.

Run by tests/compat/test_pyclient.c. Exits 1 on the first mismatch.
"""
import argparse
import datetime
import hashlib
import http.server
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import computedb_client as cc
from computedb_client import errors as ce


def fail(msg):
    print("pyclient_check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def note(msg):
    print("pyclient_check: " + msg, file=sys.stderr)


def diff(a, b, path="$"):
    """The first difference between two values as a string, or None.
    Types must agree (an int 1 and True differ), except that an int and
    a float of equal value are the same number; floats are compared to
    1e-12 relative."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None if (a is b) else "%s: %r != %r" % (path, a, b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if type(a) is not type(b):
            return "%s: %r (%s) != %r (%s)" % (path, a, type(a).__name__, b,
                                                type(b).__name__)
        if a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0):
            return None
        return "%s: %r != %r" % (path, a, b)
    if type(a) is not type(b):
        return "%s: %r (%s) != %r (%s)" % (path, a, type(a).__name__, b,
                                            type(b).__name__)
    if isinstance(a, dict):
        if list(a) != list(b):
            return "%s: keys %r != %r" % (path, list(a), list(b))
        for k in a:
            d = diff(a[k], b[k], "%s[%r]" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return "%s: length %d != %d (%r != %r)" % (path, len(a), len(b),
                                                        a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r != %r" % (path, a, b)


def same(what, a, b):
    d = diff(a, b)
    if d:
        fail("%s differ: %s" % (what, d))


def sorted_keys(d):
    """dict equality with the keys in one order (the server answers maps in
    key order, upstream in row order; the order of a dict's keys is not
    part of what either function promises)."""
    return {k: d[k] for k in sorted(d)}


# -- the upstream functions, re-stated ---------------------------------------

class Upstream:
    """A ComputeDb of upstream: sqlite3.connect(path, check_same_thread=
    False), the full DDL on every construction, then the functions. errors
    collects what upstream would have logged and swallowed."""

    def __init__(self, path, ddl):
        self.path = path
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.executescript(ddl)
        self.conn.commit()
        self.errors = []

    def cursor(self):
        return self.conn.cursor()

    def swallowed(self, where, e):
        self.errors.append("%s: %s" % (where, e))

    def clean(self, phase):
        if self.errors:
            fail("%s: upstream swallowed errors on %s: %s" %
                 (phase, self.path, self.errors))

    # miner.py
    def select_miners(self):
        cur = self.cursor()
        cur.execute("SELECT uid, ss58_address FROM miner")
        out = {}
        for uid, hotkey in cur.fetchall():
            out[uid] = hotkey
        return out

    def update_miners(self, miners):
        cur = self.cursor()
        try:
            cur.executemany("INSERT OR IGNORE INTO miner (uid, ss58_address) "
                            "VALUES (?, ?)", miners)
            self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("update_miners", e)

    def purge_miner_entries(self, uid, hotkey):
        cur = self.cursor()
        try:
            cur.execute("DELETE FROM miner WHERE uid = ? AND ss58_address = ?",
                        (uid, hotkey))
            cur.execute("DELETE FROM challenge_details WHERE uid = ? AND "
                        "ss58_address = ?", (uid, hotkey))
            cur.execute("DELETE FROM miner_details WHERE hotkey = ?",
                        (hotkey,))
            cur.execute("DELETE FROM pog_stats WHERE hotkey = ?", (hotkey,))
            cur.execute("DELETE FROM stats WHERE uid = ? AND hotkey = ?",
                        (uid, hotkey))
            self.conn.commit()
        except Exception as e:
            self.swallowed("purge_miner_entries", e)

    # challenge.py
    def update_challenge_details(self, pow_benchmarks,
                                 clock=datetime.datetime.now):
        cur = self.cursor()
        try:
            pairs = [(b.get("uid"), b.get("ss58_address"))
                     for b in pow_benchmarks]
            rows = [(b.get("uid"), b.get("ss58_address"), b.get("success"),
                     b.get("elapsed_time"), b.get("difficulty"),
                     clock().isoformat()) for b in pow_benchmarks]
            cur.executemany("INSERT OR IGNORE INTO miner (uid, ss58_address) "
                            "VALUES (?, ?)", pairs)
            self.conn.commit()
            cur.executemany("INSERT INTO challenge_details (uid, "
                            "ss58_address, success, elapsed_time, difficulty, "
                            "created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)
            self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("update_challenge_details", e)

    def select_challenge_stats(self):
        """Per uid: over its 60 newest rows (grouped by uid and hotkey) the
        attempts, failures, successes and the success averages; over its 20
        newest rows the failures; over its 20 newest successes the mean
        difficulty."""
        sql = """
WITH ranked AS (
  SELECT uid, ss58_address, success, elapsed_time, difficulty,
         ROW_NUMBER() OVER (PARTITION BY uid
                            ORDER BY created_at DESC, rowid DESC) AS n
  FROM challenge_details),
wins AS (
  SELECT uid, difficulty,
         ROW_NUMBER() OVER (PARTITION BY uid
                            ORDER BY created_at DESC, rowid DESC) AS n
  FROM challenge_details WHERE success = 1),
window60 AS (
  SELECT uid, ss58_address,
         COUNT(*) AS attempts,
         COUNT(CASE WHEN success = 0 THEN 1 END) AS failed,
         SUM(CASE WHEN success = 1 THEN 1 ELSE 0 END) AS successes,
         AVG(CASE WHEN success = 1 THEN elapsed_time END) AS time_avg,
         AVG(CASE WHEN success = 1 THEN difficulty END) AS difficulty_avg
  FROM ranked WHERE n <= 60 GROUP BY uid, ss58_address),
fail20 AS (
  SELECT uid, COUNT(*) AS failed FROM ranked
  WHERE n <= 20 AND success = 0 GROUP BY uid),
wins20 AS (
  SELECT uid, AVG(difficulty) AS difficulty_avg FROM wins
  WHERE n <= 20 GROUP BY uid)
SELECT w.uid, w.ss58_address, w.attempts, w.successes, w.time_avg,
       w.difficulty_avg, COALESCE(w.failed, 0), COALESCE(f.failed, 0),
       s.difficulty_avg
FROM window60 w LEFT JOIN fail20 f ON f.uid = w.uid
                LEFT JOIN wins20 s ON s.uid = w.uid"""
        cur = self.cursor()
        cur.execute(sql)
        stats = {}
        for (uid, hotkey, attempts, successes, time_avg, diff_avg, failed,
             failed20, diff20) in cur.fetchall():
            stats[uid] = {
                "ss58_address": hotkey,
                "challenge_attempts": attempts,
                "challenge_successes": successes,
                "challenge_failed": int(failed) if failed else 0,
                "challenge_elapsed_time_avg": time_avg,
                "challenge_difficulty_avg": diff_avg,
                "last_20_challenge_failed": failed20,
                "last_20_difficulty_avg": diff20,
            }
        return stats

    # allocate.py
    def get_miner_details(self):
        out = {}
        cur = self.cursor()
        try:
            cur.execute("SELECT hotkey, details FROM miner_details")
            for hotkey, details in cur.fetchall():
                out[hotkey] = json.loads(details) if details else {}
        except Exception as e:
            self.swallowed("get_miner_details", e)
        return out

    def update_miner_details(self, hotkey_list, benchmark_responses):
        cur = self.cursor()
        try:
            # The "migration check" never finds the UNIQUE index it looks
            # for (UPSTREAM.md 2.2), so every call rebuilds the table,
            # dropping no_specs_count.
            cur.execute("CREATE TABLE IF NOT EXISTS new_miner_details ("
                        "id INTEGER PRIMARY KEY, hotkey TEXT UNIQUE, "
                        "details TEXT, no_specs_count INTEGER DEFAULT 0)")
            cur.execute("INSERT INTO new_miner_details (id, hotkey, details) "
                        "SELECT id, hotkey, details FROM miner_details")
            cur.execute("DROP TABLE miner_details")
            cur.execute("ALTER TABLE new_miner_details RENAME TO "
                        "miner_details")
            self.conn.commit()
            for hotkey, specs in benchmark_responses:
                cur.execute("SELECT * FROM miner_details WHERE hotkey = ?",
                            (hotkey,))
                cur.fetchone()
                if specs:
                    cur.execute(
                        "INSERT INTO miner_details (hotkey, details, "
                        "no_specs_count) VALUES (?, ?, 0) "
                        "ON CONFLICT(hotkey) DO UPDATE SET "
                        "details = excluded.details, no_specs_count = 0",
                        (hotkey, json.dumps(specs)))
                else:
                    cur.execute(
                        "INSERT INTO miner_details (hotkey, details, "
                        "no_specs_count) VALUES (?, '{}', 1) "
                        "ON CONFLICT(hotkey) DO UPDATE SET "
                        "no_specs_count = MIN(miner_details.no_specs_count "
                        "+ 1, 5), details = '{}'", (hotkey,))
            self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("update_miner_details", e)

    def select_has_docker_miners_hotkey(self):
        cur = self.cursor()
        try:
            cur.execute("SELECT * FROM miner_details")
            found = []
            for row in cur.fetchall():
                if row[2] and json.loads(row[2]).get("has_docker",
                                                     False) is True:
                    found.append(row[1])
            return found
        except Exception as e:
            self.swallowed("select_has_docker_miners_hotkey", e)
            return []

    @staticmethod
    def meets(details, req):
        """allocate_check_if_miner_meet, from the rules of UPSTREAM.md 3.4."""
        if not details:
            return False
        try:
            have, want = details["cpu"], req["cpu"]
            if want and (not have or have["count"] < want["count"]):
                return False
            have, want = details["gpu"], req["gpu"]
            if want:
                if not have or have["capacity"] <= want["capacity"] or \
                        have["count"] < want["count"]:
                    return False
                name = str(have["details"][0]["name"]).lower()
                if str(want["type"]).lower() not in name:
                    return False
            have, want = details["hard_disk"], req["hard_disk"]
            if want and (not have or have["free"] < want["capacity"]):
                return False
            have, want = details["ram"], req["ram"]
            if want and (not have or have["available"] < want["capacity"]):
                return False
        except Exception:
            return False
        return True

    def select_allocate_miners_hotkey(self, device_requirement):
        cur = self.cursor()
        try:
            cur.execute("SELECT * FROM miner_details")
            found = []
            for row in cur.fetchall():
                if self.meets(json.loads(row[2]), device_requirement) is True:
                    found.append(row[1])
            return found
        except Exception as e:
            self.swallowed("select_allocate_miners_hotkey", e)
            return []

    def update_allocation_db(self, hotkey, info, flag):
        cur = self.cursor()
        try:
            if flag:
                cur.execute("INSERT INTO allocation (hotkey, details) "
                            "VALUES (?, ?) ON CONFLICT(hotkey) DO UPDATE SET "
                            "details = excluded.details",
                            (hotkey, json.dumps(info)))
            else:
                cur.execute("DELETE FROM allocation WHERE hotkey = ?",
                            (hotkey,))
            self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("update_allocation_db", e)

    def update_blacklist_db(self, hotkeys, flag):
        cur = self.cursor()
        try:
            if flag:
                cur.executemany("INSERT INTO blacklist (hotkey) VALUES (?) "
                                "ON CONFLICT(hotkey) DO NOTHING",
                                [(h,) for h in hotkeys])
            else:
                cur.executemany("DELETE FROM blacklist WHERE hotkey = ?",
                                [(h,) for h in hotkeys])
            self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("update_blacklist_db", e)

    # pog.py
    def update_pog_stats(self, hotkey, gpu_name, num_gpus):
        cur = self.cursor()
        try:
            cur.execute("INSERT INTO pog_stats (hotkey, gpu_name, num_gpus) "
                        "VALUES (?, ?, ?)", (hotkey, gpu_name, num_gpus))
            cur.execute("DELETE FROM pog_stats WHERE hotkey = ? AND id NOT IN "
                        "(SELECT id FROM pog_stats WHERE hotkey = ? "
                        "ORDER BY created_at DESC, id DESC LIMIT 4)",
                        (hotkey, hotkey))
            self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("update_pog_stats", e)

    def get_pog_specs(self, hotkey):
        cur = self.cursor()
        try:
            cur.execute("SELECT gpu_name, num_gpus FROM pog_stats "
                        "WHERE hotkey = ? AND gpu_name IS NOT NULL AND "
                        "num_gpus IS NOT NULL "
                        "ORDER BY created_at DESC, id DESC LIMIT 1",
                        (hotkey,))
            row = cur.fetchone()
            if row:
                return {"gpu_name": row[0], "num_gpus": row[1]}
            return None
        except Exception as e:
            self.swallowed("get_pog_specs", e)
            return None

    def write_stats(self, stats):
        cur = self.cursor()
        try:
            for uid, data in stats.items():
                specs = data.get("gpu_specs")
                if isinstance(specs, dict):
                    specs = json.dumps(specs)
                cur.execute(
                    "INSERT INTO stats (uid, hotkey, gpu_specs, score, "
                    "allocated, own_score, reliability_score) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uid) DO UPDATE "
                    "SET hotkey = excluded.hotkey, "
                    "gpu_specs = excluded.gpu_specs, score = excluded.score, "
                    "allocated = excluded.allocated, "
                    "own_score = excluded.own_score, "
                    "reliability_score = excluded.reliability_score, "
                    "created_at = CURRENT_TIMESTAMP",
                    (uid, data.get("hotkey"), specs,
                     float(data.get("score", 0)), data.get("allocated"),
                     data.get("own_score"), data.get("reliability_score")))
            self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("write_stats", e)

    def retrieve_stats(self):
        cur = self.cursor()
        try:
            cur.execute("SELECT * FROM stats")
            out = {}
            for row in cur.fetchall():
                specs = None
                if row[2]:
                    try:
                        specs = json.loads(row[2])
                    except Exception:
                        specs = None
                out[row[0]] = {
                    "uid": row[0], "hotkey": row[1], "gpu_specs": specs,
                    "score": float(row[3] or 0), "allocated": bool(row[4]),
                    "own_score": bool(row[5]), "reliability_score": row[6],
                    "created_at": row[7],
                }
            return out
        except Exception as e:
            self.swallowed("retrieve_stats", e)
            return {}

    # ComputeWandb
    def get_run_id(self, hotkey):
        cur = self.cursor()
        try:
            cur.execute("SELECT run_id FROM wandb_runs WHERE hotkey = ?",
                        (hotkey,))
            row = cur.fetchone()
            return row[0] if row else None
        except Exception as e:
            self.swallowed("get_run_id", e)
            return None

    def save_run_id(self, hotkey, run_id):
        cur = self.cursor()
        try:
            cur.execute("SELECT run_id FROM wandb_runs WHERE hotkey = ?",
                        (hotkey,))
            if cur.fetchone() is None:
                cur.execute("INSERT INTO wandb_runs (hotkey, run_id) "
                            "VALUES (?, ?)", (hotkey, run_id))
                self.conn.commit()
        except Exception as e:
            self.conn.rollback()
            self.swallowed("save_run_id", e)

    def rows(self, sql):
        return [tuple(r) for r in self.conn.execute(sql).fetchall()]


# -- data ------------------------------------------------------------

def hotkey():
    return cc.ss58_address(os.urandom(32))


def specs(cpus, gpus, name, mib, docker, free=3.5e12, avail=2.1e12):
    details = [{"name": name, "capacity": mib} for _ in range(gpus)]
    gpu = {"count": gpus, "capacity": float(mib * gpus), "details": details}
    if gpus:
        gpu.update({"graphics_speed": 1980, "memory_speed": 2619})
    return {"cpu": {"count": cpus, "frequency": 2000.0}, "gpu": gpu,
            "hard_disk": {"total": 3840000000000, "free": free,
                          "used": 340000000000, "write_speed": 1450.2,
                          "read_speed": 5210.7},
            "ram": {"total": 2164000000000, "available": avail,
                    "used": 40000000000, "free": 2050000000000,
                    "swap_total": 0, "swap_used": 0, "swap_free": 0,
                    "read_speed": 91000.5, "write_speed": 14000.1},
            "has_docker": docker}


REQUIREMENTS = [
    {"cpu": {"count": 1}, "gpu": {"count": 1, "capacity": 80000,
                                  "type": "h100"},
     "hard_disk": {"capacity": 1073741824}, "ram": {"capacity": 1073741824}},
    {"cpu": {"count": 16}, "gpu": {}, "hard_disk": {"capacity": 1e9},
     "ram": {"capacity": 64 * 1024 ** 3}},
    {"cpu": {"count": 1}, "gpu": {"count": 1, "capacity": 0, "type": ""},
     "hard_disk": {"capacity": 1073741824}, "ram": {"capacity": 1073741824},
     "testing": True},
    # strict > on capacity: exactly the 4090's 24564 MiB does not match
    {"cpu": {}, "gpu": {"count": 1, "capacity": 24564.0, "type": ""},
     "hard_disk": {}, "ram": {}},
    {"cpu": {"count": 1}, "gpu": {"count": 1, "capacity": 3000,
                                  "type": "gpu"},
     "hard_disk": {"capacity": 1073741824}, "ram": {"capacity": 1073741824}},
    {"cpu": {"count": 65}, "gpu": {}, "hard_disk": {}, "ram": {}},
    {"cpu": {}, "gpu": {}, "hard_disk": {"capacity": 3.5e12},
     "ram": {"capacity": 2.1e12 + 1}},
]


class Clock:
    """Local naive timestamps one second apart, as datetime.now() would
    give them on a slow validator."""

    def __init__(self, start):
        self.t = start

    def __call__(self):
        self.t += datetime.timedelta(seconds=1, microseconds=1001)
        return self.t


# -- the phases ------------------------------------------------------

class Pair:
    """Applies one write through the client (to the server) and through
    Upstream (to the mirror)."""

    def __init__(self, db, mirror):
        self.db, self.mirror = db, mirror

    def __getattr__(self, name):
        client_fn = getattr(cc, name)
        upstream_fn = getattr(self.mirror, name)

        def both(*args):
            if name in ("update_allocation_db", "update_blacklist_db"):
                client_fn(*args, db=self.db)
            else:
                client_fn(self.db, *args)
            upstream_fn(*args)
        return both


def read_all(db, up, hotkeys):
    """Every mirrored reader, through the client (db) or Upstream (up)."""
    if db is not None:
        c = cc
        out = {
            "select_miners": c.select_miners(db),
            "get_miner_details": c.get_miner_details(db),
            "select_has_docker_miners_hotkey":
                c.select_has_docker_miners_hotkey(db),
            "select_challenge_stats": c.select_challenge_stats(db),
            "retrieve_stats": c.retrieve_stats(db),
        }
        for i, req in enumerate(REQUIREMENTS):
            out["select_allocate_miners_hotkey#%d" % i] = \
                c.select_allocate_miners_hotkey(db, req)
        for h in hotkeys:
            out["get_pog_specs(%s)" % h] = c.get_pog_specs(db, h)
            out["get_run_id(%s)" % h] = c.get_run_id(db, h)
    else:
        out = {
            "select_miners": up.select_miners(),
            "get_miner_details": up.get_miner_details(),
            "select_has_docker_miners_hotkey":
                up.select_has_docker_miners_hotkey(),
            "select_challenge_stats": up.select_challenge_stats(),
            "retrieve_stats": up.retrieve_stats(),
        }
        for i, req in enumerate(REQUIREMENTS):
            out["select_allocate_miners_hotkey#%d" % i] = \
                up.select_allocate_miners_hotkey(req)
        for h in hotkeys:
            out["get_pog_specs(%s)" % h] = up.get_pog_specs(h)
            out["get_run_id(%s)" % h] = up.get_run_id(h)
    # maps: the same entries, whatever their order
    for k in ("select_miners", "get_miner_details", "select_challenge_stats",
              "retrieve_stats"):
        out[k] = sorted_keys(out[k])
    return out


def compare_reads(what, a, b, drop_created_at=False):
    for name in a:
        x, y = a[name], b[name]
        if drop_created_at and name == "retrieve_stats":
            x = {u: {k: v for k, v in r.items() if k != "created_at"}
                 for u, r in x.items()}
            y = {u: {k: v for k, v in r.items() if k != "created_at"}
                 for u, r in y.items()}
        same("%s: %s" % (what, name), x, y)


TABLES = {
    "miner": "SELECT uid, ss58_address FROM miner ORDER BY uid",
    "miner_details": "SELECT id, hotkey, details FROM miner_details "
                     "ORDER BY id",
    "challenge_details": "SELECT uid, ss58_address, success, elapsed_time, "
                         "difficulty, created_at FROM challenge_details "
                         "ORDER BY rowid",
    "allocation": "SELECT id, hotkey, details FROM allocation ORDER BY id",
    "blacklist": "SELECT id, hotkey, details FROM blacklist ORDER BY id",
    "pog_stats": "SELECT id, hotkey, gpu_name, num_gpus FROM pog_stats "
                 "ORDER BY id",
    "stats": "SELECT uid, hotkey, gpu_specs, score, allocated, own_score, "
             "reliability_score FROM stats ORDER BY uid",
    "wandb_runs": "SELECT hotkey, run_id FROM wandb_runs ORDER BY hotkey",
}


def compare_tables(what, served, mirror):
    for name, sql in TABLES.items():
        same("%s: table %s" % (what, name), served.rows(sql),
             mirror.rows(sql))


def phase_client_writes(db, served, mirror):
    """1: the same writes through the client and through upstream."""
    H = [hotkey() for _ in range(10)]
    p = Pair(db, mirror)
    clock = Clock(datetime.datetime(2024, 9, 25, 21, 44, 40, 123456))

    p.update_miners([(1, H[1]), (2, H[2]), (3, H[3])])
    # a uid and a hotkey that are taken: both ignored, 6 goes in
    p.update_miners([(1, H[4]), (5, H[2]), (6, H[6])])
    p.update_miners([(7, H[7]), (8, H[8])])
    p.update_miners([])

    p.update_miner_details([7, 8], [
        (H[1], specs(64, 8, "NVIDIA H100 80GB HBM3", 81559.0, True)),
        (H[2], specs(16, 1, "NVIDIA GeForce RTX 4090", 24564.0, False,
                     avail=64 * 1024 ** 3)),
        (H[3], {}),
        (H[6], dict(specs(8, 0, "", 0.0, "true"), note="caf\u00e9 \u00fcber",
                    tiny=1.5e-05, huge=1e16, neg=-0.0)),
        (H[7], None),
    ])
    p.update_miner_details([], [(H[3], None), (H[7], {}),
                                (H[2], specs(16, 1, "NVIDIA GeForce RTX 4090",
                                             24564.0, True,
                                             avail=64 * 1024 ** 3))])
    # a miner with no ram component: never a candidate
    no_ram = specs(32, 2, "NVIDIA A100-SXM4-80GB", 81920.0, True)
    del no_ram["ram"]
    p.update_miner_details(None, [(H[8], no_ram)])

    rows = []
    for i in range(70):  # uid 1: more than the 60-row window
        rows.append({"uid": 1, "ss58_address": H[1], "success": i % 3 != 0,
                     "elapsed_time": 1.5 + (i % 4) * 0.25,
                     "difficulty": 6 + i % 5})
    for i in range(25):
        rows.append({"uid": 2, "ss58_address": H[2], "success": i % 2 == 0,
                     "elapsed_time": 2.0 + i % 3, "difficulty": 7})
    for i in range(5):  # no success: the averages are None
        rows.append({"uid": 3, "ss58_address": H[3], "success": False,
                     "elapsed_time": 30.0, "difficulty": 8})
    rows.append({"uid": 9, "ss58_address": H[9], "success": True,
                 "elapsed_time": 0.75, "difficulty": 12})
    stamps = [clock() for _ in rows]
    # the client takes the timestamps as created_at, upstream from its clock
    cc.update_challenge_details(db, [dict(r, created_at=t.isoformat())
                                     for r, t in zip(rows, stamps)])
    mirror.update_challenge_details(rows, clock=iter(stamps).__next__)

    info = {"username": "root", "password": "q8ZrT2mLx0", "port": 4444,
            "version": 183, "ip": "203.0.113.7",
            "resource": "nvidia h100 80gb hbm3",
            "regkey": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC "
                      "KEY-----\n", "ssh_key": "", "uuid": "2f6c1e3a-f4b1"}
    p.update_allocation_db(H[1], info, True)
    p.update_allocation_db(H[2], dict(info, uuid="u-2", port=4445), True)
    p.update_allocation_db(H[1], dict(info, uuid="u-1b", ssh_key="ssh-ed "
                                      "AAAA user@h\u00f4te"), True)
    p.update_allocation_db(H[2], None, False)
    p.update_allocation_db(H[9], None, False)  # absent: nothing happens
    p.update_allocation_db(H[3], dict(info, uuid="u-3"), True)

    p.update_blacklist_db([H[1], H[2], H[3]], True)
    p.update_blacklist_db([H[2], H[3], H[4]], True)
    p.update_blacklist_db([H[3], H[8]], False)
    p.update_blacklist_db([], True)

    p.update_pog_stats(H[1], "NVIDIA H100 80GB HBM3", 8)
    p.update_pog_stats(H[1], None, None)
    for n in range(1, 7):  # six rows, the 4 newest stay
        p.update_pog_stats(H[2], "NVIDIA H200", n)
    p.update_pog_stats(H[3], None, None)
    for _ in range(4):  # four failures push the pass out
        p.update_pog_stats(H[6], "NVIDIA A100-SXM4-80GB", 2)
    for _ in range(4):
        p.update_pog_stats(H[6], None, None)

    p.write_stats({
        1: {"uid": 1, "hotkey": H[1], "gpu_specs": {
            "gpu_name": "NVIDIA H100 80GB HBM3", "num_gpus": 8},
            "score": 82.5, "allocated": True, "own_score": True,
            "reliability_score": 0},
        2: {"hotkey": H[2], "gpu_specs": '{"gpu_name": "NVIDIA H200", '
            '"num_gpus": 6}', "score": 75, "allocated": False,
            "own_score": False, "reliability_score": 0.25},
        3: {"hotkey": H[3], "gpu_specs": None, "score": 0.0,
            "allocated": False, "own_score": True},
        6: {"hotkey": H[6], "gpu_specs": "not json", "score": 12.5,
            "allocated": False, "own_score": True,
            "reliability_score": None},
    })
    p.write_stats({2: {"hotkey": H[5], "gpu_specs": {"gpu_name": "NVIDIA H100",
                                                     "num_gpus": 1},
                       "score": 8.75, "allocated": True, "own_score": True}})
    p.write_stats({})

    p.save_run_id(H[1], "run-a")
    p.save_run_id(H[1], "run-a")  # the same id again: nothing changes
    p.save_run_id(H[2], "k3v9x2ab")

    p.purge_miner_entries(6, H[6])
    p.purge_miner_entries(1, H[4])  # uid 1 is not H[4]'s: nothing

    mirror.clean("phase 1 (mirror)")
    reads = {"client/served": read_all(db, None, H),
             "upstream/served": read_all(None, served, H),
             "upstream/mirror": read_all(None, mirror, H)}
    served.clean("phase 1 (served)")
    compare_reads("phase 1, client vs upstream on the served file",
                  reads["client/served"], reads["upstream/served"])
    compare_reads("phase 1, served vs mirror", reads["upstream/served"],
                  reads["upstream/mirror"], drop_created_at=True)
    compare_tables("phase 1, served vs mirror", served, mirror)

    # Sanity of the comparison itself: what the test expects to be there.
    r = reads["client/served"]
    same("select_miners", r["select_miners"],
         {1: H[1], 2: H[2], 3: H[3], 7: H[7], 8: H[8], 9: H[9]})
    same("has_docker", r["select_has_docker_miners_hotkey"], [H[1], H[2],
                                                               H[8]])
    same("candidates#0", r["select_allocate_miners_hotkey#0"], [H[1]])
    same("candidates#3", r["select_allocate_miners_hotkey#3"], [H[1]])
    same("pog H1", r["get_pog_specs(%s)" % H[1]],
         {"gpu_name": "NVIDIA H100 80GB HBM3", "num_gpus": 8})
    same("pog H2", r["get_pog_specs(%s)" % H[2]],
         {"gpu_name": "NVIDIA H200", "num_gpus": 6})
    same("pog H3", r["get_pog_specs(%s)" % H[3]], None)
    same("pog H6", r["get_pog_specs(%s)" % H[6]], None)
    same("run H1", r["get_run_id(%s)" % H[1]], "run-a")
    st = r["select_challenge_stats"]
    same("challenge uids", sorted(st), [1, 2, 3, 9])
    same("uid 1 attempts", st[1]["challenge_attempts"], 60)
    same("uid 3 averages", (st[3]["challenge_elapsed_time_avg"],
                            st[3]["last_20_difficulty_avg"]), (None, None))
    same("stats uids", sorted(r["retrieve_stats"]), [1, 2, 3])
    same("stats 2 hotkey", r["retrieve_stats"][2]["hotkey"], H[5])
    same("pog rows of H2", served.rows(
        "SELECT num_gpus FROM pog_stats WHERE hotkey = '%s' ORDER BY id"
        % H[2]), [(3,), (4,), (5,), (6,)])
    alloc = served.rows("SELECT details FROM allocation WHERE hotkey = '%s'"
                        % H[1])[0][0]
    same("allocation text", alloc, json.dumps(dict(
        info, uuid="u-1b", ssh_key="ssh-ed AAAA user@h\u00f4te")))
    # computedb keeps no_specs_count across calls (upstream's rebuild
    # reset it to 0 each time, docs/upstream.md 6.2): H[3] and H[7] went
    # through the no-specs path twice.
    same("no_specs_count", served.rows(
        "SELECT no_specs_count FROM miner_details WHERE hotkey IN "
        "('%s', '%s') ORDER BY id" % (H[3], H[7])), [(2,), (2,)])
    # A difference is seen: one more row in the mirror only.
    mirror.update_blacklist_db([H[9]], True)
    if diff(served.rows(TABLES["blacklist"]),
            mirror.rows(TABLES["blacklist"])) is None:
        fail("the table comparison does not see a difference")
    mirror.update_blacklist_db([H[9]], False)
    note("phase 1: %d readers agree on client, served and mirror"
         % len(reads["client/served"]))
    return H


def eventually_same(what, read_client, read_upstream):
    """computedb renews its cached answers within about a second of another
    process's commit (README, Configuration); give it three."""
    deadline = time.monotonic() + 3
    while True:
        a, b = read_client(), read_upstream()
        d = diff(a, b)
        if d is None:
            return a
        if time.monotonic() > deadline:
            fail("%s differ: %s" % (what, d))
        time.sleep(0.1)


def phase_upstream_writes(db, served, old):
    """2: upstream writes straight into the served file."""
    H = [hotkey() for _ in range(8)]
    clock = Clock(datetime.datetime(2025, 2, 26, 10, 31, 5))
    served.update_miners([(100, H[0]), (101, H[1]), (102, H[2]),
                          (2, H[3])])  # uid 2 is taken: ignored
    served.update_miner_details(list(range(5)), [
        (H[0], specs(128, 8, "NVIDIA H200", 143771.0, True)),
        (H[1], specs(4, 0, "", 0.0, False, free=5e9, avail=8e9)),
        (H[2], {}),
        (H[3], specs(24, 4, "NVIDIA L40", 46068.0, True)),
    ])
    served.update_miner_details([], [(H[2], None), (H[3], None)])
    served.update_challenge_details(
        [{"uid": 100, "ss58_address": H[0], "success": i % 4 != 1,
          "elapsed_time": 3.0 + i % 2, "difficulty": 9 + i % 2}
         for i in range(33)], clock=clock)
    served.update_allocation_db(H[0], {"username": "root", "uuid": "py"},
                                True)
    served.update_blacklist_db([H[1], old[1]], True)
    served.update_pog_stats(H[0], "NVIDIA H200", 8)
    served.update_pog_stats(H[0], None, None)
    served.update_pog_stats(H[3], "NVIDIA L40", 4)
    served.write_stats({
        100: {"uid": 100, "hotkey": H[0], "gpu_specs": {"gpu_name":
              "NVIDIA H200", "num_gpus": 8}, "score": 100.0,
              "allocated": True, "own_score": True, "reliability_score": 0},
        # upstream stores None booleans as NULL; both read false
        101: {"hotkey": H[1], "gpu_specs": "{broken", "score": 0,
              "allocated": None, "own_score": None},
    })
    # a NULL score reads 0.0 (only another writer can store one)
    served.conn.execute("UPDATE stats SET score = NULL WHERE uid = 101")
    served.conn.commit()
    served.save_run_id(H[0], "py-run")
    served.purge_miner_entries(3, old[3])
    served.clean("phase 2")

    everyone = old + H
    client_now = eventually_same(
        "phase 2, client vs upstream",
        lambda: read_all(db, None, everyone),
        lambda: read_all(None, served, everyone))
    same("phase 2 read back", client_now["get_pog_specs(%s)" % H[0]],
         {"gpu_name": "NVIDIA H200", "num_gpus": 8})
    same("phase 2 NULL stats", client_now["retrieve_stats"][101]["score"],
         0.0)
    same("phase 2 purge", 3 in client_now["select_miners"], False)
    note("phase 2: %d readers agree after upstream's writes"
         % len(client_now))
    return H


class KeySigner:
    """Not an Ed25519Signer: only the two members a wallet.hotkey has."""

    def __init__(self, path):
        inner = cc.Ed25519Signer.from_file(path)
        self.ss58_address = inner.ss58_address
        self._inner = inner
        self.signed = 0

    def sign(self, data):
        if not isinstance(data, bytes):
            raise TypeError("expected bytes")
        self.signed += 1
        return self._inner.sign(data)


def expect(exc_type, fn, status=None, code=None, message=None, field=None):
    try:
        fn()
    except exc_type as e:
        if not isinstance(e, ce.ComputeDbError):
            fail("%s is not a ComputeDbError" % type(e).__name__)
        for attr, want in (("status", status), ("code", code),
                           ("message", message), ("field", field)):
            if want is not None and getattr(e, attr) != want:
                fail("%s: %s is %r, expected %r (%s)" %
                     (exc_type.__name__, attr, getattr(e, attr), want, e))
        if e.status and e.status >= 400 and not e.request_id:
            fail("%s without a request id: %s" % (exc_type.__name__, e))
        return e
    except Exception as e:
        fail("expected %s, got %s: %s" % (exc_type.__name__,
                                          type(e).__name__, e))
    fail("expected %s, nothing was raised" % exc_type.__name__)


def phase_errors(args, db, served, H):
    """3: documented differences, typed exceptions, signers, defaults."""
    # A row upstream cannot parse: upstream's candidate query returns []
    # for everything and get_miner_details stops there; computedb skips
    # the row, lists it, and reads it as {}.
    bad = hotkey()
    served.conn.execute("INSERT INTO miner_details (hotkey, details) VALUES "
                        "(?, 'not json')", (bad,))
    served.conn.commit()
    req = REQUIREMENTS[2]
    if served.select_allocate_miners_hotkey(req) != [] or not served.errors:
        fail("upstream should return [] over an unparsable row")
    served.errors = []
    got = eventually_same(
        "candidates with a bad row",
        lambda: cc.select_allocate_miners_hotkey(db, req),
        lambda: [h for h, d in served.get_miner_details().items()
                 if Upstream.meets(d, req)])
    served.errors = []  # get_miner_details stopped at the bad row
    if not got or [s["hotkey"] for s in db.last_skipped] != [bad]:
        fail("the bad row should be skipped and listed: %r" %
             (db.last_skipped,))
    same("bad row reads {}", cc.get_miner_details(db)[bad], {})
    served.conn.execute("DELETE FROM miner_details WHERE hotkey = ?", (bad,))
    served.conn.commit()

    # Errors upstream swallowed are raised, typed.
    expect(ce.InvalidError, lambda: cc.update_pog_stats(
        db, H[1], "NVIDIA H100", None), status=400, code="invalid_argument")
    expect(ce.InvalidError, lambda: cc.update_pog_stats(
        db, "not-a-hotkey", None, None), status=400)
    before = cc.retrieve_stats(db)
    e = expect(ce.InvalidError, lambda: cc.write_stats(db, {
        7: {"hotkey": H[7], "score": 1.0, "allocated": False,
            "own_score": True},
        8: {"hotkey": None, "score": 1.0, "allocated": False,
            "own_score": True}}), status=400)
    if not e.field or "8" not in e.field:
        fail("write_stats error names no record: %r" % e.field)
    same("write_stats batch refused whole", cc.retrieve_stats(db), before)
    expect(ce.InvalidError, lambda: cc.write_stats(
        db, {9: {"hotkey": H[1], "score": float("nan"), "allocated": False,
                 "own_score": True}}))
    expect(ce.ConflictError, lambda: cc.save_run_id(db, H[1], "run-b"),
           status=409, code="conflict")
    same("run id kept", cc.get_run_id(db, H[1]), "run-a")
    expect(ce.InvalidError, lambda: cc.select_allocate_miners_hotkey(
        db, {"cpu": {"count": 1}}), status=400)
    expect(ce.NotFoundError, lambda: db.request(
        "GET", "/stats/65000"), status=404, code="not_found")

    # Roles and signatures.
    reader = cc.ComputeDb(args.url, key_file=args.reader)
    same("reader reads", cc.select_miners(reader), cc.select_miners(db))
    expect(ce.ForbiddenError, lambda: cc.update_miners(reader, [(200, H[0])]),
           status=403, code="forbidden")
    expect(ce.AuthError, lambda: cc.select_miners(
        cc.ComputeDb(args.url, key_file=args.stranger)), status=401,
        message="unknown_signer")
    e = expect(ce.AuthError, lambda: cc.select_miners(
        cc.ComputeDb(args.url, key_file=args.writer, audience="staging")),
        status=401, message="bad_signature")
    # The refusal says which line of the signed message differs: the
    # server verified its own audience, the client signed "staging".
    signed = e.details.get("signed", "").split("\n")
    if len(signed) != 8 or signed[1] != "computedb" or not e.hint:
        fail("bad_signature without the verified message: %r" % e.details)
    if e.hint not in str(e):
        fail("the hint is not in the exception's text: %s" % e)
    expect(ce.AuthError, lambda: cc.select_miners(
        cc.ComputeDb(args.url, key_file=None, signer=None)), status=401,
        message="signature_required")
    if 200 in cc.select_miners(db):
        fail("a refused write went in")

    # Any object with .ss58_address and .sign(bytes), as wallet.hotkey.
    signer = KeySigner(args.writer)
    sdb = cc.ComputeDb(args.url, signer=signer)
    cc.update_miners(sdb, [(200, H[0])])
    same("signer object", cc.select_miners(sdb)[200], H[0])
    if signer.signed != 2:
        fail("the signer signed %d requests, expected 2" % signer.signed)
    class Wallet:
        hotkey = signer
    same("wallet", cc.ComputeDb(args.url, signer=Wallet()).ss58_address,
         signer.ss58_address)
    try:
        cc.ComputeDb(args.url, signer=object())
        fail("a signer without sign() was taken")
    except TypeError:
        pass
    try:
        db.get_cursor()
        fail("get_cursor should not exist")
    except NotImplementedError:
        pass

    # The environment, and the db-less upstream signatures.
    env = dict(os.environ, COMPUTEDB_URL=args.url, COMPUTEDB_KEY=args.writer)
    hk = hotkey()
    code = ("import computedb_client as c\n"
            "c.update_allocation_db(%r, {'uuid': 'env'}, True)\n"
            "c.update_blacklist_db([%r], True)\n"
            "print(c.ComputeDb().ss58_address)\n" % (hk, hk))
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         stdout=subprocess.PIPE, cwd=args.work).stdout
    same("env signer", out.decode().strip(),
         cc.Ed25519Signer.from_file(args.writer).ss58_address)
    same("env allocation", served.rows(
        "SELECT details FROM allocation WHERE hotkey = '%s'" % hk),
         [('{"uuid": "env"}',)])
    same("env blacklist", served.rows(
        "SELECT COUNT(*) FROM blacklist WHERE hotkey = '%s'" % hk), [(1,)])

    # created_at from this host's clock, in upstream's isoformat().
    t0 = datetime.datetime.now()
    cc.update_challenge_details(db, [{"uid": 201, "ss58_address": hk,
                                      "success": 1, "elapsed_time": 2,
                                      "difficulty": 5.0}])
    stamp, success = served.rows("SELECT created_at, success FROM "
                                 "challenge_details WHERE uid = 201")[0]
    if not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\Z", stamp) \
            or abs((datetime.datetime.fromisoformat(stamp) - t0)
                   .total_seconds()) > 5 or success != 1:
        fail("challenge row %r %r" % (stamp, success))
    same("purge counts", (cc.purge_miner_entries(db, 201, hk),
                          db.last_purge["deleted"]["challenge_details"]),
         (None, 1))
    note("phase 3: errors, signers and defaults as documented")


class Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 (then 429) with Retry-After before a 200, recording the
    auth headers of each attempt."""
    seen = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Flaky.seen.append((dict(self.headers), self.path, body))
        n = len(Flaky.seen)
        status = {1: 503, 2: 429}.get(n, 200)
        reply = b'{"updated": 1}' if status == 200 else \
            b'{"error": {"code": "unavailable", "message": "busy"}}'
        self.send_response(status)
        if status != 200:
            self.send_header("Retry-After", "0")
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-Id", "flaky-%d" % n)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_PUT

    def log_message(self, *a):
        pass


def phase_retries(args):
    """Retries re-sign: every attempt has its own nonce and verifies."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/prefix" % server.server_address[1]
        signer = cc.Ed25519Signer.from_file(args.writer)
        db = cc.ComputeDb(url, signer=signer, retries=2)
        cc.write_stats(db, {5: {"hotkey": "x", "score": 1, "allocated": True,
                                "own_score": True}})
        if len(Flaky.seen) != 3:
            fail("expected 3 attempts, saw %d" % len(Flaky.seen))
        nonces = set()
        public = Ed25519PublicKey.from_public_bytes(signer.public_key)
        for headers, path, body in Flaky.seen:
            if path != "/prefix/stats":
                fail("target %r" % path)
            nonces.add(headers["BT-Nonce"])
            msg = "\n".join(["bt-http-auth-v1", "computedb", "PUT", path,
                             hashlib.sha256(body).hexdigest(),
                             headers["BT-Timestamp"], headers["BT-Nonce"],
                             headers["BT-Signer"]]).encode()
            public.verify(bytes.fromhex(headers["BT-Signature"][2:]), msg)
        if len(nonces) != 3:
            fail("a retry reused a nonce")
        # Out of retries: the last 503 is raised, typed.
        Flaky.seen = []
        db = cc.ComputeDb(url, signer=signer, retries=0)
        expect(ce.UnavailableError, lambda: cc.write_stats(db, {5: {
            "hotkey": "x", "score": 1, "allocated": True, "own_score": True}}),
            status=503)
    finally:
        server.shutdown()
        server.server_close()
    # Nobody listening: a typed error, not a socket exception.
    dead = cc.ComputeDb("http://127.0.0.1:%d" % server.server_address[1],
                        signer=signer, retries=1)
    expect(ce.UnavailableError, lambda: cc.select_miners(dead),
           code="connection_failed")
    note("retries: re-signed each time, then typed errors")


NODE_SR25519 = r"""
import { createInterface } from 'node:readline';
const m = await import(process.env.SCURE_URL);
const seed = Buffer.from(process.env.SR_SEED, 'hex');
const sk = m.secretFromSeed(new Uint8Array(seed));
process.stdout.write(Buffer.from(m.getPublicKey(sk)).toString('hex') + '\n');
for await (const line of createInterface({ input: process.stdin })) {
  const sig = m.sign(sk, new Uint8Array(Buffer.from(line.trim(), 'hex')));
  process.stdout.write(Buffer.from(sig).toString('hex') + '\n');
}
"""


class NodeSr25519:
    """An sr25519 keypair as wallet.hotkey is one (.ss58_address,
    .sign(bytes) -> bytes), signing with @scure/sr25519 in node."""

    def __init__(self, scure_index):
        import pathlib
        env = dict(os.environ, SR_SEED=os.urandom(32).hex(),
                   SCURE_URL=pathlib.Path(scure_index).as_uri())
        self.proc = subprocess.Popen(
            ["node", "--input-type=module", "-e", NODE_SR25519], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        public = bytes.fromhex(self.proc.stdout.readline().strip())
        self.ss58_address = cc.ss58_address(public)

    def sign(self, data):
        self.proc.stdin.write(bytes(data).hex() + "\n")
        self.proc.stdin.flush()
        return bytes.fromhex(self.proc.stdout.readline().strip())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def phase_sr25519(args):
    """A Bittensor-style sr25519 hotkey signs the client's requests."""
    scure = os.path.join(args.tools, "node_modules", "@scure", "sr25519",
                         "index.js")
    if not shutil.which("node") or not os.path.exists(scure):
        note("no node or @scure/sr25519 (scripts/tools.sh): sr25519 "
             "check skipped")
        return
    hotkey_pair = NodeSr25519(scure)
    try:
        admin = cc.ComputeDb(args.url, key_file=args.admin)
        admin.request("PUT", "/admin/principals/" +
                      hotkey_pair.ss58_address,
                      body={"role": "writer", "scheme": "sr25519"})
        db = cc.ComputeDb(args.url, signer=hotkey_pair)
        hk = hotkey()
        cc.update_miners(db, [(300, hk)])
        same("sr25519 write", cc.select_miners(db)[300], hk)
        cc.update_pog_stats(db, hk, "NVIDIA H200", 8)
        same("sr25519 read", cc.get_pog_specs(db, hk),
             {"gpu_name": "NVIDIA H200", "num_gpus": 8})
        admin.request("PUT", "/admin/principals/" +
                      hotkey_pair.ss58_address,
                      body={"role": "writer", "scheme": "ed25519"})
        expect(ce.AuthError, lambda: cc.select_miners(db), status=401,
               message="bad_signature")
    finally:
        hotkey_pair.close()
    note("sr25519: a hotkey-style signer object signs as its principal")


def phase_pip(args):
    """pip installs the package offline from the repository."""
    # setuptools >= 61 reads pyproject.toml; before 70.1 it needs wheel
    probe = subprocess.run(
        [sys.executable, "-c", "import setuptools, pip\n"
         "v = tuple(int(x) for x in setuptools.__version__.split('.')[:2])\n"
         "assert v >= (61, 0)\n"
         "if v < (70, 1): import wheel"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=args.work)
    if probe.returncode != 0:
        note("no pip, setuptools >= 61 or wheel: install check skipped")
        return
    # a copy, so that the build leaves nothing in the source tree
    source = os.path.join(tempfile.mkdtemp(prefix="pysrc-", dir=args.work),
                          "python")
    shutil.copytree(args.package, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    target = tempfile.mkdtemp(prefix="pyclient-", dir=args.work)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
         "--no-build-isolation", "--no-deps", "--target", target,
         source], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"),
        cwd=args.work)
    if build.returncode != 0:
        fail("pip install failed:\n" + build.stdout.decode(errors="replace"))
    env = dict(os.environ, PYTHONPATH=target)
    out = subprocess.run(
        [sys.executable, "-c", "import computedb_client.pog as p, "
         "computedb_client as c; print(c.__file__); "
         "print(p.get_pog_specs is c.get_pog_specs)"],
        env=env, stdout=subprocess.PIPE, check=True, cwd=args.work)
    lines = out.stdout.decode().split()
    if not lines[0].startswith(target) or lines[1] != "True":
        fail("the installed package is not the one imported: %r" % lines)
    note("pip install --no-build-isolation works offline")


def main():
    ap = argparse.ArgumentParser()
    for name in ("url", "db", "mirror", "ddl", "writer", "reader", "admin",
                 "stranger", "work", "package", "tools"):
        ap.add_argument("--" + name, required=True)
    args = ap.parse_args()
    for name in ("COMPUTEDB_URL", "COMPUTEDB_KEY", "COMPUTEDB_AUDIENCE"):
        os.environ.pop(name, None)
    os.chdir(args.work)  # no data/admin.key here
    with open(args.ddl) as f:
        ddl = f.read()
    db = cc.ComputeDb(args.url, key_file=args.writer)
    served = Upstream(args.db, ddl)  # upstream's constructor on the file
    mirror = Upstream(args.mirror, ddl)
    H = phase_client_writes(db, served, mirror)
    phase_upstream_writes(db, served, H)
    phase_errors(args, db, served, H)
    phase_retries(args)
    phase_sr25519(args)
    phase_pip(args)
    note("ok")


if __name__ == "__main__":
    main()
