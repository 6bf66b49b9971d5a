# SPDX-License-Identifier: MIT
"""The upstream validator's database functions, over computedb's REST API.

Same names, arguments and return values as neuralinternet/compute-subnet
v1.8.3 (neurons/Validator/database/{miner,allocate,challenge,pog}.py and
ComputeWandb's run-id helpers), with `db` a computedb_client.ComputeDb.
Where upstream logged an error and returned a default (or dropped the
write), these raise a computedb_client.errors.ComputeDbError subclass.
"""
import datetime
import logging

from .client import ComputeDb, quote
from .errors import InvalidError

__all__ = [
    "select_miners", "update_miners", "purge_miner_entries", "sync_miners",
    "select_challenge_stats", "update_challenge_details",
    "get_miner_details", "update_miner_details",
    "select_has_docker_miners_hotkey", "select_allocate_miners_hotkey",
    "update_allocation_db", "update_blacklist_db",
    "update_pog_stats", "get_pog_specs", "write_stats", "retrieve_stats",
    "get_run_id", "save_run_id", "set_default_db",
]

log = logging.getLogger("computedb_client")

BATCH = 4096  # the most rows the server takes in one request

_default_db = None


def set_default_db(db):
    """The ComputeDb that update_allocation_db and update_blacklist_db use
    when not given one (upstream opened a fresh ComputeDb() there)."""
    global _default_db
    if db is not None and not isinstance(db, ComputeDb):
        raise TypeError("set_default_db takes a computedb_client.ComputeDb")
    _default_db = db


def _db(db):
    global _default_db
    if db is None:
        if _default_db is None:
            _default_db = ComputeDb()
        return _default_db
    if not isinstance(db, ComputeDb):
        raise TypeError("db must be a computedb_client.ComputeDb, not %s" %
                        type(db).__name__)
    return db


def _chunks(items):
    for i in range(0, len(items), BATCH):
        yield items[i:i + BATCH]


def _int_keys(mapping):
    return {int(k): v for k, v in mapping.items()}


# -- miner (neurons/Validator/database/miner.py) ----------------------------

def select_miners(db):
    """{uid: hotkey} of every row of `miner` (GET /miners)."""
    return _int_keys(_db(db).request("GET", "/miners"))


def update_miners(db, miners):
    """INSERT OR IGNORE each (uid, hotkey) pair into `miner` (PUT /miners,
    mode merge): a pair whose uid or hotkey is already stored is skipped
    silently, as upstream. Returns None."""
    db = _db(db)
    pairs = [{"uid": int(uid), "hotkey": hotkey} for uid, hotkey in miners]
    for chunk in _chunks(pairs):
        db.request("PUT", "/miners", body={"mode": "merge", "miners": chunk})


def sync_miners(db, miners):
    """Not upstream: the full metagraph as (uid, hotkey) pairs; every uid
    whose stored hotkey differs is purged first, then the pairs are
    inserted, in one transaction (PUT /miners, mode sync). Returns the
    server's answer: {"inserted", "ignored", "purged": [...]}."""
    pairs = [{"uid": int(uid), "hotkey": hotkey} for uid, hotkey in miners]
    if len(pairs) > BATCH:
        raise InvalidError("sync takes at most %d miners" % BATCH,
                           code="invalid_argument", field="miners")
    return _db(db).request("PUT", "/miners",
                           body={"mode": "sync", "miners": pairs})


def purge_miner_entries(db, uid, hotkey):
    """Deletes the deregistered miner's rows: miner, challenge_details and
    stats where uid AND hotkey match, miner_details and pog_stats where the
    hotkey does; allocation, blacklist and wandb_runs are left alone
    (DELETE /miners/{uid}?hotkey=, one transaction). Returns None; the
    per-table counts are in db.last_purge."""
    db = _db(db)
    db.last_purge = db.request("DELETE", "/miners/%d" % int(uid),
                               query={"hotkey": hotkey})


# -- challenge (neurons/Validator/database/challenge.py) --------------------

# upstream's key order
_CHALLENGE_KEYS = ("ss58_address", "challenge_attempts", "challenge_successes",
                   "challenge_failed", "challenge_elapsed_time_avg",
                   "challenge_difficulty_avg", "last_20_challenge_failed",
                   "last_20_difficulty_avg")
