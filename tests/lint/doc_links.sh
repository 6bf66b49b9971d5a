#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every relative Markdown link in README.md, docs/*.md and bench/README.md
# points at a file (or folder) that exists. Targets with a scheme (http:,
# https:, mailto:, ...) and pure #anchors are not checked; a #fragment is
# dropped before the check; paths are relative to the linking file's folder
# (a leading / means the repository root). Links inside code spans and
# fenced code blocks are not links. The checker first proves on a fixture
# that it catches a broken link.
set -u
cd "${COMPUTEDB_SOURCE_DIR:-$(dirname "$0")/../..}" || exit 1
command -v python3 >/dev/null || { echo "doc_links: python3 missing; skipped"; exit 77; }

checker=$(mktemp /tmp/doc_links-XXXXXX.py)
fixture=$(mktemp -d /tmp/doc_links-XXXXXX)
trap 'rm -rf "$checker" "$fixture"' EXIT
cat >"$checker" <<'PY'
import os
import re
import sys
from urllib.parse import unquote

INLINE = re.compile(r"\]\(\s*(<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)")
REFDEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")


def targets(path):
    """(line number, target) of every link outside code."""
    fence = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for no, line in enumerate(fh, 1):
            m = FENCE.match(line)
            if m:
                mark = m.group(1)
                if fence is None:
                    fence = mark
                elif mark[0] == fence[0] and len(mark) >= len(fence):
                    fence = None
                continue
            if fence is not None:
                continue
            text = CODE_SPAN.sub("", line)
            for t in INLINE.findall(text):
                yield no, t
            m = REFDEF.match(text)
            if m:
                yield no, m.group(1)


def broken(path, root):
    base = os.path.dirname(path)
    for no, t in targets(path):
        t = t.strip()
        if t.startswith("<") and t.endswith(">"):
            t = t[1:-1].strip()
        if not t or t.startswith("#") or SCHEME.match(t):
            continue
        rel = unquote(t.split("#", 1)[0].split("?", 1)[0])
        if not rel:
            continue
        full = os.path.join(root, rel.lstrip("/")) if rel.startswith("/") \
            else os.path.join(base, rel)
        if not os.path.exists(full):
            yield "%s:%d: broken link %s" % (path, no, t)


def main(root, files):
    bad = [msg for f in files for msg in broken(f, root)]
    for msg in bad:
        print(msg)
    return 1 if bad else 0


sys.exit(main(sys.argv[1], sys.argv[2:]))
PY

# The checker must flag a broken link and pass good ones, code and URLs.
mkdir -p "$fixture/docs"
touch "$fixture/docs/there.md" "$fixture/top.md"
cat >"$fixture/docs/a.md" <<'MD'
[ok](there.md) [ok2](there.md#part) [up](../top.md) [root](/top.md)
[web](https://example.com/x) [mail](mailto:a@b.c) [anchor](#section)
`[code](missing-in-code.md)` and [space](<there.md>)
```
[fenced](missing-in-fence.md)
```
[gone](missing.md#x)
[ref]: also-missing.md
MD
out=$(python3 "$checker" "$fixture" "$fixture/docs/a.md")
want="$fixture/docs/a.md:7: broken link missing.md#x
$fixture/docs/a.md:8: broken link also-missing.md"
if [ "$out" != "$want" ]; then
    echo "doc_links: the checker misjudged its fixture:"
    echo "$out"
    exit 1
fi

files=()
for f in README.md docs/*.md bench/README.md; do
    [ -f "$f" ] && files+=("$f")
done
[ ${#files[@]} -gt 0 ] || { echo "doc_links: no Markdown files found; skipped"; exit 77; }
python3 "$checker" . "${files[@]}" || {
    echo "doc_links: fix the links above (paths are relative to the linking file)"
    exit 1
}
echo "doc_links: ${#files[@]} files, every relative link resolves"
