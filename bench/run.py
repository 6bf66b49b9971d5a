#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: builds the databases, starts release servers, runs the loads
and prints one table of ratios measured in this run (also written to
bench/results.json). Usage: bench/run.py BUILD_DIR [--quick] [--tls-only]
(--tls-only: only the HTTPS loads, on a small database; results.json is
left alone)

Every ratio compares numbers taken minutes apart on the same machine with
the same binary, so machine speed cancels out; absolute numbers are in
results.json for reference. Loads come from bench_load (signed when a key
is given; signatures are made before the clock starts)."""
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/release")
QUICK = "--quick" in sys.argv
TLS_ONLY = "--tls-only" in sys.argv
BIN = os.path.join(BUILD, "computedb")
GEN = os.path.join(BUILD, "bench_gen")
LOAD = os.path.join(BUILD, "bench_load")
WORK = os.path.join(BUILD, "bench-data")
SECONDS = 2 if QUICK else 4
BIG = 100_000 if QUICK else 1_000_000
SMALL = 10_000
results = {"targets": [], "runs": {}}
servers = []
peak_rss = 0


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def generate(rows):
    path = os.path.join(WORK, "base-%d.db" % rows)
    if not os.path.exists(path):
        say("bench: generating %d challenge rows" % rows)
        subprocess.run([GEN, "--out", path + ".tmp", "--challenges", str(rows)],
                       check=True, stdout=subprocess.DEVNULL)
        os.rename(path + ".tmp", path)
    return path


def fresh_copy(src, name):
    dst = os.path.join(WORK, name)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dst + suffix):
            os.unlink(dst + suffix)
    shutil.copyfile(src, dst)
    return dst


def key():
    path = os.path.join(WORK, "bench.key")
    if not os.path.exists(path):
        subprocess.run([BIN, "keygen", "--out", path], check=True, stdout=subprocess.DEVNULL)
    return path


def hotkey():
    """An sr25519 hotkey file, as a Bittensor wallet keeps it."""
    path = os.path.join(WORK, "bench-hotkey.json")
    if not os.path.exists(path):
        subprocess.run([BIN, "keygen", "--scheme", "sr25519", "--out", path], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def address(keyfile):
    out = subprocess.run([BIN, "sign", "--key", keyfile, "GET", "/"], check=True,
                         capture_output=True, text=True).stdout
    return re.search(r"BT-Signer:(\S+)", out).group(1)


def start(db, *flags, scheme="http"):
    subprocess.run([BIN, "principal", "add", "--db", db, "--role", "admin", address(key())],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([BIN, "principal", "add", "--db", db, "--role", "admin", "--scheme",
                    "sr25519", address(hotkey())], check=True, stdout=subprocess.DEVNULL)
    # Signed loads run at ~15k requests/s from one key: its share of the
    # replay cache must hold every nonce of the window, else it rightly
    # answers 429. The window is the default 30 s: signatures are made
    # before the clock starts (sr25519 ones take a few seconds to make),
    # and a shorter one let the last of them go stale.
    log_path = os.path.join(WORK, "pg-server.log") if db.startswith("postgres") else db + ".log"
    log = open(log_path, "w")
    proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--db", db,
                             "--admin-key", os.path.join(WORK, "unused.key"),
                             "--public-read", "--replay-capacity", "1048576", *flags],
                            stderr=log, stdout=log)
    for _ in range(400):
        time.sleep(0.025)
        text = open(log_path).read()
        m = re.search(r"listening on https?://127.0.0.1:(\d+)", text)
        if m:
            break
    else:
        # the listening line is info level: ask for it
        pass
    if not m:
        proc.kill()
        raise SystemExit("bench: server did not start: " + open(log_path).read())
    servers.append(proc)
    host = "localhost" if scheme == "https" else "127.0.0.1"  # the name certified
    return proc, "%s://%s:%s" % (scheme, host, m.group(1))


def stop(proc):
    global peak_rss
    try:
        status = open("/proc/%d/status" % proc.pid).read()
        hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
        peak_rss = max(peak_rss, hwm)
        say("bench: server %d peak RSS %.1f MiB" % (proc.pid, hwm / 2**20))
    except (OSError, AttributeError):
        pass
    proc.terminate()
    proc.wait(timeout=30)
    servers.remove(proc)


def load(name, url, path, conns=32, seconds=None, signed=False, method="GET",
         body=None, paths=None, etag=False, background=False, cacert=None, fresh=False):
    args = [LOAD, "--url", url, "--path", path, "--conns", str(conns),
            "--seconds", str(seconds or SECONDS), "--method", method, "--label", name]
    if cacert:
        args += ["--cacert", cacert]
    if fresh:
        args.append("--fresh")
    if signed:
        args += ["--key", hotkey() if signed == "sr25519" else key()]
    if body:
        args += ["--body-file", body]
    if paths:
        args += ["--paths", paths]
    if etag:
        args.append("--etag")
    if background:
        return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    return finish(name, subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def finish(name, out):
    res = json.loads(out)
    results["runs"][name] = res
    ok = sum(v for k, v in res["statuses"].items() if k.startswith("2") or k == "304")
    say("bench: %-28s %9.1f req/s  p50 %7.3f ms  p99 %7.3f ms  statuses %s" % (
        name, res["rps"], res["p50_ms"], res["p99_ms"], res["statuses"]))
    if res["errors"] or ok != res["requests"]:
        say("bench: %s had failures: %s" % (name, res))
    return res


def target(num, text, measured, limit, higher_is_better, note=""):
    ok = measured >= limit if higher_is_better else measured <= limit
    results["targets"].append({"target": num, "what": text, "measured": round(measured, 3),
                               "limit": limit, "at_least" if higher_is_better else "at_most": limit,
                               "pass": ok, "note": note})


def stats_scaling():
    """T1: the stats query cost must not grow with history."""
    costs = {}
    for rows in (SMALL, BIG):
        db = fresh_copy(generate(rows), "stats-%d.db" % rows)
        proc, url = start(db, "--no-response-cache")
        costs[rows] = load("stats uncached %d rows" % rows, url, "/challenges/stats", conns=1)["p50_ms"]
        stop(proc)
    return costs


def main():
    os.makedirs(WORK, exist_ok=True)
    key()
    costs = stats_scaling()
    target(1, "GET /challenges/stats at %s rows / at %s rows (p50, uncached)" % (f"{BIG:,}", f"{SMALL:,}"),
           costs[BIG] / costs[SMALL], 1.5, False)

    big = fresh_copy(generate(BIG), "main.db")
    proc, url = start(big)
    stats = load("stats 1 conn", url, "/challenges/stats", conns=1)
    miners1 = load("miners 1 conn", url, "/miners", conns=1)
    target(1, "GET /challenges/stats / GET /miners (p50, 1 connection, as deployed)",
           stats["p50_ms"] / miners1["p50_ms"], 3.0, False)
    health = load("healthz 32 conns", url, "/healthz")
    miners = load("miners 32 conns", url, "/miners")
    cond = load("miners 304 32 conns", url, "/miners", etag=True)
    signed = load("miners signed 32 conns", url, "/miners", signed=True)
    target(2, "GET /miners / GET /healthz (throughput, 32 keep-alive connections)",
           miners["rps"] / health["rps"], 0.5, True)
    target(2, "conditional GET /miners (304) / GET /healthz", cond["rps"] / health["rps"], 0.8, True)
    target(5, "signed GET /miners / unsigned GET /miners", signed["rps"] / miners["rps"], 0.7, True)
    signed_sr = load("miners signed sr25519 32 conns", url, "/miners", signed="sr25519")
    target(5, "GET /miners signed sr25519 / signed ed25519 (issue 14: sr25519 at most 2x the cost)",
           signed_sr["rps"] / signed["rps"], 0.5, True)

    body = os.path.join(WORK, "challenges.json")
    subprocess.run([GEN, "--body-out", body, "--challenges", str(BIG)], check=True)
    posts = load("POST /challenges x256 rows", url, "/challenges", conns=4, signed=True,
                 method="POST", body=body)
    http_rows = posts["rps"] * 256
    # The mixed load: reads and bulk writes together.
    reader = load("mixed: miners", url, "/miners", conns=8, background=True)
    # One writer posting 256-row batches back to back: a validator never has
    # two batches in flight, and this keeps one of the two cores busy.
    writer = load("mixed: challenges", url, "/challenges", conns=1, signed=True, method="POST",
                  body=body, background=True)
    mixed = finish("mixed: GET /miners", reader.communicate()[0])
    finish("mixed: POST /challenges", writer.communicate()[0])
    target(7, "mixed load: GET /miners p99 / p50", mixed["p99_ms"] / mixed["p50_ms"], 10.0, False)
    stop(proc)
    raw_db = fresh_copy(generate(BIG), "raw.db")
    raw = json.loads(subprocess.run([GEN, "--raw-insert", raw_db, "--batches", "60", "--challenges",
                                     str(BIG)], check=True, capture_output=True, text=True).stdout)
    results["runs"]["raw insert"] = raw
    say("bench: raw SQLite insert %.0f rows/s; POST /challenges %.0f rows/s" % (
        raw["raw_insert_rows_per_s"], http_rows))
    target(3, "POST /challenges rows/s / raw in-process SQLite insert rows/s",
           http_rows / raw["raw_insert_rows_per_s"], 0.4, True)

    allocations()
    target(6, "peak RSS of the server through the bench, MiB", peak_rss / 2**20, 64, False)
    tls()
    postgres(body)
    report()


def tls_files():
    """A CA and a P-256 certificate for localhost signed by it (openssl)."""
    d = os.path.join(WORK, "tls")
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run = lambda *a: subprocess.run(a, check=True, cwd=d, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=bench-ca")
    run("openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj",
        "/CN=localhost")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext")
    return [os.path.join(d, n) for n in ("ca.pem", "server.pem", "server.key")]


def tls():
    """Issue 16: HTTPS GET /miners with keep-alive against plain HTTP, the
    two servers up together on copies of one database and loaded one after
    the other; then new connections per second (a full handshake each)."""
    ca, cert, key_file = tls_files()
    plain, plain_url = start(fresh_copy(generate(SMALL), "tls-plain.db"))
    https, https_url = start(fresh_copy(generate(SMALL), "tls-https.db"), "--tls-cert", cert,
                             "--tls-key", key_file, scheme="https")
    miners = load("miners 32 conns, HTTP", plain_url, "/miners")
    miners_tls = load("miners 32 conns, HTTPS", https_url, "/miners", cacert=ca)
    target(8, "HTTPS GET /miners / HTTP GET /miners (32 keep-alive connections)",
           miners_tls["rps"] / miners["rps"], 0.7, True)
    conn = load("healthz, new connection each, HTTP", plain_url, "/healthz", conns=8, fresh=True)
    hs = load("healthz, new connection each, HTTPS", https_url, "/healthz", conns=8,
              cacert=ca, fresh=True)
    results["runs"]["tls"] = {"handshakes_per_s": hs["rps"], "http_connections_per_s": conn["rps"]}
    say("bench: %.0f HTTPS handshakes/s (new connections, 8 at a time); plain HTTP %.0f "
        "connections/s" % (hs["rps"], conn["rps"]))
    stop(https)
    stop(plain)


def tls_only():
    os.makedirs(WORK, exist_ok=True)
    key()
    tls()
    for r in results["targets"]:
        print("%-3s %-78s %10.3f  %s" % (r["target"], r["what"], r["measured"],
                                       "PASS" if r["pass"] else "FAIL"))


def allocations():
    """T4: 32 writers; group commit against one transaction per request."""
    paths = os.path.join(WORK, "alloc-paths.txt")
    body = os.path.join(WORK, "alloc.json")
    hotkeys = re.findall(r'"hotkey": "(\w+)"', open(os.path.join(WORK, "challenges.json")).read())
    with open(paths, "w") as f:
        f.write("".join("/allocations/%s\n" % h for h in hotkeys[:32]))
    with open(body, "w") as f:
        # {n} makes every request's row new (bench_load numbers them).
        json.dump({"details": {"username": "root", "password": "q8ZrT2mLx0", "port": 4444,
                               "version": 183, "ip": "203.0.113.7", "resource": "nvidia h100",
                               "regkey": "k", "ssh_key": "", "uuid": "u-{n}"}}, f)
    rates = {}
    for mode, flags in (("group commit", ()), ("one transaction per request", ("--no-group-commit",))):
        db = fresh_copy(generate(SMALL), "alloc.db")
        proc, url = start(db, *flags)
        rates[mode] = load("PUT /allocations, " + mode, url, "/allocations/x", conns=32, signed=True,
                           method="PUT", body=body, paths=paths)["rps"]
        stop(proc)
    raw_db = fresh_copy(generate(SMALL), "raw-commit.db")
    raw = json.loads(subprocess.run([GEN, "--raw-commit", raw_db, "--seconds", "2"], check=True,
                                    capture_output=True, text=True).stdout)["raw_commits_per_s"]
    results["runs"]["raw commits"] = {"raw_commits_per_s": raw}
    gc, simple = rates["group commit"], rates["one transaction per request"]
    say("bench: SQLite's own limit %.0f one-row commits/s" % raw)
    ok_gc = gc / simple
    ok_simple = simple / raw
    target(4, "PUT /allocations: group commit / one transaction per request",
           ok_gc, 5.0, True, "either this or the next line must hold")
    target(4, "PUT /allocations: one transaction per request / SQLite's one-row commit limit",
           ok_simple, 0.8, True, "either this or the previous line must hold")


def psql(url, sql):
    subprocess.run(["psql", "-q", url, "-c", sql], check=True, stdout=subprocess.DEVNULL)


def postgres(challenges_body):
    """The same loads on the PostgreSQL driver (one replica, a private local
    server started by scripts/pg.sh), after `computedb migrate` of the big
    database: figures, not targets."""
    pgdir = os.path.join(WORK, "pg")
    r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "pg.sh"), "start", pgdir],
                       capture_output=True, text=True)
    if r.returncode != 0 or not shutil.which("psql"):
        say("bench: no PostgreSQL server here (%s); driver figures skipped" % r.stderr.strip())
        return
    base = r.stdout.strip().splitlines()[-1]
    name = "bench_%d" % os.getpid()
    url = base.rsplit("/", 1)[0] + "/" + name
    pg = results["postgres"] = {}
    try:
        psql(base, "CREATE DATABASE " + name)
        src = fresh_copy(generate(BIG), "pg-source.db")
        t0 = time.time()
        subprocess.run([BIN, "migrate", "--from", "sqlite:" + src, "--to", url], check=True,
                       stdout=subprocess.DEVNULL)
        pg["migrate_seconds"] = round(time.time() - t0, 2)
        pg["migrate_rows"] = BIG
        say("bench: computedb migrate copied %d challenge rows in %.1f s" % (BIG, pg["migrate_seconds"]))
        proc, purl = start(url)
        pg["miners"] = load("postgres: miners 32 conns", purl, "/miners")["rps"]
        pg["miners_304"] = load("postgres: miners 304 32 conns", purl, "/miners", etag=True)["rps"]
        pg["miners_signed"] = load("postgres: miners signed 32 conns", purl, "/miners",
                                   signed=True)["rps"]
        pg["stats_p50_ms"] = load("postgres: stats 1 conn", purl, "/challenges/stats",
                                  conns=1)["p50_ms"]
        pg["challenge_rows"] = 256 * load("postgres: POST /challenges x256 rows", purl,
                                          "/challenges", conns=4, signed=True, method="POST",
                                          body=challenges_body)["rps"]
        pg["allocations"] = load("postgres: PUT /allocations", purl, "/allocations/x", conns=32,
                                 signed=True, method="PUT",
                                 body=os.path.join(WORK, "alloc.json"),
                                 paths=os.path.join(WORK, "alloc-paths.txt"))["rps"]
        stop(proc)
    finally:
        subprocess.run(["psql", "-q", base, "-c", "DROP DATABASE IF EXISTS " + name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["sh", os.path.join(ROOT, "scripts", "pg.sh"), "stop", pgdir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def driver_table():
    """SQLite and PostgreSQL side by side, from this run."""
    pg, runs = results.get("postgres"), results["runs"]
    if not pg or "allocations" not in pg:
        return
    rows = [
        ("GET /miners, 32 connections, req/s", runs["miners 32 conns"]["rps"], pg["miners"]),
        ("conditional GET /miners (304), req/s", runs["miners 304 32 conns"]["rps"], pg["miners_304"]),
        ("signed GET /miners, req/s", runs["miners signed 32 conns"]["rps"], pg["miners_signed"]),
        ("GET /challenges/stats, 1 connection, p50 ms", runs["stats 1 conn"]["p50_ms"],
         pg["stats_p50_ms"]),
        ("POST /challenges, rows/s", runs["POST /challenges x256 rows"]["rps"] * 256,
         pg["challenge_rows"]),
        ("PUT /allocations, 32 connections, req/s", runs["PUT /allocations, group commit"]["rps"],
         pg["allocations"]),
    ]
    print()
    print("%-48s %12s %12s" % ("drivers (same run, same machine)", "SQLite", "PostgreSQL"))
    for what, lite, post in rows:
        print("%-48s %12.1f %12.1f" % (what, lite, post))
    print("%-48s %12s %12.1f" % ("computedb migrate of %s challenge rows, s" % f"{BIG:,}", "-",
                                 pg["migrate_seconds"]))


def report():
    rows = results["targets"]
    t4 = [r for r in rows if r["target"] == 4]
    t4_pass = any(r["pass"] for r in t4)
    print()
    print("%-3s %-78s %10s %9s  %s" % ("#", "ratio", "measured", "limit", "result"))
    for r in rows:
        limit = (">= " if "at_least" in r else "<= ") + str(r["limit"])
        verdict = "PASS" if r["pass"] else ("PASS (4)" if r["target"] == 4 and t4_pass else "FAIL")
        print("%-3s %-78s %10.3f %9s  %s" % (r["target"], r["what"], r["measured"], limit, verdict))
    failed = [r for r in rows if not r["pass"] and not (r["target"] == 4 and t4_pass)]
    results["machine"] = {"cpus": os.cpu_count(), "cpu": cpu_model(), "kernel": platform.release(),
                          "quick": QUICK, "seconds_per_load": SECONDS, "big_rows": BIG}
    results["all_pass"] = not failed
    with open(os.path.join(ROOT, "bench", "results.json"), "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    driver_table()
    print("\n%d of %d targets pass; results in bench/results.json" % (
        len({r["target"] for r in rows}) - len({r["target"] for r in failed}),
        len({r["target"] for r in rows})))


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    try:
        tls_only() if TLS_ONLY else main()
    finally:
        for p in list(servers):
            p.kill()
