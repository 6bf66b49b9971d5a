#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the pinned test tools that come from npm into DIR (default
# build/tools): the OpenAPI linter, openapi-typescript and the TypeScript
# compiler (the contract's generated types must accept real responses),
# and two sr25519 implementations that are independent of computedb's
# (schnorrkel compiled to wasm in @polkadot/util-crypto, and @scure/sr25519
# in plain JavaScript) for the signature tests, and puppeteer-core (to
# drive Debian's chromium) with axe-core (accessibility rules) for the
# dashboard's browser test. Without npm it says so and those tests skip.
# Usage: scripts/tools.sh [DIR]
set -eu
REDOCLY_VERSION=2.77.0
SCURE_SR25519_VERSION=2.3.0
POLKADOT_VERSION=14.0.3
OPENAPI_TS_VERSION=7.13.0
TYPESCRIPT_VERSION=5.9.3
PUPPETEER_CORE_VERSION=24.43.1 # 25.x needs Node 22; Debian 12 has 20
AXE_CORE_VERSION=4.14.1
dir=${1:-build/tools}
want="@redocly/cli@$REDOCLY_VERSION @scure/sr25519@$SCURE_SR25519_VERSION @polkadot/util-crypto@$POLKADOT_VERSION @polkadot/util@$POLKADOT_VERSION openapi-typescript@$OPENAPI_TS_VERSION typescript@$TYPESCRIPT_VERSION puppeteer-core@$PUPPETEER_CORE_VERSION axe-core@$AXE_CORE_VERSION"
if ! command -v npm >/dev/null 2>&1; then
    echo "tools: npm not found; the OpenAPI lint, TypeScript contract, sr25519 client and dashboard browser tests will be skipped"
    exit 0
fi
if [ "$(cat "$dir/installed" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
mkdir -p "$dir"
echo "tools: installing $want into $dir"
# shellcheck disable=SC2086 # one word per package
if npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    --prefix "$dir" $want; then
    echo "$want" >"$dir/installed"
else
    echo "tools: npm install failed; the tests that need these tools will be skipped"
fi