_STATS_KEYS = ("uid", "hotkey", "gpu_specs", "score", "allocated",
               "own_score", "reliability_score", "created_at")


def select_challenge_stats(db):
    """{uid: {"ss58_address", "challenge_attempts", "challenge_successes",
    "challenge_failed", "challenge_elapsed_time_avg",
    "challenge_difficulty_avg", "last_20_challenge_failed",
    "last_20_difficulty_avg"}} (GET /challenges/stats)."""
    answer = _db(db).request("GET", "/challenges/stats")
    return {int(uid): {k: row.get(k) for k in _CHALLENGE_KEYS}
            for uid, row in answer.items()}


def _success(value):
    if isinstance(value, bool) or value is None:
        return value
    if value in (0, 1):
        return bool(value)
    return value  # the server names it


def _integral(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def update_challenge_details(db, pow_benchmarks):
    """Records PoW results: each benchmark is a dict with uid, ss58_address,
    success, elapsed_time and difficulty; (uid, ss58_address) also goes into
    `miner` with INSERT OR IGNORE (POST /challenges, one transaction per
    4096 rows). created_at is this host's datetime.now().isoformat(), as
    upstream; a benchmark may give its own "created_at" in that format.
    Returns None."""
    db = _db(db)
    rows = []
    for b in pow_benchmarks:
        rows.append({
            "uid": _integral(b.get("uid")),
            "hotkey": b.get("ss58_address"),
            "success": _success(b.get("success")),
            "elapsed_time": b.get("elapsed_time"),
            "difficulty": _integral(b.get("difficulty")),
            "created_at": b.get("created_at") or
            datetime.datetime.now().isoformat(),
        })
    for chunk in _chunks(rows):
        db.request("POST", "/challenges", body={"challenges": chunk})


# -- allocate (neurons/Validator/database/allocate.py) ----------------------

def get_miner_details(db):
    """{hotkey: specs dict} of every miner_details row; empty, NULL (and, on
    computedb, unparsable) details read as {} (GET /miners/details)."""
    return _db(db).request("GET", "/miners/details")


def update_miner_details(db, hotkey_list, benchmark_responses):
    """Stores specs: for each (hotkey, specs), truthy specs are upserted as
    json.dumps text with no_specs_count 0; empty ones store '{}' and count
    no_specs_count up (1 for a new row, capped at 5). hotkey_list is
    ignored, as upstream (PUT /miners/details, one transaction per 4096
    rows). Returns None."""
    db = _db(db)
    rows = [{"hotkey": hotkey, "details": specs if specs else None}
            for hotkey, specs in benchmark_responses]
    for chunk in _chunks(rows):
        db.request("PUT", "/miners/details", body={"miners": chunk})


def select_has_docker_miners_hotkey(db):
    """[hotkey] of the miners whose details have has_docker exactly true,
    in miner_details id order (GET /miners/details?has_docker=true)."""
    found = _db(db).request("GET", "/miners/details",
                            query={"has_docker": "true"})
    return list(found)


def select_allocate_miners_hotkey(db, device_requirement):
    """[hotkey] of the miners that meet device_requirement ({"cpu": {count},
    "gpu": {} or {count, capacity, type}, "hard_disk": {capacity}, "ram":
    {capacity}}), in miner_details id order (POST /allocations/candidates).
    Upstream returned [] when any row failed to parse; computedb skips
    that row only: the skipped rows are logged as a warning and kept in
    db.last_skipped. A malformed requirement raises InvalidError."""
    db = _db(db)
    answer = db.request("POST", "/allocations/candidates",
                        body=device_requirement)
    db.last_skipped = answer.get("skipped") or []
    for row in db.last_skipped:
        log.warning("computedb skipped miner_details of %s: %s",
                    row.get("hotkey"), row.get("reason"))
    return list(answer["items"])


def update_allocation_db(hotkey, info, flag, db=None):
    """flag true: upserts the allocation row of hotkey with details = info
    (a dict, stored as json.dumps text in its key order; the row id is
    kept); flag false: deletes it, nothing happening when there is none
    (PUT or DELETE /allocations/{hotkey}). db defaults to
    set_default_db()'s, else ComputeDb() from the environment, as upstream
    opened a fresh ComputeDb(). Returns None."""
    db = _db(db)
    path = "/allocations/" + quote(hotkey)
    if flag:
        db.request("PUT", path, body={"details": info})
    else:
        db.request("DELETE", path, ok_missing=True)


def update_blacklist_db(hotkeys, flag, db=None):
    """flag true: adds each hotkey to the blacklist (already listed ones are
    left as they are); flag false: removes them (POST or DELETE /blacklist,
    one transaction per 4096 hotkeys). db as for update_allocation_db.
    Returns None."""
    db = _db(db)
    method = "POST" if flag else "DELETE"
    for chunk in _chunks(list(hotkeys)):
        db.request(method, "/blacklist", body={"hotkeys": chunk})


# -- pog (neurons/Validator/database/pog.py) --------------------------------

def update_pog_stats(db, hotkey, gpu_name, num_gpus):
    """Records a PoG result: (hotkey, name, n) for a pass, (hotkey, None,
    None) for a miner that failed every attempt; then only the hotkey's 4
    newest rows are kept (POST /pog/stats). Upstream dropped the write
    silently on any error; here it raises. Returns None."""
    _db(db).request("POST", "/pog/stats",
                    body={"hotkey": hotkey, "gpu_name": gpu_name,
                          "num_gpus": _integral(num_gpus)})


def get_pog_specs(db, hotkey):
    """{"gpu_name", "num_gpus"} of the hotkey's newest passing PoG row, or
    None when it has none (GET /pog/stats/{hotkey})."""
    row = _db(db).request("GET", "/pog/stats/" + quote(hotkey),
                          ok_missing=True)
    if row is None:
        return None
    return {"gpu_name": row["gpu_name"], "num_gpus": row["num_gpus"]}


def _stat_record(uid, data):
    specs = data.get("gpu_specs")
    try:
        score = float(data.get("score", 0))
    except (TypeError, ValueError):
        raise InvalidError("score must be a number", code="invalid_argument",
                           field="stats.%s.score" % uid) from None
    record = {
        "hotkey": data.get("hotkey"),
        "gpu_specs": specs,
        "score": score,
        "allocated": bool(data.get("allocated")),
        "own_score": bool(data.get("own_score")),
    }
    if data.get("reliability_score") is not None:
        record["reliability_score"] = data["reliability_score"]
    return record


def write_stats(db, stats):
    """Upserts every {uid: record} of stats (hotkey, gpu_specs as a dict,
    JSON text or None, score, allocated, own_score, reliability_score), with
    created_at refreshed (PUT /stats, one transaction per 4096 records).
    Upstream rolled the batch back silently on a bad record; here the
    whole batch is refused with InvalidError naming the field
    ("stats.12.hotkey"). None for allocated or own_score is stored as
    false (upstream stored NULL, which both read back as false).
    Returns None."""
    db = _db(db)
    records = [(str(int(uid)), _stat_record(uid, data))
               for uid, data in stats.items()]
    for chunk in _chunks(records):
        db.request("PUT", "/stats", body={"stats": dict(chunk)})


def retrieve_stats(db):
    """{uid: {"uid", "hotkey", "gpu_specs" (dict or None), "score" (float,
    NULL -> 0.0), "allocated" (bool), "own_score" (bool),
    "reliability_score", "created_at"}} (GET /stats)."""
    stats = {}
    for uid, row in _db(db).request("GET", "/stats").items():
        record = {k: row.get(k) for k in _STATS_KEYS}
        record["score"] = float(record["score"] or 0)
        rel = record["reliability_score"]
        if isinstance(rel, int) and not isinstance(rel, bool):
            record["reliability_score"] = float(rel)
        stats[int(uid)] = record
    return stats


# -- ComputeWandb run ids (compute/wandb/wandb.py) --------------------------

def get_run_id(db, hotkey):
    """The W&B run id stored for hotkey, or None (GET /wandb-runs/{hotkey});
    ComputeWandb.get_run_id(hotkey) upstream."""
    row = _db(db).request("GET", "/wandb-runs/" + quote(hotkey),
                          ok_missing=True)
    return None if row is None else row["run_id"]


def save_run_id(db, hotkey, run_id):
    """Stores the run id when the hotkey has none; the same id again is a
    no-op (PUT /wandb-runs/{hotkey}); ComputeWandb.save_run_id upstream.
    Upstream logged and kept the old id when another one was stored; here
    that raises ConflictError. Returns None."""
    _db(db).request("PUT", "/wandb-runs/" + quote(hotkey),
                    body={"run_id": run_id})
