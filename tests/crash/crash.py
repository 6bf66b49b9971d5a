#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writers and the checker behind tests/e2e/crash.sh.

    crash.py write URL KEYFILE LOG CYCLE   # until the server goes away
    crash.py check DB LOG                  # on the file, server dead

`write` runs one thread per kind of batch write, each sending signed
requests in a loop. Before a request it appends an "attempt" line to LOG,
and after a 2xx an "ack" line (flushed, so the lines survive the server's
SIGKILL: this process is not killed). It exits when the server stops
answering. Every batch carries an id unique across cycles:

  challenges  POST /challenges, 20 rows, uid = cycle, difficulty = n
  specs       PUT /miners/details, 5 new hotkeys, details {"batch": id}
  blacklist   POST /blacklist, 5 new hotkeys
  stats       PUT /stats, uids 1000-1009, reliability_score = id (one
              thread: ids grow)
  wandb       PUT /wandb-runs/{new hotkey}, run_id = id (insert-only)

`check` opens the database directly and fails (exit 1, one line per
problem) unless PRAGMA integrity_check is ok, every acknowledged write is
there, and no batch, acknowledged or not, is there in part."""
import hashlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "docs", "clients"))

HK = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
CHALLENGE_ROWS = 20
GROUP = 5
STATS_UIDS = range(1000, 1010)


def hotkey(tag):
    """A valid SS58 address derived from tag (any string)."""
    from computedb_sign import ss58_address
    return ss58_address(hashlib.sha256(tag.encode()).digest())


class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="ascii")
        self.lock = threading.Lock()

    def line(self, *words):
        with self.lock:
            self.f.write(" ".join(str(w) for w in words) + "\n")
            self.f.flush()


class Gone(Exception):
    """The server does not answer any more."""


def send(url, seed, method, target, body):
    from computedb_sign import sign_headers
    data = json.dumps(body).encode()
    headers = sign_headers(seed, method, target, data)
    headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url + target, data=data, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code
    except (OSError, urllib.error.URLError, http.client.HTTPException) as e:
        raise Gone(str(e))


def writer(kind, url, seed, log, cycle, errors):
    """One kind of batch, in a loop; ids are cycle * 10^6 + n (n < 10^6:
    challenge difficulties stop at 10^6)."""
    n = 0
    try:
        while True:
            n += 1
            bid = cycle * 1000000 + n
            if kind == "challenges":
                rows = [{"uid": cycle, "hotkey": HK, "success": i % 2 == 0,
                         "elapsed_time": float(i), "difficulty": n}
                        for i in range(CHALLENGE_ROWS)]
                req = ("POST", "/challenges", {"challenges": rows})
            elif kind == "specs":
                keys = [hotkey("specs-%d-%d" % (bid, i)) for i in range(GROUP)]
                req = ("PUT", "/miners/details",
                       {"miners": [{"hotkey": k, "details": {"batch": bid}} for k in keys]})
            elif kind == "blacklist":
                keys = [hotkey("black-%d-%d" % (bid, i)) for i in range(GROUP)]
                req = ("POST", "/blacklist", {"hotkeys": keys})
            elif kind == "stats":
                req = ("PUT", "/stats", {"stats": {str(u): {
                    "hotkey": HK, "score": 50.0, "reliability_score": float(bid),
                    "allocated": False, "own_score": True} for u in STATS_UIDS}})
            else:
                req = ("PUT", "/wandb-runs/" + hotkey("wandb-%d" % bid),
                       {"run_id": str(bid)})
            log.line("attempt", kind, bid)
            status = send(url, seed, *req)
            if 200 <= status < 300:
                log.line("ack", kind, bid)
            elif status != 503:
                errors.append("%s batch %d: HTTP %d" % (kind, bid, status))
                return
    except Gone:
        return


def write(url, keyfile, logpath, cycle):
    from computedb_sign import load_seed
    seed = load_seed(keyfile)
    log = Log(logpath)
    errors = []
    threads = [threading.Thread(target=writer, args=(k, url, seed, log, cycle, errors))
               for k in ("challenges", "specs", "blacklist", "stats", "wandb")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        print("crash.py write: " + e, file=sys.stderr)
    return 1 if errors else 0


def read_log(path):
    attempts, acks = {}, {}
    with open(path, encoding="ascii") as f:
        for line in f:
            what, kind, bid = line.split()
            (acks if what == "ack" else attempts).setdefault(kind, set()).add(int(bid))
    return attempts, acks


def check(dbpath, logpath):
    import sqlite3
    attempts, acks = read_log(logpath)
    db = sqlite3.connect(dbpath)
    problems = []
    ok = db.execute("PRAGMA integrity_check").fetchall()
    if ok != [("ok",)]:
        problems.append("integrity_check: %r" % ok)

    counts = dict(db.execute("SELECT uid * 1000000 + difficulty, COUNT(*) "
                             "FROM challenge_details GROUP BY uid, difficulty").fetchall())
    for bid, n in counts.items():
        if n != CHALLENGE_ROWS:
            problems.append("challenges batch %d has %d of %d rows" % (bid, n, CHALLENGE_ROWS))
    for bid in acks.get("challenges", ()):
        if bid not in counts:
            problems.append("acknowledged challenges batch %d is missing" % bid)

    for kind, table in (("specs", "miner_details"), ("blacklist", "blacklist")):
        prefix = "specs" if kind == "specs" else "black"
        for bid in attempts.get(kind, ()):
            keys = [hotkey("%s-%d-%d" % (prefix, bid, i)) for i in range(GROUP)]
            marks = ",".join("?" * len(keys))
            n = db.execute("SELECT COUNT(*) FROM %s WHERE hotkey IN (%s)" % (table, marks),
                           keys).fetchone()[0]
            if n not in (0, GROUP):
                problems.append("%s batch %d has %d of %d rows" % (kind, bid, n, GROUP))
            if n == 0 and bid in acks.get(kind, ()):
                problems.append("acknowledged %s batch %d is missing" % (kind, bid))
            if kind == "specs" and n == GROUP:
                for (d,) in db.execute("SELECT details FROM miner_details WHERE hotkey IN (%s)"
                                       % marks, keys):
                    if json.loads(d) != {"batch": bid}:
                        problems.append("specs batch %d has details %s" % (bid, d))

    scores = db.execute("SELECT reliability_score FROM stats "
                        "WHERE uid BETWEEN 1000 AND 1009").fetchall()
    acked = acks.get("stats", set())
    if acked:
        if len(scores) != len(STATS_UIDS) or len(set(scores)) != 1:
            problems.append("stats rows are from different batches: %r" % sorted(set(scores)))
        elif scores[0][0] < max(acked):
            problems.append("stats score %r is older than acknowledged batch %d"
                            % (scores[0][0], max(acked)))
    for bid in acks.get("wandb", ()):
        row = db.execute("SELECT run_id FROM wandb_runs WHERE hotkey = ?",
                         (hotkey("wandb-%d" % bid),)).fetchone()
        if row != (str(bid),):
            problems.append("acknowledged wandb run %d is %r" % (bid, row))
    db.close()
    for p in problems[:50]:
        print("crash.py check: " + p)
    total = sum(len(v) for v in acks.values())
    print("crash.py check: %d acknowledged batches, %d problems" % (total, len(problems)))
    return 1 if problems else 0


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "write":
        sys.exit(write(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
