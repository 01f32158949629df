#!/usr/bin/env bash
# A city of nodes on one machine, for rehearsals and measurements (docs/CLUSTER.md): a throwaway
# PostgreSQL (scripts/pg-scratch.sh), a cluster secret and a member-token secret, and N nodes of
# `seoulworld serve`. Node i is `city-i`, listening on 127.0.0.(10+i) port 7777 (TCP and UDP),
# its admin side on the same address, port 7780. These are loopback addresses: Linux routes all
# of 127.0.0.0/8 to `lo`, so nothing of the machine's network is changed.
#
#   scripts/cluster.sh start DIR [N]      # N nodes (1 to 9, default 3); prints their addresses
#   scripts/cluster.sh status DIR         # the nodes, and which node hosts which space
#   scripts/cluster.sh kill DIR I         # SIGKILL node i (a failure, for rehearsals)
#   scripts/cluster.sh stop DIR           # SIGTERM to every node (they drain), then PostgreSQL; removes DIR
#   scripts/cluster.sh smoke [BOTS] [SECONDS]
#       3 nodes, BOTS touring bots (default 300) for SECONDS (default 60), signed in as members;
#       the node hosting Seoul Plaza is killed with SIGKILL half way. Ends with one line:
#       handovers done N lost N duplicated N failover_seconds S resumed N of M
#
# The binary: $SEOULWORLD, else .build/release/seoulworld, else .build/debug/seoulworld.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${SEOULWORLD:-}"
if [ -z "$bin" ]; then
    for candidate in "$here/.build/release/seoulworld" "$here/.build/debug/seoulworld"; do
        if [ -x "$candidate" ]; then bin="$candidate"; break; fi
    done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "cluster: no seoulworld binary: run 'swift build -c release' or set SEOULWORLD" >&2; exit 1; }

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
address() { echo "127.0.0.$((10 + $1))"; }
url() { cat "$1/store-url"; }
psql_in() { local dir="$1"; shift; psql "$(url "$dir")" -Atq "$@"; }
db_now='(extract(epoch from clock_timestamp()) * 1000)::bigint'

start() {
    local dir="$1" n="$2"
    [[ "$n" =~ ^[1-9]$ ]] || { echo "cluster: N must be 1 to 9, got '$n'" >&2; exit 2; }
    [ ! -e "$dir/nodes" ] || { echo "cluster: $dir holds a cluster already; stop it first" >&2; exit 1; }
    mkdir -p "$dir"
    "$here/scripts/pg-scratch.sh" start "$dir/pg" > "$dir/store-url"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/cluster-secret"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/token-secret"
    chmod 600 "$dir/cluster-secret" "$dir/token-secret"
    mkdir -p "$dir/nodes"
    for i in $(seq 1 "$n"); do
        local prefer=()
        case "$i" in 1) prefer=(--prefer city-hall) ;; 2) prefer=(--prefer seoul-plaza) ;; esac
        # Its own process group, so that `stop` reaches it; no terminal input.
        setsid "$bin" serve --node "city-$i" --host "$(address "$i")" --port 7777 --admin-host "$(address "$i")" --admin-port 7780 \
            --store "$(url "$dir")" --cluster-secret-file "$dir/cluster-secret" --token-secret-file "$dir/token-secret" \
            --worlds "$here/worlds" "${prefer[@]}" </dev/null >"$dir/nodes/city-$i.log" 2>&1 &
        echo $! > "$dir/nodes/city-$i.pid"
    done
    # Ready when every node answers /readyz (at most 30 s).
    for i in $(seq 1 "$n"); do
        local ok=""
        for _ in $(seq 1 150); do
            if curl -fsS "http://$(address "$i"):7780/readyz" >/dev/null 2>&1; then ok=1; break; fi
            kill -0 "$(cat "$dir/nodes/city-$i.pid")" 2>/dev/null || break
            sleep 0.2
        done
        [ -n "$ok" ] || { echo "cluster: node city-$i did not become ready; its log:" >&2; tail -20 "$dir/nodes/city-$i.log" >&2; stop "$dir"; exit 1; }
        echo "city-$i $(address "$i"):7777 (admin http://$(address "$i"):7780)"
    done
}

status() {
    local dir="$1"
    echo "nodes:"
    psql_in "$dir" -F ' ' -c "SELECT node, address, state, population, CASE WHEN seen_at_ms >= $db_now - 5000 THEN 'live' ELSE 'silent' END FROM cluster_nodes ORDER BY node"
    echo "spaces:"
    psql_in "$dir" -F ' ' -c "SELECT space_id, instance, node, population, CASE WHEN lease_until_ms >= $db_now THEN 'leased' ELSE 'lapsed' END FROM space_hosts ORDER BY space_id, instance"
}

stop() {
    local dir="$1"
    if [ -d "$dir/nodes" ]; then
        for pidfile in "$dir"/nodes/*.pid; do
            [ -e "$pidfile" ] || continue
            kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        done
        # A draining node waits at most 5 s for the others, then closes; give it 15.
        for pidfile in "$dir"/nodes/*.pid; do
            [ -e "$pidfile" ] || continue
            local pid; pid="$(cat "$pidfile")"
            for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -KILL "$pid" 2>/dev/null || true
        done
    fi
    [ ! -d "$dir/pg" ] || "$here/scripts/pg-scratch.sh" stop "$dir/pg"
    rm -rf "$dir"
}

# The spaces `node` holds a running lease on, one per line.
held_by() { psql_in "$1" -c "SELECT space_id || '#' || instance FROM space_hosts WHERE node = '$2' AND lease_until_ms >= $db_now ORDER BY 1"; }

# Of `spaces`, how many have a running lease held by a node other than `node`.
rehosted() {
    local dir="$1" node="$2" spaces="$3" list
    list="$(echo "$spaces" | sed "s/.*/'&'/" | paste -sd, -)"
    psql_in "$dir" -c "SELECT count(*) FROM space_hosts WHERE space_id || '#' || instance IN ($list) AND node <> '$node' AND lease_until_ms >= $db_now"
}

