#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Each connection prepares every statement it runs once and keeps it: the
# per-connection caches (DB_STMT_CACHE in schema/sqlite/lite.h, PG_STMT_CACHE
# in schema/pg/pg.h) must hold every distinct SQL text a connection can run, or
# the statement past the last slot fails with 500 for the life of the
# connection. A PostgreSQL session runs them all (reads and writes), so
# the bound is the number of static SQL texts of the query modules, the
# pool and the drivers' own cached statements.
set -u
cd "${COMPUTEDB_SOURCE_DIR:-$(dirname "$0")/../..}" || exit 1
command -v python3 >/dev/null || { echo "stmt_cache: python3 missing; skipped"; exit 77; }
python3 - <<'PY'
import glob, re, sys

SQL = r'"\s*(SELECT|INSERT|UPDATE|DELETE|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|WITH|PRAGMA)\b'
files = sorted(glob.glob("schema/q_*.c")) + ["schema/tables.c", "schema/stmt.c",
                                              "schema/pg/pg_db.c",
                                              "schema/sqlite/lite_writer.c"]
texts = 0
for f in files:
    src = open(f).read()
    # static const char name[] = "SQL ..." (possibly on the next line)
    texts += len(re.findall(r"static const char \w+\[\]\s*=\s*" + SQL, src))
    # tables of SQL texts: every literal in them that starts a statement
    for table in re.findall(r"static const char \*const \w+\[\]\[2\]\s*=\s*\{(.*?)\};", src, re.S):
        texts += len(re.findall(SQL, table))
caches = {}
for f, name in (("schema/sqlite/lite.h", "DB_STMT_CACHE"),
                ("schema/pg/pg.h", "PG_STMT_CACHE")):
    m = re.search(name + r"\s*=\s*(\d+)", open(f).read())
    caches[name] = int(m.group(1))
print("stmt_cache: %d static SQL texts; caches %s" % (texts, caches))
if texts < 40:
    sys.exit("stmt_cache: found too few SQL texts; the pattern no longer matches the sources")
bad = [n for n, size in caches.items() if texts > size]
if bad:
    sys.exit("stmt_cache: %s smaller than the %d statements a connection may run" % (", ".join(bad), texts))
PY
