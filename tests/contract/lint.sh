#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lints openapi/openapi.json with @redocly/cli (pinned; installed by `make
# test` through scripts/tools.sh) and its recommended rules: any error or
# warning fails. Skipped (77) when the linter could not be installed.
set -u
src=${COMPUTEDB_SOURCE_DIR:?}
redocly=${COMPUTEDB_TOOLS_DIR:-}/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
    echo "lint: @redocly/cli is not installed (no npm?); skipped"
    exit 77
fi
out=$("$redocly" lint --config "$src/openapi/redocly.yaml" "$src/openapi/openapi.json" 2>&1)
code=$?
if [ $code -ne 0 ] || echo "$out" | grep -qE 'You have [0-9]+ (warning|error)'; then
    echo "$out"
    echo "lint: openapi.json has problems"
    exit 1
fi
echo "lint: openapi.json is valid with no warnings ($("$redocly" --version))"
