#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SQL is never built from strings (docs/architecture.md): in product code
# (core/ schema/ gpu/ server/ handlers/ cli/ app/; bench/ and tests/ generate data and
# may quote with %Q)
#  1. no dynamic SQL builders: sqlite3_mprintf, sqlite3_vmprintf,
#     sqlite3_snprintf, sqlite3_vsnprintf, sqlite3_str_*;
#  2. the SQL argument of every SQL sink -- sqlite3_prepare*, sqlite3_exec
#     and every function that takes a `const char *sql` parameter (found
#     automatically: db_stmt, db_exec, db_run, ...) -- is a string literal,
#     a `static const char name[]` of the same file, an element of a
#     `static const char *const` table of literals, the caller's own `sql`
#     parameter passed through, or a ?: choice between those;
#  3. no printf-family format string starts with an SQL keyword, and no
#     static SQL string holds a printf conversion.
# The checker first proves on a fixture tree that it catches each rule.
set -u
cd "${COMPUTEDB_SOURCE_DIR:-$(dirname "$0")/../..}" || exit 1
command -v python3 >/dev/null || { echo "check_sql: python3 missing; skipped"; exit 77; }

checker=$(mktemp /tmp/check_sql-XXXXXX.py)
fixture=$(mktemp -d /tmp/check_sql-XXXXXX)
trap 'rm -rf "$checker" "$fixture"' EXIT
cat >"$checker" <<'PY'
import re
import sys

KEYWORDS = r"(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|ALTER|REPLACE|ATTACH|WITH|BEGIN)\b"
BUILDERS = re.compile(r"\b(sqlite3_v?mprintf|sqlite3_v?snprintf|sqlite3_str_\w+)\s*\(")
SINKS = {"sqlite3_prepare": 1, "sqlite3_prepare_v2": 1, "sqlite3_prepare_v3": 1,
         "sqlite3_prepare16": 1, "sqlite3_prepare16_v2": 1, "sqlite3_prepare16_v3": 1,
         "sqlite3_exec": 1}
IDENT = re.compile(r"[A-Za-z_]\w*")


