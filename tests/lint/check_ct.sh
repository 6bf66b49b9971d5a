#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Constant-time comparisons (docs/architecture.md, secrets): in core/*.c, server/auth*.c and
# cli/*.c, no early-exit comparison (memcmp, bcmp, strcmp, strncmp,
# strcasecmp, strncasecmp) may touch signature, key, seed or other secret
# bytes; those use sodium_memcmp, or libsodium's verify functions. A
# comparison with a string literal is fine (it can only reveal the
# caller's own input). The few comparisons of non-secret values whose names
# look secret are listed below, each with the reason. The checker first
# proves on a fixture that it catches a violation.
set -u
cd "${COMPUTEDB_SOURCE_DIR:-$(dirname "$0")/../..}" || exit 1
command -v python3 >/dev/null || { echo "check_ct: python3 missing; skipped"; exit 77; }

checker=$(mktemp /tmp/check_ct-XXXXXX.py)
fixture=$(mktemp -d /tmp/check_ct-XXXXXX)
trap 'rm -rf "$checker" "$fixture"' EXIT
cat >"$checker" <<'PY'
import re
import sys

COMPARE = re.compile(r"\b(memcmp|bcmp|strcmp|strncmp|strcasecmp|strncasecmp)\s*\(")
SECRET = re.compile(r"(^|_)(sig|sigs|signature|signatures|key|keys|seed|seeds|secret|"
                    r"secrets|sk|pk|mac|digest|hash|token|password|passwd)($|_|\d)", re.I)
# (file, normalized call): why comparing in variable time is safe there.
ALLOWED = {
    ("server/auth_replay.c", "memcmp(s->key,key,REPLAY_KEY_BYTES)"):
        "replay-cache keys hash the public (signer, nonce) pair of a request",
}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def args_of(text, start):
    depth, i, cur, out = 0, start, [], []
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
            if depth > 1:
                cur.append(c)
        elif c == ")":
            depth -= 1
            if depth == 0:
                out.append("".join(cur).strip())
                return out, i
            cur.append(c)
        elif c == "," and depth == 1:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    return out, i


def main(files):
    problems = []
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            t = strip_comments(fh.read())
        for m in COMPARE.finditer(t):
            args, end = args_of(t, m.end() - 1)
            if any(a.startswith('"') for a in args):
                continue
            idents = re.findall(r"[A-Za-z_]\w*", " ".join(args[:2]))
            if not any(SECRET.search(i) for i in idents):
                continue
            call = re.sub(r"\s+", "", t[m.start():end + 1])
            if (f, call) in ALLOWED:
                continue
            line = t.count("\n", 0, m.start()) + 1
            problems.append("%s:%d: %s on secret-looking bytes; use sodium_memcmp: %s"
                            % (f, line, m.group(1), call))
    for p in problems:
        print("check_ct: " + p)
    return 1 if problems else 0


sys.exit(main(sys.argv[1:]))
PY

mkdir -p "$fixture/server"
cat >"$fixture/server/auth_bad.c" <<'C'
int check(const unsigned char *sig, const unsigned char *expected_sig) {
    return memcmp(sig, expected_sig, 64) == 0;
}
int check2(const struct h *h, const char *computed) {
    return strcmp(h->signature, computed) == 0;
}
C
cat >"$fixture/server/auth_good.c" <<'C'
int check(const unsigned char *sig, const unsigned char *expected_sig) {
    return sodium_memcmp(sig, expected_sig, 64) == 0 &&
           strncmp((const char *)sig, "0x", 2) == 0 && strcmp(name, other) == 0;
}
C
out=$(cd "$fixture" && python3 "$checker" server/auth_bad.c server/auth_good.c)
[ "$(echo "$out" | grep -c 'auth_bad.c')" = 2 ] || { echo "check_ct: self-test missed a violation: $out"; exit 1; }
echo "$out" | grep -q 'auth_good.c' && { echo "check_ct: self-test false alarm: $out"; exit 1; }

# shellcheck disable=SC2046
python3 "$checker" $(ls core/*.c server/auth*.c cli/*.c 2>/dev/null) || exit 1
echo "check_ct: ok"
