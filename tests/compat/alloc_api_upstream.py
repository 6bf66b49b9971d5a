#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The upstream allocation API's two database reads, restated for the
compat test (test_alloc_api_compat.c): neurons/register_api.py's
/list/allocations_sql and /list/resources_sql row-to-object logic, the
FastAPI glue in front of them (query and body binding, the custom 422
handler) and get_miner_details, as behaviour, written anew. Its quirks are
kept on purpose: the test shows where computedb differs (docs/upstream.md
1.3). Where upstream asks W&B (running miner runs, other validators'
rentals) this extract takes computedb's documented stand-ins: every
miner_details row counts as running, and a hotkey with an allocation row is
reserved.

Usage:
  alloc_api_upstream.py sets                the names of the row sets (JSON)
  alloc_api_upstream.py run DB SET          writes SET's rows to DB (as
      upstream writes them) and prints its cases with upstream's answers:
      [{"path", "body", "ctype", "status", "answer", "loose"?,
        "upstream_all"?}]; for a case with "without", the answer is over the
      rows less those hotkeys' and upstream_all over all of them.
Validation cases need pydantic 2 (FastAPI's validator); without it they
are left out and the other inputs are read with plain int() and float().
"""
import json
import sqlite3
import sys
from urllib.parse import parse_qsl, urlsplit

try:
    from typing import Optional

    import pydantic
    from pydantic import BaseModel, TypeAdapter, ValidationError

    HAVE_PYDANTIC = pydantic.VERSION.startswith("2.")
except ImportError:
    HAVE_PYDANTIC = False

GIB = 1024.0 ** 3


def hk(n):
    return "5Hotkey%02dxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" % n


# ---- the rows --------------------------------------------------------------


def spec(cpu_count, gpu_name, gpu_count, cap_mib, ram_avail, disk_free, **over):
    d = {
        "cpu": {"count": cpu_count, "frequency": 2000.0},
        "gpu": {"count": gpu_count, "capacity": cap_mib,
                "details": [{"name": gpu_name, "capacity": cap_mib}]},
        "hard_disk": {"total": 4 * disk_free, "free": disk_free},
        "ram": {"total": 2 * ram_avail, "available": ram_avail},
        "has_docker": True,
    }
    for k, v in over.items():
        d[k] = v
    return json.dumps(d)


def alloc(user, ip, port, resource, uuid, version=None, ssh_key=""):
    info = {"username": user, "password": "pw-" + uuid, "port": port}
    if version is not None:
        info["version"] = version
    info.update({"ip": ip, "resource": resource, "regkey": "PEM " + uuid,
                 "ssh_key": ssh_key, "uuid": uuid})
    return json.dumps(info)


FLEET_SPECS = [
    (hk(1), spec(64, "NVIDIA H100 80GB HBM3", 8, 652472.0, 2100000000000, 3500000000000)),
    (hk(2), spec(32, "NVIDIA A100-SXM4-80GB", 4, 327680, 536870912000, 1073741824000)),
    (hk(3), spec(8, "NVIDIA GeForce RTX 4090", 1, 24564.0, 68719476736, 107374182400)),
    (hk(4), spec("16", "NVIDIA H200", 2.0, 286720.5, 1099511627776.5, 2199023255552)),
    (hk(5), spec(12.7, 4090, True, True, 1, 0)),
    (hk(6), spec(8, "NVIDIA L40", 1, 46068.0, 1, 1, hard_disk={})),
    (hk(7), json.dumps({"gpu": {"count": 1, "capacity": 1, "details": []}})),
    (hk(8), spec(8, "NVIDIA L4", "2", 23034.0, 1, 1)),
    (hk(9), spec("8.5", "NVIDIA T4", 1, 15360.0, 1, 1)),
    (hk(10), spec(24, "NVIDIA RTX A6000", 2, 98304.0, 274877906944, 536870912000)),
    (hk(11), json.dumps([1, 2])),
    (hk(12), spec(4, "Tesla V100", 1, 16384.0, 34359738368, 53687091200,
                  cpu={"count": 4}, extra={"note": "caf\u00e9"})),
]
FLEET_ALLOCS = [
    (hk(2), alloc("root", "203.0.113.7", 4444, "nvidia a100-sxm4-80gb", "u-2", 183, "ssh-ed25519 AAAA k")),
    (hk(40), alloc("ubuntu", "198.51.100.2", "2222", "No details available", "u-40")),
    (hk(10), alloc("root", "192.0.2.10", 4444.0, "nvidia rtx a6000", "u-10", None)),
]
SETS = {
    "empty": ([], []),
    "fleet": (FLEET_SPECS, FLEET_ALLOCS),
    "allocs_only": ([], FLEET_ALLOCS),
    # placeholder rows ('{}', NULL) and a row that is no JSON, mid-table
    "quirks": (FLEET_SPECS[:2] + [(hk(20), "{}"), (hk(21), None)] + FLEET_SPECS[2:4]
               + [(hk(22), "not json")] + FLEET_SPECS[4:], FLEET_ALLOCS),
    "alloc_no_key": ([], FLEET_ALLOCS[:1] + [(hk(41), json.dumps({"username": "u", "password": "p", "port": 1, "ip": "i", "resource": "r", "uuid": "x"}))]),
    "alloc_null": ([], FLEET_ALLOCS[:1] + [(hk(42), None)]),
    "alloc_str": ([], [(hk(43), '"text"')] + FLEET_ALLOCS[:1]),
    "alloc_int": ([], [(hk(44), "5")]),
    "alloc_bad_json": ([], [(hk(45), "{\"username\": ")]),
    "alloc_empty_text": ([], [(hk(46), "")]),
}


def load(db, name):
    specs, allocs = SETS[name]
    con = sqlite3.connect(db, timeout=10)
    con.execute("DELETE FROM miner_details")
    con.execute("DELETE FROM allocation")
    for hotkey, details in specs:
        con.execute("INSERT INTO miner_details (hotkey, details) VALUES (?, ?)", (hotkey, details))
    for hotkey, details in allocs:
        con.execute("INSERT INTO allocation (hotkey, details) VALUES (?, ?)", (hotkey, details))
    con.commit()
    con.close()


# ---- upstream's objects --------------------------------------------------


class Obj:
    """A pydantic-less stand-in for upstream's models: attributes assigned
    without validation (upstream never validates assignment), dumped in
    field order with the defaults."""

    FIELDS = ()

    def __init__(self):
        for k, v in self.FIELDS:
            setattr(self, k, v)

    def dump(self):
        return {k: getattr(self, k) for k, _ in self.FIELDS}


class Allocation(Obj):
    FIELDS = (("resource", ""), ("hotkey", ""), ("regkey", ""), ("ssh_ip", ""),
              ("ssh_port", 4444), ("ssh_username", ""), ("ssh_password", ""),
              ("ssh_command", ""), ("ssh_key", ""), ("uuid_key", ""), ("miner_version", 0))


class Resource(Obj):
    FIELDS = (("hotkey", ""), ("cpu_count", 1), ("gpu_name", ""), ("gpu_capacity", ""),
              ("gpu_count", 1), ("ram", "0"), ("hard_disk", "0"), ("allocate_status", ""))


def get_miner_details(rows):
    """neurons/Validator/database/allocate.py: one try around the loop, so
    a row json.loads rejects ends the reading there."""
    out = {}
    try:
        for hotkey, details in rows:
            out[hotkey] = json.loads(details) if details else {}
    except Exception:
        pass
    return out


# ---- /list/allocations_sql -----------------------------------------------


def list_allocations(rows):
    allocation_list = []
    try:
        if not rows:
            return 404, {"success": False, "message": "No resources found.",
                         "data": "No allocated resources found. Allocate a resource with validator."}
        for hotkey, details in rows:
            info = json.loads(details)
            entry = Allocation()
            entry.hotkey = hotkey
            entry.resource = info["resource"]
            entry.ssh_username = info["username"]
            entry.ssh_password = info["password"]
            entry.ssh_port = info["port"]
            entry.ssh_ip = info["ip"]
            entry.ssh_command = f"ssh {info['username']}@{info['ip']} -p {info['port']}"
            entry.uuid_key = info["uuid"]
            entry.ssh_key = info["ssh_key"]
            entry.miner_version = info.get("version", 0)
            allocation_list.append(entry)
    except Exception as e:
        return 403, {"success": False, "message": "An error occurred while retrieving allocation details.",
                     "err_detail": e.__repr__()}
    return 200, {"success": True, "message": "List allocations successfully.",
                 "data": [a.dump() for a in allocation_list]}


# ---- /list/resources_sql -------------------------------------------------


def paginate(items, page_number, page_size):
    start_index = (page_number - 1) * page_size
    end_index = start_index + page_size
    has_next_page = end_index < len(items)
    return {"page_items": items[start_index:end_index], "page_number": page_number,
            "page_size": page_size, "next_page_number": page_number + 1 if has_next_page else None}


def read_resource(details):
    """The first try block: the six values, or None for "Invalid details"."""
    try:
        gpu_miner = details["gpu"]
        gpu_capacity = "{:.2f}".format(gpu_miner["capacity"] / 1024)
        gpu_name = str(gpu_miner["details"][0]["name"]).lower()
        gpu_count = gpu_miner["count"]
        cpu_count = details["cpu"]["count"]
        ram = "{:.2f}".format(details["ram"]["available"] / 1024.0 ** 3)
        hard_disk = "{:.2f}".format(details["hard_disk"]["free"] / 1024.0 ** 3)
        gpu_instances, total_gpu_counts = {}, {}
        gpu_instances[(gpu_name, gpu_count)] = gpu_instances.get((gpu_name, gpu_count), 0) + 1
        total_gpu_counts[gpu_name] = total_gpu_counts.get(gpu_name, 0) + gpu_count
    except (KeyError, IndexError, TypeError):
        return None
    return gpu_name, gpu_capacity, gpu_count, cpu_count, ram, hard_disk


def filtered_out(q, gpu_name, gpu_capacity, cpu_count, ram, hard_disk):
    return ((q.gpu_name is not None and q.gpu_name.lower() not in gpu_name)
            or (q.gpu_capacity_max is not None and float(gpu_capacity) > q.gpu_capacity_max)
            or (q.gpu_capacity_min is not None and float(gpu_capacity) < q.gpu_capacity_min)
            or (q.cpu_count_max is not None and int(cpu_count) > q.cpu_count_max)
            or (q.cpu_count_min is not None and int(cpu_count) < q.cpu_count_min)
            or (q.ram_total_max is not None and float(ram) > q.ram_total_max)
            or (q.ram_total_min is not None and float(ram) < q.ram_total_min)
            or (q.hard_disk_total_max is not None and float(hard_disk) > q.hard_disk_total_max)
            or (q.hard_disk_total_min is not None and float(hard_disk) < q.hard_disk_total_min))


def list_resources(specs_details, running, allocated, query, stats, page_size, page_number):
    resource_list = []
    if not specs_details:
        return 404, {"success": False, "message": "There is no resource available",
                     "err_detail": "No resources found."}
    for hotkey, details in specs_details.items():
        if hotkey not in running:
            continue
        if details:
            resource = Resource()
            got = read_resource(details)
            if got is None:
                gpu_name = "Invalid details"
            else:
                gpu_name, gpu_capacity, gpu_count, cpu_count, ram, hard_disk = got
        else:
            gpu_name = "No details available"
        allocate_status = "reserved" if hotkey in allocated else "available"
        # outside any try: with empty details this is the previous
        # row's object (relabelled), or unbound on the first (HTTP 500)
        try:
            resource.hotkey = hotkey
        except NameError:
            return 500, None
        try:
            if gpu_name in ("Invalid details", "No details available"):
                continue
            if query is not None and filtered_out(query, gpu_name, gpu_capacity, cpu_count, ram, hard_disk):
                continue
            resource.cpu_count = int(cpu_count)
            resource.gpu_name = gpu_name
            resource.gpu_capacity = float(gpu_capacity)
            resource.gpu_count = int(gpu_count)
            resource.ram = float(ram)
            resource.hard_disk = float(hard_disk)
            resource.allocate_status = allocate_status
            resource_list.append(resource)
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    ok = {"success": True, "message": "List resources successfully"}
    if stats:
        counts = {"available": 0, "reserved": 0, "total": 0}
        for item in resource_list:
            counts[item.allocate_status] += 1
            counts["total"] += 1
        return 200, dict(ok, data={"stats": counts})
    items = [r.dump() for r in resource_list]
    if page_number:
        return 200, dict(ok, data=paginate(items, page_number, page_size if page_size else 50))
    return 200, dict(ok, data={"page_items": items, "page_number": 1,
                               "page_size": len(items), "next_page_number": None})


# ---- FastAPI in front of it ----------------------------------------------

if HAVE_PYDANTIC:
    class ResourceQuery(BaseModel):
        gpu_name: Optional[str] = None
        cpu_count_min: Optional[int] = None
        cpu_count_max: Optional[int] = None
        gpu_capacity_min: Optional[float] = None
        gpu_capacity_max: Optional[float] = None
        hard_disk_total_min: Optional[float] = None
        hard_disk_total_max: Optional[float] = None
        ram_total_min: Optional[float] = None
        ram_total_max: Optional[float] = None


def fastapi_inputs(query_string, body, ctype):
    """(errors, query, stats, page_size, page_number) as FastAPI binds
    list_resources(query: ResourceQuery = None, stats: bool = False,
    page_size: Optional[int] = None, page_number: Optional[int] = None)."""

    value = None
    if body:
        main, _, sub = (ctype or "application/json").split(";")[0].strip().lower().partition("/")
        if main == "application" and (sub == "json" or sub.endswith("+json")):
            try:
                value = json.loads(body)
            except json.JSONDecodeError as e:
                return [{"field": e.pos, "message": "JSON decode error"}], None, False, None, None
        else:
            value = body.encode()
    params = dict(parse_qsl(query_string, keep_blank_values=True))
    if not HAVE_PYDANTIC:
        return plain_inputs(params, value)
    errors, got = [], {}
    for name, typ, default in (("stats", bool, False), ("page_size", Optional[int], None),
                               ("page_number", Optional[int], None)):
        try:
            got[name] = TypeAdapter(typ).validate_python(params[name]) if name in params else default
        except ValidationError as e:
            errors += [{"field": name, "message": x["msg"]} for x in e.errors()]
    query = None
    if value is not None:
        try:
            query = TypeAdapter(ResourceQuery).validate_python(value, from_attributes=True)
        except ValidationError as e:
            errors += [{"field": (("body",) + tuple(x["loc"]))[-1], "message": x["msg"]} for x in e.errors()]
    return errors, query, got.get("stats"), got.get("page_size"), got.get("page_number")


class PlainQuery:
    INTS = ("cpu_count_min", "cpu_count_max")
    FLOATS = ("gpu_capacity_min", "gpu_capacity_max", "hard_disk_total_min",
              "hard_disk_total_max", "ram_total_min", "ram_total_max")

    def __init__(self, body):
        self.gpu_name = body.get("gpu_name")
        for k in self.INTS + self.FLOATS:
            v = body.get(k)
            setattr(self, k, None if v is None else (int if k in self.INTS else float)(v))


def plain_inputs(params, value):
    """Well-formed inputs only, for a Python without pydantic 2."""
    def num(name):
        return int(params[name]) if name in params else None
    stats = params.get("stats", "false").lower() in ("1", "on", "t", "true", "y", "yes")
    query = PlainQuery(value) if isinstance(value, dict) else None
    return [], query, stats, num("page_size"), num("page_number")


def answer(db, path, body, ctype, without):
    con = sqlite3.connect(db, timeout=10)
    url = urlsplit(path)
    if url.path == "/list/allocations_sql":
        rows = [r for r in con.execute("SELECT hotkey, details FROM allocation ORDER BY id") if r[0] not in without]
        return list_allocations(rows)
    errors, query, stats, page_size, page_number = fastapi_inputs(url.query, body, ctype)
    if errors:
        return 422, {"success": False, "message": "Validation Error, Please check the request body.",
                     "err_detail": errors}
    rows = [r for r in con.execute("SELECT hotkey, details FROM miner_details ORDER BY id") if r[0] not in without]
    specs = get_miner_details(rows)
    allocated = [r[0] for r in con.execute("SELECT hotkey FROM allocation")]
    return list_resources(specs, set(specs), allocated, query, stats, page_size, page_number)


# ---- the plan --------------------------------------------------------------


def cases():
    R = "/list/resources_sql"
    A = "/list/allocations_sql"
    plan = [("empty", A, None), ("empty", R, None), ("empty", R + "?stats=true", None),
            ("allocs_only", R, None), ("allocs_only", A, None), ("fleet", A, None), ("fleet", A, "[1]")]
    for q in ["", "?page_number=1&page_size=2", "?page_number=2&page_size=2", "?page_number=4&page_size=2",
              "?page_number=5&page_size=2", "?page_number=0&page_size=2", "?page_number=-1&page_size=2",
              "?page_number=2&page_size=-1", "?page_number=1&page_size=0", "?page_number=-3&page_size=1",
              "?page_number=3", "?page_size=2", "?page_number=9999999999&page_size=3",
              "?stats=true", "?stats=0&page_number=1", "?stats=YES&page_number=2&page_size=1"]:
        plan.append(("fleet", R + q, None))
    for b in ["{}", "null", '{"gpu_name": "NVIDIA"}', '{"gpu_name": "h1"}', '{"gpu_name": "409"}',
              '{"cpu_count_min": 12, "cpu_count_max": "16"}', '{"gpu_capacity_min": 23.99, "gpu_capacity_max": 320}',
              '{"ram_total_min": 64.0}', '{"ram_total_max": "500"}', '{"hard_disk_total_min": 1000, "extra": [1]}',
              '{"hard_disk_total_max": 100.0, "cpu_count_min": true}', '{"gpu_capacity_min": "nan"}',
              '{"gpu_capacity_max": "inf", "cpu_count_min": "1_2"}', '{"cpu_count_min": 8.0, "gpu_name": null}']:
        plan.append(("fleet", R, b))
        plan.append(("fleet", R + "?stats=true", b))
    plan.append(("fleet", R + "?page_number=2&page_size=1", '{"cpu_count_min": 8}'))
    if HAVE_PYDANTIC:
        for q, b in [("?stats=maybe", None), ("?page_size=x&page_number=1.5", None), ("?page_number=", None),
                     ("?page_number=1.0&page_size=%202%20", None), ("", "[1]"), ("", '"text"'), ("", "5"),
                     ("?stats=2", '{"gpu_name": 5, "cpu_count_min": 1.5, "cpu_count_max": "x", '
                                  '"gpu_capacity_min": "y", "ram_total_max": [1], "hard_disk_total_min": {}}'),
                     ("", '{"cpu_count_min": 1e20}'), ("", "{"), ("", '{"gpu_name": "a" 1}'), ("", "[1, }"),
                     ("", '{"gpu_name": "caf\u00e9" x}'), ("", '{"gpu_name": tru}'), ("", '{"gpu_name": "ab'),
                     ("", "[1,]"), ("", "")]:
            plan.append(("fleet", R + q, b))
        plan.append(("fleet", R, "text/plain:{}"))
    plan += [("alloc_no_key", A, None), ("alloc_null", A, None), ("alloc_str", A, None),
             ("alloc_int", A, None), ("alloc_empty_text", A, None)]
    out = [{"set": s, "path": p, "body": b} for s, p, b in plan]
    out.append({"set": "alloc_bad_json", "path": A, "body": None, "loose": True})
    # computedb's deliberate differences: the same answer as upstream's
    # over the rows without the quirk rows
    for q in ["", "?stats=true", "?page_number=2&page_size=2"]:
        out.append({"set": "quirks", "path": R + q, "body": None, "without": [hk(20), hk(21), hk(22)]})
    for c in out:
        if c["body"] and c["body"].startswith("text/plain:"):
            c["ctype"], c["body"] = "text/plain", c["body"][len("text/plain:"):]
    return out


def run(db, name):
    load(db, name)
    out = []
    for c in cases():
        if c["set"] != name:
            continue
        status, body = answer(db, c["path"], c["body"], c.get("ctype"), set(c.get("without", [])))
        c.update(status=status, answer=body)
        if "without" in c:
            c["upstream_all"] = answer(db, c["path"], c["body"], c.get("ctype"), set())[1]
        out.append(c)
    return out


def main(argv):
    if argv[1] == "sets":
        names = []
        for c in cases():
            if c["set"] not in names:
                names.append(c["set"])
        print(json.dumps(names))
    else:
        print(json.dumps(run(argv[2], argv[3])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
