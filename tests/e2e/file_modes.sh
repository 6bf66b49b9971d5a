#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Secrets at rest stay private whatever the umask (here 022, the usual one):
#  - a new database made in an existing 0755 folder, its -wal and -shm, and
#    the first-run admin key are 0600;
#  - the start warns that the folder is open to other users, naming it and
#    the chmod to run;
#  - an existing database keeps its mode (0640 shared with a validator's
#    group: -wal and -shm follow it) and is never tightened; one readable by
#    others (0644) is left as it is, with a warning naming it.
set -u
. "$(dirname "$0")/lib.sh"
umask 022
db=$dir/data/database.db

mode() { stat -c %a "$1" 2>/dev/null || echo missing; }

# expect_modes MODE WHAT: the database, -wal and -shm of a running server.
expect_modes() {
    local f
    for f in "$db" "$db-wal" "$db-shm"; do
        [ "$(mode "$f")" = "$1" ] || bad "$2: $(basename "$f") is $(mode "$f"), want $1"
    done
}

# A write, so the WAL holds something while the server runs.
write_one() {
    "$bin" call PUT /miners --data '{"mode": "merge", "miners": [{"uid": 1,
        "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}]}' >/dev/null ||
        bad "$1: PUT /miners failed"
}

# 1. A new database in an existing 0755 folder.
mkdir -m 755 "$dir/data"
start
write_one "new database"
expect_modes 600 "new database"
[ "$(mode "$dir/data/admin.key")" = 600 ] || bad "admin key is $(mode "$dir/data/admin.key")"
grep -q "database folder $dir/data is open to other users.*chmod o-rwx $dir/data" "$dir/log" ||
    bad "no warning about the 0755 folder"
grep -q "other users may open the database" "$dir/log" && bad "a 0600 database was reported as open"
stop

# 2. An existing database shared with a group keeps its mode.
chmod 700 "$dir/data"
chmod 640 "$db"
rm -f "$db-wal" "$db-shm"
start
write_one "0640 database"
expect_modes 640 "existing 0640 database"
grep -qE "other users may open|open to other users" "$dir/log" &&
    bad "warned about a private folder and a 0640 database"
stop

# 3. An existing world-readable database: warned about, never changed.
chmod 644 "$db"
rm -f "$db-wal" "$db-shm"
start
write_one "0644 database"
[ "$(mode "$db")" = 644 ] || bad "an existing 0644 database became $(mode "$db")"
grep -q "other users may open the database.*chmod o-rwx $db " "$dir/log" ||
    bad "no warning about the 0644 database"
stop

finish
