#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages given as arguments when any is missing: with
# apt-get when run as root, otherwise prints the exact command to run.
set -eu
missing=""
for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" = "0" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends $missing
else
    echo "deps: run as root:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
