# SPDX-License-Identifier: MIT
"""Steady signed load for e2e.pg_failover, until SIGTERM.

    failover_load.py KEY LOG URL [URL...]

Writer threads send signed writes (POST /challenges, one row each; PUT
/allocations/HOTKEY for a new hotkey each time) and reader threads signed
GETs (/allocations, /challenges/stats), in turn to each URL, with the key
file KEY (an admin's). Every answer is one line of LOG:

    START_MS END_MS KIND KEY STATUS RETRY_AFTER URL_INDEX

KIND is challenge, allocation or read; KEY names the row a write stores (a
challenge's created_at, an allocation's hotkey; "-" for reads); STATUS is
the HTTP status (0 when no answer came); RETRY_AFTER the header's value or
"-". The test checks every 2xx write against the database afterwards.
Signing uses clients/python (PYTHONPATH), and so needs `cryptography`.
"""
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

from computedb_client import auth

WRITERS = 4
READERS = 2
PAUSE_S = 0.01  # between one thread's requests: steady, not flat out

stop = threading.Event()
log_lock = threading.Lock()


def now_ms():
    return int(time.time() * 1000)


class Target:
    """One replica: host and port of its URL."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port


def send(target, signer, method, path, body):
    """One signed request on a new connection: (status, Retry-After)."""
    raw = json.dumps(body).encode() if body is not None else b""
    headers = auth.sign_headers(signer, "computedb", method, path, raw)
    if raw:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(target.host, target.port, timeout=15)
    try:
        conn.request(method, path, body=raw or None, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("Retry-After") or "-"
    except (OSError, http.client.HTTPException):
        return 0, "-"
    finally:
        conn.close()


def record(log, start, kind, key, status, retry, index):
    line = "%d %d %s %s %d %s %d\n" % (start, now_ms(), kind, key, status,
                                       retry, index)
    with log_lock:
        log.write(line)
        log.flush()


def writer(n, targets, signer, log):
    hotkey = auth.ss58_address(bytes([n + 1]) * 32)
    seq = 0
    while not stop.is_set():
        seq += 1
        index = seq % len(targets)
        start = now_ms()
        if seq % 2:
            key = "2026-01-01T00:00:%02d.%06d" % (n, seq)
            body = {"challenges": [{
                "uid": n, "hotkey": hotkey, "success": True,
                "elapsed_time": 1.5, "difficulty": 3, "created_at": key}]}
            status, retry = send(targets[index], signer, "POST",
                                 "/challenges", body)
            record(log, start, "challenge", key, status, retry, index)
        else:
            key = auth.ss58_address(os.urandom(32))
            body = {"details": {"username": "root", "port": 4444,
                                "ip": "203.0.113.7", "version": seq}}
            status, retry = send(targets[index], signer, "PUT",
                                 "/allocations/" + key, body)
            record(log, start, "allocation", key, status, retry, index)
        time.sleep(PAUSE_S)


def reader(n, targets, signer, log):
    paths = ["/allocations", "/challenges/stats"]
    seq = n
    while not stop.is_set():
        seq += 1
        index = seq % len(targets)
        start = now_ms()
        status, retry = send(targets[index], signer, "GET",
                             paths[seq % len(paths)], None)
        record(log, start, "read", "-", status, retry, index)
        time.sleep(PAUSE_S)


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: failover_load.py KEY LOG URL [URL...]")
    signer = auth.Ed25519Signer.from_file(sys.argv[1])
    targets = [Target(u) for u in sys.argv[3:]]
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with open(sys.argv[2], "a") as log:
        threads = [threading.Thread(target=writer, args=(n, targets, signer,
                                                         log))
                   for n in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(n, targets, signer,
                                                          log))
                    for n in range(READERS)]
        for t in threads:
            t.start()
        while not stop.is_set():
            stop.wait(0.2)
        for t in threads:
            t.join()


if __name__ == "__main__":
    main()
