# SPDX-License-Identifier: MIT
"""ComputeDb: a signed HTTP connection to computedb, standing in for the
upstream class of the same name (compute/utils/db.py), which opened
database.db. Standard library only, plus `cryptography` for key files."""
import http.client
import json
import os
import random
import socket
import ssl
import threading
import time
import urllib.parse

from . import auth
from .errors import (ADVICE, ComputeDbError, InvalidError, UnavailableError,
                     error_for)

__all__ = ["ComputeDb", "DEFAULT_URL", "DEFAULT_KEY_FILE"]

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_KEY_FILE = os.path.join("data", "admin.key")
USER_AGENT = "computedb-client-python/0.1"

# Failures of a kept-alive connection the server had already closed: the
# request never reached it, so it is sent again on a fresh connection.
_STALE = (http.client.RemoteDisconnected, http.client.CannotSendRequest,
          BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class ComputeDb:
    """A connection to a computedb server.

    ComputeDb(url=None, key_file=None, signer=None, audience=None,
              timeout=30.0, retries=4, ssl_context=None)

    url       the server, e.g. "http://127.0.0.1:8080" (a path prefix is
              kept); else $COMPUTEDB_URL, else http://127.0.0.1:8080
    key_file  an ed25519 key file (`computedb keygen`); else $COMPUTEDB_KEY,
              else data/admin.key when it exists
    signer    instead of a key file: any object with .ss58_address and
              .sign(bytes) -> bytes, such as a Bittensor `wallet.hotkey`
              (sr25519); a wallet itself is taken as its hotkey
    audience  what the server's --audience says; else $COMPUTEDB_AUDIENCE,
              else "computedb"
    timeout   seconds per attempt (connect and each read)
    retries   how many times a 429 or 503 is retried (after its
              Retry-After, at most max_retry_wait seconds), re-signed each
              time; a GET is also retried after a network error

    Without any key the requests go unsigned, which only a server started
    with --public-read accepts (for reads). Safe to share between threads:
    each thread keeps its own kept-alive HTTP connection.
    """

    def __init__(self, url=None, key_file=None, signer=None, audience=None,
                 timeout=30.0, retries=4, ssl_context=None,
                 max_retry_wait=30.0):
        url = url or os.environ.get("COMPUTEDB_URL") or DEFAULT_URL
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be http://host[:port] or https://...")
        if parts.query or parts.fragment:
            raise ValueError("url must not have a query or fragment")
        self.url = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._ssl_context = ssl_context
        if signer is not None and key_file is not None:
            raise ValueError("give key_file or signer, not both")
        if signer is None:
            if key_file is None:
                key_file = os.environ.get("COMPUTEDB_KEY")
            if key_file is None and os.path.exists(DEFAULT_KEY_FILE):
                key_file = DEFAULT_KEY_FILE
            if key_file is not None:
                signer = auth.Ed25519Signer.from_file(key_file)
        self.signer = auth.as_signer(signer)
        self.audience = auth.check_audience(
            audience or os.environ.get("COMPUTEDB_AUDIENCE") or "computedb")
        self.timeout = timeout
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns = set()
        self.last_request_id = None  # X-Request-Id of the last answer
        self.last_purge = None  # purge_miner_entries: rows deleted per table
        self.last_skipped = []  # select_allocate_miners_hotkey: bad rows

    @property
    def ss58_address(self):
        """The address requests are signed as (None when unsigned)."""
        return self.signer.ss58_address if self.signer else None

    def __repr__(self):
        return "ComputeDb(%r, signer=%s)" % (self.url, self.ss58_address)

    # -- upstream ComputeDb compatibility ---------------------------------

    def init(self):
        """Upstream ran the schema DDL here; the server does that itself."""

    def get_cursor(self):
        raise NotImplementedError(
            "computedb_client.ComputeDb has no SQL cursor: use the database "
            "functions of computedb_client (or ComputeDb.request for another "
            "route of the REST API)")

    def close(self):
        """Closes the kept-alive connections (they reopen on the next call)."""
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- requests ----------------------------------------------------------

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._https:
                ctx = self._ssl_context or ssl.create_default_context()
                conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.timeout, context=ctx)
            else:
                conn = http.client.HTTPConnection(self._host, self._port,
                                                  timeout=self.timeout)
            self._local.conn = conn
            self._local.used = False
            with self._lock:
                self._conns.add(conn)
        return conn

    def _drop_connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            with self._lock:
                self._conns.discard(conn)
        self._local.conn = None

    def target(self, path, query=None):
        """The request-target for path (already quoted) and query (a dict
        or list of pairs; None values are left out)."""
        target = self._prefix + path
        if query:
            items = query.items() if isinstance(query, dict) else query
            pairs = [(k, v) for k, v in items if v is not None]
            if pairs:
                target += "?" + urllib.parse.urlencode(pairs)
        return target

    def _send_once(self, method, target, body):
        """One signed attempt: (status, headers, raw body). Reconnects once
        when a kept-alive connection turns out to be closed."""
        for fresh in (False, True):
            conn = self._connection()
            reused = self._local.used
            headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
            if body:
                headers["Content-Type"] = "application/json"
            if self.signer is not None:  # signed afresh on every attempt
                headers.update(auth.sign_headers(self.signer, self.audience,
                                                 method, target, body))
            try:
                conn.request(method, target, body=body or None,
                             headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except _STALE:
                self._drop_connection()
                if reused and not fresh:
                    continue
                raise
            except BaseException:
                self._drop_connection()
                raise
            self._local.used = True
            if resp.will_close:
                self._drop_connection()
            return resp.status, resp.headers, raw
        raise AssertionError("unreachable")

    def request(self, method, path, query=None, body=None, ok_missing=False):
        """Sends a signed request and returns the parsed JSON answer (None
        for 204). path is the route with its captures already quoted, body
        a JSON-able value (sent as json.dumps writes it, so key order is
        kept). Raises a ComputeDbError subclass for any error answer; with
        ok_missing, a 404 returns None instead."""
        method = method.upper()
        target = self.target(path, query)
        data = b""
        if body is not None:
            try:
                data = json.dumps(body, allow_nan=False).encode("ascii")
            except ValueError as e:
                raise InvalidError(str(e), code="invalid_argument") from None
        attempt = 0
        while True:
            try:
                status, headers, raw = self._send_once(method, target, data)
            except (OSError, http.client.HTTPException) as e:
                if method == "GET" and attempt < self.retries:
                    attempt += 1
                    time.sleep(min(0.2 * 2 ** attempt, self.max_retry_wait))
                    continue
                if isinstance(e, socket.timeout):
                    code = "timeout"
                else:
                    code = "connection_failed"
                raise UnavailableError("%s %s: %s" % (method, target, e),
                                       code=code) from e
            self.last_request_id = headers.get("X-Request-Id")
            if status in (429, 503) and attempt < self.retries:
                attempt += 1
                time.sleep(self._retry_after(headers, attempt))
                continue
            break
        if 200 <= status < 300:
            if status == 204 or not raw:
                return None
            return self._json(raw, status, method, target)
        if status == 404 and ok_missing:
            return None
        self._raise(status, raw, method, target)

    def _retry_after(self, headers, attempt):
        try:
            wait = float(headers.get("Retry-After", ""))
        except ValueError:
            wait = 0.5 * attempt
        wait = max(wait, 0.05) + random.uniform(0, 0.1)
        return min(wait, self.max_retry_wait)

    def _json(self, raw, status, method, target):
        try:
            return json.loads(raw)
        except ValueError:
            raise ComputeDbError("%s %s: the answer is not JSON" %
                                 (method, target), status=status,
                                 code="bad_response",
                                 request_id=self.last_request_id) from None

    def _raise(self, status, raw, method, target):
        err = {}
        try:
            err = json.loads(raw).get("error") or {}
        except (ValueError, AttributeError):
            pass
        if not isinstance(err, dict):
            err = {}
        message = err.get("message") or "%s %s: HTTP %d" % (method, target,
                                                              status)
        hint = err.get("hint") if isinstance(err.get("hint"), str) else None
        raise error_for(status, err.get("code"), message, err.get("field"),
                        err.get("request_id") or self.last_request_id, hint,
                        {k: err[k] for k in ADVICE if k in err})


def quote(segment):
    """A path capture, percent-encoded."""
    return urllib.parse.quote(str(segment), safe="")
