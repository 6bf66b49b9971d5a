#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the pinned test tools that come from npm into DIR (default
# build/tools): the OpenAPI linter. Without npm it says so and the lint
# test skips. Usage: scripts/tools.sh [DIR]
set -eu
REDOCLY_VERSION=2.77.0
dir=${1:-build/tools}
if ! command -v npm >/dev/null 2>&1; then
    echo "tools: npm not found; the OpenAPI lint test will be skipped"
    exit 0
fi
if [ -x "$dir/node_modules/.bin/redocly" ] &&
   [ "$("$dir/node_modules/.bin/redocly" --version 2>/dev/null)" = "$REDOCLY_VERSION" ]; then
    exit 0
fi
mkdir -p "$dir"
echo "tools: installing @redocly/cli@$REDOCLY_VERSION into $dir"
npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --prefix "$dir" "@redocly/cli@$REDOCLY_VERSION" ||
    echo "tools: npm install failed; the OpenAPI lint test will be skipped"
