#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validates every response the HTTP tests received against openapi.json.

The test harness appends one JSON line per response to a file in
COMPUTEDB_RESPONSE_LOG (method, path, status, content type, body). For each
response to a documented operation, its status must be documented, and a
JSON body must validate (JSON Schema 2020-12, the python3-jsonschema
package) against the schema of that status. Exit 77 without jsonschema.
"""
import glob
import json
import os
import re
import sys
import warnings

try:
    import jsonschema
except ImportError:
    print("responses: python3-jsonschema is not installed; skipped")
    sys.exit(77)

warnings.simplefilter("ignore", DeprecationWarning)


def operations(doc):
    """[(regex, method, operation)] for every documented operation."""
    ops = []
    for path, item in doc["paths"].items():
        rx = "^" + re.sub(r"\{[^/]+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                ops.append((re.compile(rx), method.upper(), op))
    # Literal paths before templated ones, as the server's router does.
    ops.sort(key=lambda t: "[^/]+" in t[0].pattern)
    return ops


def find(ops, method, path):
    """The operation the server would run: a literal path outranks a
    templated one whatever the method (DELETE /miners/details is a 405, not
    DELETE /miners/{uid})."""
    hits = [(rx, m, op) for rx, m, op in ops if rx.match(path)]
    if any("[^/]+" not in rx.pattern for rx, _, _ in hits):
        hits = [h for h in hits if "[^/]+" not in h[0].pattern]
    return next((op for _, m, op in hits if m == method), None)


def resolve(doc, obj):
    while isinstance(obj, dict) and "$ref" in obj:
        node = doc
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def main():
    src = os.environ["COMPUTEDB_SOURCE_DIR"]
    logdir = os.environ["COMPUTEDB_RESPONSE_LOG"]
    doc = json.load(open(os.path.join(src, "openapi", "openapi.json")))
    resolver = jsonschema.RefResolver.from_schema(doc)
    ops = operations(doc)
    checked = problems = 0
    for name in sorted(glob.glob(os.path.join(logdir, "*.jsonl"))):
        for line in open(name, encoding="utf-8"):
            rec = json.loads(line)
            path = rec["path"].split("?", 1)[0]
            match = find(ops, rec["method"], path)
            if match is None:
                continue  # unknown route or method: 404/405, not an operation
            responses = match["responses"]
            status = str(rec["status"])
            if status not in responses:
                print("undocumented status %s for %s %s: %s" % (status, rec["method"], rec["path"], rec["body"]))
                problems += 1
                continue
            checked += 1
            content = resolve(doc, responses[status]).get("content", {})
            media = content.get("application/json")
            if rec["body"] is None or media is None:
                continue
            validator = jsonschema.Draft202012Validator(media["schema"], resolver=resolver)
            errors = sorted(validator.iter_errors(rec["body"]), key=lambda e: list(e.path))
            for err in errors[:3]:
                print("%s %s -> %s: %s at %s" % (rec["method"], rec["path"], status, err.message[:300],
                                                  "/".join(map(str, err.path))))
            problems += bool(errors)
    print("responses: %d checked against openapi.json, %d problems" % (checked, problems))
    if checked == 0:
        print("responses: nothing was recorded; did the HTTP tests run?")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
