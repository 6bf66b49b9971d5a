#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The monitoring files in dist/: the alert rules parse and their unit
# tests pass (promtool); the Grafana dashboard is well formed, every query
# in it parses as PromQL, and every metric the dashboard and the rules use
# is one a real server exports; the compose profile's Prometheus config
# loads and points at the rules.
set -u
. "$(dirname "$0")/lib.sh"

src=${COMPUTEDB_SOURCE_DIR:?COMPUTEDB_SOURCE_DIR is not set}
command -v promtool >/dev/null || { echo "$name: skipped (no promtool: apt-get install prometheus)"; exit 77; }
prom=$src/dist/prometheus
dash=$src/dist/grafana/computedb.json

promtool check rules "$prom/computedb.rules.yml" >"$dir/out" 2>&1 || { cat "$dir/out"; bad "alert rules do not parse"; }
(cd "$prom" && promtool test rules computedb.rules.test.yml) >"$dir/out" 2>&1 \
    || { cat "$dir/out"; bad "alert rule unit tests failed"; }
sed "s|/etc/prometheus/computedb.rules.yml|$prom/computedb.rules.yml|" "$prom/prometheus.yml" >"$dir/prometheus.yml"
promtool check config "$dir/prometheus.yml" >"$dir/out" 2>&1 || { cat "$dir/out"; bad "prometheus.yml does not load"; }

# A real server's metrics, with the series that appear on first use made
# to appear: requests, a refused signature, a write, a challenge.
start
curl -s -o /dev/null "$COMPUTEDB_URL/miners"
"$bin" call POST /challenges --data '{"challenges": [{"uid": 1, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "success": true, "elapsed_time": 1.5, "difficulty": 8}]}' >/dev/null \
    || bad "POST /challenges"
curl -s "$COMPUTEDB_URL/metrics" >"$dir/metrics.txt"
stop

# The dashboard: structure, then each query through promtool's parser (as
# recording rules, with Grafana's variables given values), then the
# metric names against the server's.
python3 - "$dash" "$dir" "$prom/computedb.rules.yml" "$dir/metrics.txt" <<'PY' || bad "the dashboard or rules do not match the server (above)"
import json, re, sys
dash_path, out, rules_path, metrics_path = sys.argv[1:]
d = json.load(open(dash_path))
errors = []
def err(msg):
    errors.append(msg)
for key in ("title", "uid", "panels", "templating", "schemaVersion"):
    if key not in d:
        err("dashboard lacks %s" % key)
names = [v["name"] for v in d["templating"]["list"]]
if names != ["datasource", "job", "instance"]:
    err("variables are %s" % names)
ids, exprs = set(), []
for p in d["panels"]:
    if p["id"] in ids:
        err("panel id %d twice" % p["id"])
    ids.add(p["id"])
    g = p.get("gridPos", {})
    if not (0 <= g.get("x", -1) and g.get("w", 0) > 0 and g["x"] + g["w"] <= 24 and g.get("h", 0) > 0):
        err("panel %r has a bad gridPos %s" % (p["title"], g))
    if p["type"] == "row":
        continue
    if p.get("datasource", {}).get("uid") != "${datasource}":
        err("panel %r does not use the datasource variable" % p["title"])
    refs = [t["refId"] for t in p.get("targets", [])]
    if not refs or len(set(refs)) != len(refs):
        err("panel %r has targets %s" % (p["title"], refs))
    for t in p.get("targets", []):
        exprs.append((p["title"], t["expr"]))
# PromQL syntax: every query as a recording rule for promtool.
with open(out + "/dashboard_rules.yml", "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, e) in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$job", ".*").replace("$instance", ".*")
        f.write("      - record: dashboard:q%d\n        expr: %s\n" % (i, json.dumps(e)))
# Metric names: those the queries and rules use, against the server's.
exported = set()
for line in open(metrics_path):
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        exported.add(m.group(1))
        if m.group(2) == "histogram":
            exported.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
rules_text = open(rules_path).read()
used = set()
keywords = {"sum", "by", "rate", "increase", "histogram_quantile", "max", "le", "up",
            "job", "instance", "route", "method", "status", "reason", "phase", "outcome",
            "table", "kind", "state", "verdict"}
for text in [e for _, e in exprs] + re.findall(r"expr: \|?\s*(.+?)\n\s+(?:for|labels):", rules_text, re.S):
    text = re.sub(r'"[^"]*"', "", text)
    for word in re.findall(r"\b[a-z_][a-z0-9_]*\b", text):
        if word.startswith(("computedb_", "process_")):
            used.add(word)
missing = sorted(used - exported)
if missing:
    err("metrics used but not exported by the server: %s" % ", ".join(missing))
if len(used) < 20:
    err("only %d metric names found in the dashboard and rules: the scan is broken" % len(used))
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY
promtool check rules "$dir/dashboard_rules.yml" >"$dir/out" 2>&1 || { cat "$dir/out"; bad "a dashboard query does not parse"; }
grep -q 'computedb_build_info{version="' "$dir/metrics.txt" || bad "the Version panel's label is not exported"

finish
