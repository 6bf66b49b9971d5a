#!/bin/sh
# SPDX-License-Identifier: MIT
# A private, throwaway PostgreSQL server for the tests, kept in one folder:
#   scripts/pg.sh start DIR   start it (a fresh cluster unless it already
#                             runs), print its URL; DIR/pg.url holds it too
#   scripts/pg.sh stop DIR    stop it; exit 0 when nothing runs
#   scripts/pg.sh url DIR     print the URL if it runs, else exit 1
# For failover tests, a streaming-replication pair on the same machine:
#   scripts/pg.sh standby DIR PRIMARY_DIR [async|sync]
#                             copy the server running in PRIMARY_DIR with
#                             pg_basebackup into DIR, start the copy as its
#                             hot standby and print the standby's URL. With
#                             sync, the primary's commits wait for it
#                             (synchronous_standby_names = '*', set with
#                             ALTER SYSTEM after the copy, so the standby
#                             does not inherit it); async (the default)
#                             does not wait. Returns once it streams.
#   scripts/pg.sh promote DIR make the standby in DIR a primary; returns
#                             once it takes writes, prints its URL
#   scripts/pg.sh kill DIR    SIGKILL the server in DIR and all its
#                             processes (a crash: no shutdown, no
#                             checkpoint); the data and pg.url stay
#   scripts/pg.sh restart DIR start a killed (or stopped) server in DIR
#                             again on its old port, as its data says: a
#                             killed primary comes back a read-write
#                             primary on its old timeline, and a primary
#                             with sync still waits for a standby that
#                             no longer follows it. Prints its URL.
# It listens on 127.0.0.1 only, on the first free port from 15432 up, and
# its socket and log (DIR/log) stay in DIR. Authentication is trust for the
# role computedb; fsync stays on, so durability is the real thing. initdb
# and postgres refuse to run as root, so as root the server runs as the
# system user computedb-pg (made on first use).
set -eu

PG_SYSUSER=computedb-pg
PG_ROLE=computedb
PG_DB=computedb_test
PORT_FIRST=15432
PORT_TRIES=50
WAIT_SECONDS=30

