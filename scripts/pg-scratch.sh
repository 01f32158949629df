#!/usr/bin/env bash
# A throwaway PostgreSQL cluster, for the tests and for measurements (docs/DATA.md,
# "PostgreSQL"): its own data directory and a Unix socket in DIR, no TCP, trust authentication
# on the socket, one database named seoulworld.
#
#   scripts/pg-scratch.sh start DIR    # creates and starts it; prints its URL
#   scripts/pg-scratch.sh stop DIR     # stops it and removes DIR
#   scripts/pg-scratch.sh down DIR     # stops it, keeping DIR (a server lost under a writer)
#   scripts/pg-scratch.sh up DIR       # starts it again after `down`
#   scripts/pg-scratch.sh createdb DIR NAME   # another empty database in it
#
# PostgreSQL refuses to run as root: run as root, this runs the cluster as the `postgres`
# user that Debian's package creates (scripts/install-deps.sh --test installs it).
set -euo pipefail

# The server lives on after this script: it must not inherit the caller's other descriptors
# (a test process's pipes and sockets), or a caller reading a pipe to its end waits forever.
for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
done

usage() { echo "usage: scripts/pg-scratch.sh start|stop|down|up DIR, or createdb DIR NAME" >&2; exit 2; }
[ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$1" = createdb ]; } || usage
command="$1" ; dir="$2"
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

bin=""
for candidate in /usr/lib/postgresql/*/bin; do [ -x "$candidate/initdb" ] && bin="$candidate"; done
if [ -z "$bin" ]; then
    echo "pg-scratch: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/install-deps.sh --test" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || { echo "pg-scratch: running as root and there is no 'postgres' user to run PostgreSQL as" >&2; exit 1; }
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_server() {
    # Quick to stop (-m fast at `down`), no TCP, the socket in DIR.
    # The server must not inherit this script's output: a caller reading it to the end would
    # wait for the server to exit.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-k $dir -c listen_addresses='' -c max_connections=50" start </dev/null >/dev/null 2>"$dir/pg_ctl.log" ||
        { cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null; exit 1; }
}

case "$command" in
    start)
        [ ! -e "$dir/data" ] || { echo "pg-scratch: $dir already holds a cluster; stop it first" >&2; exit 1; }
        mkdir -p "$dir"
        [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
        as_owner "$bin/initdb" -D "$dir/data" -U seoulworld --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
            { echo "pg-scratch: initdb failed; its output is in $dir/initdb.log" >&2; exit 1; }
        start_server
        as_owner "$bin/createdb" -h "$dir" -U seoulworld seoulworld
        echo "postgres://seoulworld@/seoulworld?host=$dir"
        ;;
    up) start_server ;;
    createdb) as_owner "$bin/createdb" -h "$dir" -U seoulworld "$3" ;;
    down) as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
    stop)
        if [ -e "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true; fi
        rm -rf "$dir"
        ;;
    *) usage ;;
esac