smoke() {
    local bots="$1" seconds="$2"
    [[ "$bots" =~ ^[0-9]+$ ]] && [ "$bots" -ge 1 ] && [ "$bots" -le 5000 ] || { echo "cluster: BOTS must be 1 to 5000" >&2; exit 2; }
    [[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 10 ] && [ "$seconds" -le 3600 ] || { echo "cluster: SECONDS must be 10 to 3600" >&2; exit 2; }
    local dir; dir="$(mktemp -d /tmp/seoulworld-cluster-smoke.XXXXXX)"
    # PostgreSQL runs as its own user (scripts/pg-scratch.sh), which must reach the folder.
    chmod 755 "$dir"
    smoke_dir="$dir"
    trap 'stop "$smoke_dir" >/dev/null 2>&1 || true' EXIT
    start "$dir" 3 >&2
    # Every space hosted before the bots come: the nodes spread the spaces nobody prefers after
    # their first lease (about 6 s); then the count stops growing.
    sleep 6
    local last=-1 steady=0
    for _ in $(seq 1 30); do
        local hosted; hosted="$(psql_in "$dir" -c "SELECT count(*) FROM space_hosts WHERE lease_until_ms >= $db_now")"
        if [ "$hosted" = "$last" ]; then steady=$((steady + 1)); else steady=0; last="$hosted"; fi
        [ "$steady" -lt 2 ] || break
        sleep 1
    done
    echo "cluster: $(psql_in "$dir" -c "SELECT count(*) FROM space_hosts WHERE lease_until_ms >= $db_now") spaces hosted; $bots bots for ${seconds}s" >&2
    timeout $((seconds + 120)) "$bin" bots --server "$(address 1):7777" --count "$bots" --scenario "$here/scenarios/landmark-tour.json" \
        --duration "$seconds" --token-secret-file "$dir/token-secret" --report "$dir/bots.json" >"$dir/bots.log" 2>&1 &
    local botspid=$!
    sleep $((seconds / 2))
    # The node hosting the plaza fails.
    local victim; victim="$(psql_in "$dir" -c "SELECT node FROM space_hosts WHERE space_id = 'seoul-plaza' AND instance = 1")"
    local lost_spaces; lost_spaces="$(held_by "$dir" "$victim")"
    local on_victim; on_victim="$(psql_in "$dir" -c "SELECT population FROM cluster_nodes WHERE node = '$victim'")"
    local killed_at; killed_at="$(date +%s.%N)"
    kill -KILL "$(cat "$dir/nodes/$victim.pid")"
    echo "cluster: killed $victim (it held $(echo "$lost_spaces" | grep -c . || true) spaces, $on_victim people)" >&2
    local failover="none"
    for _ in $(seq 1 300); do
        if [ "$(rehosted "$dir" "$victim" "$lost_spaces")" -ge "$(echo "$lost_spaces" | grep -c .)" ]; then
            failover="$(python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$killed_at")"
            break
        fi
        sleep 0.1
    done
    wait "$botspid" || true
    cat "$dir/bots.log" >&2
    # Stop the survivors (they close their visits), then read the records.
    for i in 1 2 3; do [ "city-$i" = "$victim" ] || kill -TERM "$(cat "$dir/nodes/city-$i.pid")" 2>/dev/null || true; done
    for i in 1 2 3; do
        local pid; pid="$(cat "$dir/nodes/city-$i.pid")"
        for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    done
    # An account in two places at once: two of its visits overlapping in time. The visits the
    # killed node left open ended when it was killed (a later start closes them as 'crash').
    local killed_ms; killed_ms="$(python3 -c 'import sys; print(int(float(sys.argv[1]) * 1000))' "$killed_at")"
    local duplicated; duplicated="$(psql_in "$dir" -c "SELECT count(DISTINCT a.account_id) FROM visits a JOIN visits b
        ON a.account_id = b.account_id AND a.id < b.id
        AND a.entered_at_ms < coalesce(b.left_at_ms, $killed_ms) AND b.entered_at_ms < coalesce(a.left_at_ms, $killed_ms)")"
    local done_ lost
    done_="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["handOverMicros"]["count"])' "$dir/bots.json")"
    # Lost: a hand-over that never placed its citizen, neither there nor (its node having just
    # failed) by resuming: still pending at the end, or its bot closed.
    lost="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["handOversPending"] + r["dropped"])' "$dir/bots.json")"
    # The bots on the failed node come back with their resume tickets (PROTOCOL.md 7.20).
    local resumed drops
    resumed="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["resumeMicros"]["count"])' "$dir/bots.json")"
    drops="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["connectionDrops"])' "$dir/bots.json")"
    echo "handovers done $done_ lost $lost duplicated $duplicated failover_seconds $failover resumed $resumed of $drops"
}

[ $# -ge 1 ] || usage
case "$1" in
    start) [ $# -ge 2 ] && [ $# -le 3 ] || usage; start "$(absolute "$2")" "${3:-3}" ;;
    status) [ $# -eq 2 ] || usage; status "$(absolute "$2")" ;;
    kill) [ $# -eq 3 ] || usage; kill -KILL "$(cat "$(absolute "$2")/nodes/city-$3.pid")" ;;
    stop) [ $# -eq 2 ] || usage; stop "$(absolute "$2")" ;;
    smoke) [ $# -le 3 ] || usage; smoke "${2:-300}" "${3:-60}" ;;
    *) usage ;;
esac