def strip_comments(text):
    """Removes comments, keeps string and char literals and line numbers."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(text, start):
    """The top-level arguments of the call whose '(' is at start."""
    args, depth, i, cur = [], 0, start, []
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
            if depth > 1:
                cur.append(c)
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
            cur.append(c)
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    return args


def literal(arg):
    return re.fullmatch(r'(\s*"(?:[^"\\]|\\.)*"\s*)+', arg) is not None


def split_choice(arg):
    """'c ? a : b' -> [a, b]; anything else -> [arg]."""
    depth = 0
    q = -1
    for i, c in enumerate(arg):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "?" and depth == 0 and q < 0:
            q = i
        elif c == ":" and depth == 0 and q >= 0:
            return split_choice(arg[q + 1:i].strip()) + split_choice(arg[i + 1:].strip())
    if arg.startswith("(") and arg.endswith(")"):
        return split_choice(arg[1:-1].strip())
    return [arg]


def literal_tables(t):
    """Names of `static const char *const name[]...= {...}` tables that
    hold nothing but string literals."""
    names = set()
    for m in re.finditer(r"\bstatic\s+const\s+char\s*\*\s*const\s+([A-Za-z_]\w*)"
                         r"\s*(?:\[[^\]]*\]\s*)+=\s*\{", t):
        depth, i = 1, m.end()
        while i < len(t) and depth:
            if t[i] == '"':
                j = i + 1
                while t[j] != '"':
                    j += 2 if t[j] == "\\" else 1
                i = j
            elif t[i] == "{":
                depth += 1
            elif t[i] == "}":
                depth -= 1
            i += 1
        rest = re.sub(r'"(?:[^"\\]|\\.)*"', "", t[m.end():i - 1])
        if re.fullmatch(r"[\s{},]*", rest):
            names.add(m.group(1))
    return names


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def main(files):
    problems = []
    texts = {}
    sinks = dict(SINKS)
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            texts[f] = strip_comments(fh.read())
    # Functions with a `const char *sql` parameter are sinks too.
    decl = re.compile(r"\b([A-Za-z_]\w*)\s*\(([^()]*\bconst\s+char\s*\*\s*sql\b[^()]*)\)")
    for t in texts.values():
        for m in decl.finditer(t):
            params = [p.strip() for p in m.group(2).split(",")]
            for i, p in enumerate(params):
                if re.search(r"\bconst\s+char\s*\*\s*sql$", p):
                    sinks[m.group(1)] = i
    for f, t in texts.items():
        statics = set(re.findall(r"\bstatic\s+const\s+char\s+([A-Za-z_]\w*)\s*\[\s*\]", t))
        tables = literal_tables(t)
        for m in BUILDERS.finditer(t):
            problems.append("%s:%d: dynamic SQL builder %s()" % (f, line_of(t, m.start()), m.group(1)))
        for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(", t):
            name = m.group(1)
            if name not in sinks:
                continue
            before = t[:m.start()].rstrip()
            # A declaration or definition, not a call: a type precedes it.
            if re.search(r"(\b(enum\s+\w+|int|void|bool|char|svc_rc|long|double|\w+_t)\s*\**|\*)$", before) \
                    and not before.endswith(("=", "(", ",", "return")):
                continue
            args = call_args(t, m.end() - 1)
            idx = sinks[name]
            if idx >= len(args):
                continue
            for part in split_choice(args[idx]):
                if literal(part) or (IDENT.fullmatch(part) and (part in statics or part == "sql")):
                    continue
                m2 = re.fullmatch(r"([A-Za-z_]\w*)(\s*\[[^\]]*\])+", part)
                if m2 and m2.group(1) in tables:
                    continue
                problems.append("%s:%d: %s() gets SQL that is not a static string: %s"
                                % (f, line_of(t, m.start()), name, part))
        for m in re.finditer(r"\b\w*printf\s*\(", t):
            args = call_args(t, m.end() - 1)
            for a in args[:3]:
                if re.match(r'\s*"\s*' + KEYWORDS, a, re.I):
                    problems.append("%s:%d: printf builds SQL: %s" % (f, line_of(t, m.start()), a[:60]))
        for m in re.finditer(r"\bstatic\s+const\s+char\s+\w+\s*\[\s*\]\s*=\s*((?:\s*\"(?:[^\"\\]|\\.)*\")+)", t):
            body = m.group(1)
            if re.match(r'\s*"\s*' + KEYWORDS, body) and re.search(r"%[-+ #0-9.]*[sdiuxXqQwzl]", body):
                problems.append("%s:%d: SQL string holds a printf conversion" % (f, line_of(t, m.start())))
    for p in problems:
        print("check_sql: " + p)
    return 1 if problems else 0


sys.exit(main(sys.argv[1:]))
PY

# The fixture: one file per rule, each of which must be reported.
mkdir -p "$fixture/schema"
cat >"$fixture/schema/bad1.c" <<'C'
void f(sqlite3 *h, const char *name) {
    char *q = sqlite3_mprintf("SELECT * FROM t WHERE n = '%s'", name);
}
C
cat >"$fixture/schema/bad2.c" <<'C'
enum svc_rc db_stmt(struct db *db, const char *sql, sqlite3_stmt **out);
void g(struct db *db, const char *table) {
    char buf[64];
    sqlite3_stmt *st;
    snprintf(buf, sizeof(buf), "SELECT * FROM %s", table);
    db_stmt(db, buf, &st);
}
C
cat >"$fixture/schema/bad3.c" <<'C'
void h(sqlite3 *db, const char *q) {
    sqlite3_exec(db, q, 0, 0, 0);
}
C
cat >"$fixture/schema/bad4.c" <<'C'
static const char bad_sql[] = "DELETE FROM t WHERE id = %d";
C
cat >"$fixture/schema/bad5.c" <<'C'
enum svc_rc db_stmt(struct db *db, const char *sql, sqlite3_stmt **out);
void m(struct db *db, char *user) {
    static const char *const t[][2] = {{"a", "SELECT 1"}, {"b", user}};
    db_stmt(db, t[1][1], 0);
}
C
cat >"$fixture/schema/good.c" <<'C'
static const char sql[] = "SELECT 1";
static const char *const tables[][2] = {{"a", "SELECT COUNT(*) FROM a"},
                                        {"b", "SELECT COUNT(*) FROM b"}};
enum svc_rc db_exec(struct db *db, const char *sql) {
    return sqlite3_exec(db->h, sql, 0, 0, 0);
}
void k(struct db *db, int full) {
    static const char local[] = "SELECT 2";
    db_exec(db, full ? "PRAGMA synchronous=FULL;" : local);
    db_exec(db, "BEGIN" " IMMEDIATE");
    db_exec(db, tables[full][1]);
}
C
out=$(cd "$fixture" && python3 "$checker" schema/*.c)
fail=0
for f in bad1 bad2 bad3 bad4 bad5; do
    echo "$out" | grep -q "schema/$f.c" || { echo "check_sql: self-test: $f.c not reported"; fail=1; }
done
echo "$out" | grep -q "schema/good.c" && { echo "check_sql: self-test: good.c reported: $out"; fail=1; }
[ $fail -eq 0 ] || exit 1

files=$(git ls-files 'core/*.[ch]' 'server/*.[ch]' 'handlers/*.[ch]' 'schema/*.[ch]' \
    'cli/*.[ch]' 'gpu/*.[ch]' 'app/*.[ch]' 2>/dev/null)
[ -n "$files" ] || files=$(find core server handlers schema cli gpu app -name '*.[ch]' 2>/dev/null)
# Untracked product files count too (new modules before their first commit).
files=$(printf '%s\n' $files $(git ls-files --others --exclude-standard 'core/*.[ch]' \
    'server/*.[ch]' 'handlers/*.[ch]' 'schema/*.[ch]' 'cli/*.[ch]' 'gpu/*.[ch]' 'app/*.[ch]' \
    2>/dev/null) | sort -u)
# shellcheck disable=SC2086
python3 "$checker" $files || exit 1
echo "check_sql: ok ($(echo "$files" | wc -l) files)"