say() { echo "pg: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { die "usage: $0 start|stop|url|promote|kill|restart DIR, or $0 standby DIR PRIMARY_DIR [async|sync]"; }

# absolute PATH: PATH from the working directory, without a trailing /.
absolute() {
    case $1 in
    /*) p=$1 ;;
    *) p=$(pwd)/$1 ;;
    esac
    echo "${p%/}"
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$(absolute "$2")
data=$dir/data
primary_dir=
sync_mode=async
if [ "$cmd" = standby ]; then
    [ $# -ge 3 ] && [ $# -le 4 ] || usage
    primary_dir=$(absolute "$3")
    sync_mode=${4:-async}
    case $sync_mode in async | sync) ;; *) usage ;; esac
else
    [ $# -eq 2 ] || usage
fi
# Paths are absolute from here on; a folder the server's user cannot enter
# must not be the working directory of the commands run as that user.
cd /
# Settings from the caller's environment must not redirect our clients.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGDATA \
    PGPASSWORD PGPASSFILE 2>/dev/null || true

# find_tool NAME: prints the path of a PostgreSQL program: the folder
# initdb was found in, then PATH, then the newest /usr/lib/postgresql/*/bin.
find_tool() {
    if [ -n "${pg_bindir:-}" ] && [ -x "$pg_bindir/$1" ]; then
        echo "$pg_bindir/$1"
        return 0
    fi
    if command -v "$1" >/dev/null 2>&1; then
        command -v "$1"
        return 0
    fi
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1)
    if [ -n "$newest" ] && [ -x "$newest/$1" ]; then
        echo "$newest/$1"
        return 0
    fi
    return 1
}

# find_server: sets initdb, pg_ctl and pg_bindir, or fails.
find_server() {
    pg_bindir=
    initdb=$(find_tool initdb) && pg_ctl=$(find_tool pg_ctl) ||
        die "no PostgreSQL server programs (initdb, pg_ctl) in PATH or /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)"
    pg_bindir=$(dirname "$initdb")
}

# find_clients: sets pg_isready and psql, or fails.
find_clients() {
    pg_isready=$(find_tool pg_isready) && psql=$(find_tool psql) ||
        die "no PostgreSQL client programs (pg_isready, psql) found (Debian: apt-get install postgresql-client)"
}

# quote ARG: ARG in single quotes for sh -c.
quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# as USER CMD ARGS...: runs CMD as USER; as itself when that is who we are.
as() {
    as_user=$1
    shift
    if [ "$as_user" = "$(id -un)" ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$as_user" -- "$@"
    else
        line=
        for a in "$@"; do
            line="$line $(quote "$a")"
        done
        su -s /bin/sh "$as_user" -c "$line"
    fi
}

# owner PATH: the user name that owns PATH.
owner() {
    ls -ld "$1" | awk '{print $3}'
}

# server_user: the user the server in DIR runs as (the data folder's owner).
server_user() {
    if [ -d "$data" ]; then
        owner "$data"
    else
        id -un
    fi
}

# url_port [FOLDER]: the port recorded in FOLDER/pg.url (DIR by default),
# or nothing.
url_port() {
    [ -f "${1:-$dir}/pg.url" ] || return 0
    sed -n 's|^postgres://[^@]*@127\.0\.0\.1:\([0-9][0-9]*\)/.*$|\1|p' "${1:-$dir}/pg.url"
}

# is_up PORT: whether our server (its socket is in DIR) accepts connections
# on PORT over TCP.
is_up() {
    [ -n "$1" ] && [ -S "$dir/.s.PGSQL.$1" ] &&
        "$pg_isready" -q -t 2 -h 127.0.0.1 -p "$1" -U "$PG_ROLE" -d "$PG_DB"
}

# print_running: prints the URL of the server in DIR and succeeds when it
# is up; fails silently otherwise.
print_running() {
    port=$(url_port)
    [ -n "$port" ] && is_up "$port" && cat "$dir/pg.url"
}

# port_busy PORT: whether something listens on 127.0.0.1:PORT (or on any
# address) as far as ss can tell; without ss nothing counts as busy and a
# failed bind moves on to the next port.
port_busy() {
    command -v ss >/dev/null 2>&1 || return 1
    ss -Htln 2>/dev/null | awk '{print $4}' |
        grep -Eq "^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]|\[::ffff:127\.0\.0\.1\]):$1\$"
}

# sql_quote TEXT: TEXT as a single-quoted SQL/postgresql.conf literal.
sql_quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

# prepare_dir: sets user (who runs the server: ourselves, or as root the
# system user computedb-pg, made on first use) and makes DIR an empty home
# for a new cluster that user can write to.
prepare_dir() {
    user=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        user=$PG_SYSUSER
        if ! id -u "$user" >/dev/null 2>&1; then
            say "creating the system user $user to run the server as"
            useradd --system --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$user" 2>/dev/null ||
                id -u "$user" >/dev/null 2>&1 ||
                die "could not create the system user $user"
        fi
    fi
    mkdir -p "$dir" || die "cannot create $dir"
    rm -rf "$data" "$dir/pg.url" "$dir/pg.url.tmp"
    : >"$dir/log"
    chmod 755 "$dir"
    if [ "$user" != "$(id -un)" ]; then
        chown -R "$user" "$dir"
        as "$user" test -w "$dir" ||
            die "$user cannot write to $dir (is a parent folder closed to other users?)"
    fi
}

# make_cluster: a fresh cluster in DIR/data owned by the server's user.
make_cluster() {
    prepare_dir
    say "initdb into $data (as $user)"
    as "$user" "$initdb" -D "$data" -A trust -U "$PG_ROLE" --encoding=UTF8 \
        --locale=C >>"$dir/log" 2>&1 || {
        tail -n 20 "$dir/log" >&2
        die "initdb failed; the log is $dir/log"
    }
    # The port comes on the command line (it may change between tries);
    # everything else is fixed for the cluster's life.
    cat >>"$data/postgresql.conf" <<EOF

# scripts/pg.sh: a private test server.
listen_addresses = '127.0.0.1'
unix_socket_directories = $(sql_quote "$dir")
max_connections = 200
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
EOF
}

# try_port PORT: starts the server on PORT; 0 when it runs, 2 when the port
# was taken, 1 on any other failure.
try_port() {
    before=$(wc -l <"$dir/log" | tr -d ' ')
    if as "$user" "$pg_ctl" -D "$data" -l "$dir/log" -o "-p $1" -w \
        -t "$WAIT_SECONDS" start >/dev/null 2>&1; then
        return 0
    fi
    as "$user" "$pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    if tail -n "+$((before + 1))" "$dir/log" |
        grep -Eq 'could not bind|Address already in use|could not create any TCP/IP sockets'; then
        return 2
    fi
    return 1
}

# wait_ready PORT: until pg_isready says yes, for up to WAIT_SECONDS.
wait_ready() {
    i=0
    while [ $i -lt $((WAIT_SECONDS * 5)) ]; do
        is_up "$1" && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}

cmd_start() {
    find_clients
    print_running && return 0
    find_server
    # The socket path (DIR/.s.PGSQL.NNNNN) must fit in sun_path (108).
    [ ${#dir} -le 90 ] || die "$dir is too long for a socket folder (90 characters at most)"
    # Down but not gone (a crash, a stop that failed): make sure no server
    # is left on the old cluster, then start over with a fresh one.
    if [ -f "$data/postmaster.pid" ]; then
        say "a stale server in $dir: stopping it and starting afresh"
        as "$(server_user)" "$pg_ctl" -D "$data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    make_cluster
    start_free_port
    "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_ROLE" \
        -d postgres -c "CREATE DATABASE $PG_DB" >>"$dir/log" 2>&1 || {
        tail -n 10 "$dir/log" >&2
        as "$user" "$pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
        die "could not create the database $PG_DB"
    }
    record_url
    say "server up in $dir on 127.0.0.1:$port (as $user)"
    echo "$url"
}

# start_free_port: starts the cluster in DIR (as user) on the first free
# port from PORT_FIRST up and waits until it is ready; sets port, or fails
# with the log's tail.
start_free_port() {
    port=$PORT_FIRST
    last=$((PORT_FIRST + PORT_TRIES))
    started=
    while [ "$port" -lt "$last" ]; do
        if port_busy "$port"; then
            port=$((port + 1))
            continue
        fi
        rc=0
        try_port "$port" || rc=$?
        [ $rc -eq 0 ] && { started=1; break; }
        [ $rc -eq 2 ] || break
        say "port $port is taken, trying the next"
        port=$((port + 1))
    done
    if [ -z "$started" ] || ! wait_ready "$port"; then
        tail -n 30 "$dir/log" >&2
        as "$user" "$pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
        die "the server in $dir did not start (ports $PORT_FIRST-$((last - 1))); the log is $dir/log"
    fi
}

# record_url: sets url to the server's on port and writes it to DIR/pg.url.
record_url() {
    url="postgres://$PG_ROLE@127.0.0.1:$port/$PG_DB"
    echo "$url" >"$dir/pg.url.tmp"
    mv "$dir/pg.url.tmp" "$dir/pg.url"
}

cmd_stop() {
    if [ ! -f "$data/postmaster.pid" ]; then
        rm -f "$dir/pg.url"
        say "no server running in $dir"
        return 0
    fi
    find_server
    user=$(server_user)
    rc=0
    as "$user" "$pg_ctl" -D "$data" status >/dev/null 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        rm -f "$dir/pg.url"
        say "no server running in $dir"
        return 0
    fi
    as "$user" "$pg_ctl" -D "$data" -m fast -w -t "$WAIT_SECONDS" stop \
        >/dev/null 2>>"$dir/log" || {
        tail -n 10 "$dir/log" >&2
        die "could not stop the server in $dir"
    }
    rm -f "$dir/pg.url"
    say "server in $dir stopped"
}

cmd_url() {
    find_clients
    print_running || die "no server running in $dir"
}

# sql_at PORT SQL: runs SQL on the server on PORT, prints its rows (-At).
sql_at() {
    "$psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$PG_ROLE" \
        -d postgres -c "$2"
}

# wait_for PORT SQL WANT: until SQL on PORT prints WANT, for up to
# WAIT_SECONDS; fails after that.
wait_for() {
    i=0
    while [ $i -lt $((WAIT_SECONDS * 10)) ]; do
        [ "$(sql_at "$1" "$2" 2>/dev/null)" = "$3" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

cmd_standby() {
    find_clients
    find_server
    basebackup=$(find_tool pg_basebackup) ||
        die "no pg_basebackup next to $initdb (Debian: apt-get install postgresql)"
    [ ${#dir} -le 90 ] || die "$dir is too long for a socket folder (90 characters at most)"
    pport=$(url_port "$primary_dir")
    [ -n "$pport" ] && "$pg_isready" -q -t 2 -h 127.0.0.1 -p "$pport" ||
        die "no server running in $primary_dir"
    if [ -f "$data/postmaster.pid" ]; then
        as "$(server_user)" "$pg_ctl" -D "$data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    prepare_dir
    say "pg_basebackup of 127.0.0.1:$pport into $data (as $user)"
    # -R writes standby.signal and primary_conninfo; -c fast does not wait
    # for the primary's next checkpoint.
    as "$user" "$basebackup" -h 127.0.0.1 -p "$pport" -U "$PG_ROLE" \
        -D "$data" -R -X stream -c fast >>"$dir/log" 2>&1 || {
        tail -n 20 "$dir/log" >&2
        die "pg_basebackup failed; the log is $dir/log"
    }
    # The copied settings name the primary's socket folder: later lines win.
    printf '\n# scripts/pg.sh standby of %s\nunix_socket_directories = %s\n' \
        "$primary_dir" "$(sql_quote "$dir")" >>"$data/postgresql.conf"
    start_free_port
    record_url
    if [ "$sync_mode" = sync ]; then
        sql_at "$pport" "ALTER SYSTEM SET synchronous_standby_names = '*'" &&
            sql_at "$pport" "SELECT pg_reload_conf()" >/dev/null ||
            die "could not make the primary wait for its standby"
    fi
    want=$([ "$sync_mode" = sync ] && echo sync || echo async)
    wait_for "$pport" "SELECT string_agg(sync_state, ',') FROM pg_stat_replication WHERE state = 'streaming'" "$want" ||
        die "the standby in $dir does not stream from 127.0.0.1:$pport ($sync_mode); the log is $dir/log"
    say "standby ($sync_mode) of 127.0.0.1:$pport up in $dir on 127.0.0.1:$port"
    echo "$url"
}

cmd_promote() {
    find_clients
    find_server
    port=$(url_port)
    is_up "$port" || die "no server running in $dir"
    as "$(server_user)" "$pg_ctl" -D "$data" -w -t "$WAIT_SECONDS" promote \
        >>"$dir/log" 2>&1 || die "could not promote the server in $dir"
    wait_for "$port" "SELECT pg_is_in_recovery()" f ||
        die "the server in $dir is still a standby"
    say "server in $dir promoted: it takes writes"
    cat "$dir/pg.url"
}

cmd_kill() {
    [ -f "$data/postmaster.pid" ] || die "no server in $dir"
    pid=$(head -n 1 "$data/postmaster.pid")
    kill -0 "$pid" 2>/dev/null || die "no server running in $dir"
    # The postmaster and its children at once: a backend left behind would
    # keep its clients' sessions open for a moment.
    kill -9 "$pid" $(ps -o pid= --ppid "$pid") 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -0 "$pid" 2>/dev/null && die "the server in $dir survived SIGKILL"
    say "server in $dir killed (SIGKILL)"
}

cmd_restart() {
    find_clients
    find_server
    print_running && return 0
    port=$(url_port)
    [ -n "$port" ] && [ -d "$data" ] || die "no server was started in $dir"
    user=$(server_user)
    try_port "$port" && wait_ready "$port" || {
        tail -n 20 "$dir/log" >&2
        die "the server in $dir did not start again on port $port"
    }
    say "server in $dir up again on 127.0.0.1:$port"
    cat "$dir/pg.url"
}

case $cmd in
start) cmd_start ;;
stop) cmd_stop ;;
url) cmd_url ;;
standby) cmd_standby ;;
promote) cmd_promote ;;
kill) cmd_kill ;;
restart) cmd_restart ;;
*) usage ;;
esac
