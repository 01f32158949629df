#!/usr/bin/env bash
# A city of nodes on one machine, for rehearsals and measurements (docs/CLUSTER.md): a throwaway
# PostgreSQL (scripts/pg-scratch.sh), a cluster secret, a member-token secret, an operator token,
# and N nodes of `seoulworld serve`. Node i is `city-i`, listening on port 7777 (TCP and UDP),
# its admin side on port 7780, at an address of its own:
# - run as root where network namespaces may be made (the default then): each node in a network
#   namespace of its own (`sw-<id>-<i>`, address 10.77.0.i), joined by a bridge in a namespace
#   `sw-<id>-hub` (10.77.0.254) where the bots and this script's own requests run; PostgreSQL is
#   reached through its Unix socket. Nothing of the machine's own network namespace is touched,
#   and `stop` deletes the namespaces. Reach a node with `ip netns exec sw-<id>-hub curl ...`.
# - else (or with CLUSTER_NETWORK=loopback): 127.0.0.(10+i) on the machine's loopback, which
#   Linux routes whole to `lo`, so nothing is changed either.
#
#   scripts/cluster.sh start DIR [N]      # N nodes (1 to 9, default 3); prints their addresses
#   scripts/cluster.sh status DIR         # the nodes, and which node hosts which space
#   scripts/cluster.sh kill DIR I         # SIGKILL node i (a failure, for rehearsals)
#   scripts/cluster.sh stop DIR           # SIGTERM to every node (they drain), then PostgreSQL; removes DIR
#   scripts/cluster.sh smoke [BOTS] [SECONDS] [NODES]
#       NODES nodes (default 3), BOTS touring bots (default 300) for SECONDS (default 60), signed in as members;
#       the node hosting Seoul Plaza is killed with SIGKILL half way. Ends with one line:
#       handovers done N lost N duplicated N failover_seconds S resumed N of M
#   scripts/cluster.sh overflow [BOTS] [CAPACITY] [SECONDS]
#       3 nodes whose Seoul Plaza holds CAPACITY (default 100), BOTS members (default 300) all
#       arriving at the plaza at once and asking again when refused as full, for SECONDS
#       (default 40); every instance's population is read from the nodes 4 times a second.
#       Ends with one line:
#       arrivals N placed N refused_full N instances N most_in_an_instance N capacity N cap_violations N
#   scripts/cluster.sh bans [BOTS] [BANS]
#       3 nodes, BOTS touring member bots (default 300); after 20 s, BANS of them (default 50),
#       spread over the nodes, are banned one every half second through node 1's admin API
#       (`POST /api/ban`). Each ban is timed from just before the request to the moment the
#       banned bot saw its connection closed with `banned` (the bot fleet's loop turns every
#       50 ms). Ends with one line:
#       bans N reached N p50_ms X p99_ms X max_ms X other_node_bans N other_node_p99_ms X
#   scripts/cluster.sh partition [BOTS]
#       3 nodes in network namespaces (root only), BOTS touring member bots (default 150) for
#       90 s; at 20 s the network of the node hosting Seoul Plaza is cut (its link to the bridge
#       taken down: PostgreSQL, on its Unix socket, still answers it), at 55 s restored. Ends
#       with one line:
#       partition node NAME spaces N cut_off_seconds S rehosted_seconds S people_on_it N resumed N of M back_seconds S
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

usage() { sed -n '2,42p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

# The cluster's network: "netns" (with the namespaces' prefix) or "loopback"; read from DIR by
# `load_network` once `start` chose it.
network=loopback
prefix=""
load_network() {
    network="$(cat "$1/network" 2>/dev/null || echo loopback)"
    prefix="$(cat "$1/netns-prefix" 2>/dev/null || true)"
}
address() { if [ "$network" = netns ]; then echo "10.77.0.$1"; else echo "127.0.0.$((10 + $1))"; fi; }
# Runs a command where node i lives (i = hub: where the bots and this script's requests run).
in_ns() { local where="$1"; shift; if [ "$network" = netns ]; then ip netns exec "$prefix-$where" "$@"; else "$@"; fi; }

# Makes the namespaces of a cluster of N nodes; false (nothing left behind) where it cannot.
make_namespaces() {
    local n="$1"
    [ "$(id -u)" = 0 ] && command -v ip >/dev/null || return 1
    ip netns add "$prefix-hub" 2>/dev/null || return 1
    {
        ip netns exec "$prefix-hub" ip link set lo up &&
        ip netns exec "$prefix-hub" ip link add br0 type bridge &&
        ip netns exec "$prefix-hub" ip addr add 10.77.0.254/24 dev br0 &&
        ip netns exec "$prefix-hub" ip link set br0 up &&
        for i in $(seq 1 "$n"); do
            ip netns add "$prefix-$i" &&
            ip netns exec "$prefix-$i" ip link set lo up &&
            # Made inside the hub, its other end moved into the node's namespace.
            ip netns exec "$prefix-hub" ip link add "v$i" type veth peer name eth0 netns "$prefix-$i" &&
            ip netns exec "$prefix-hub" ip link set "v$i" master br0 up &&
            ip netns exec "$prefix-$i" ip addr add "10.77.0.$i/24" dev eth0 &&
            ip netns exec "$prefix-$i" ip link set eth0 up || return 1
        done
    } || { delete_namespaces; return 1; }
}
delete_namespaces() {
    [ -n "$prefix" ] || return 0
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-" || true); do ip netns del "$ns" 2>/dev/null || true; done
}
url() { cat "$1/store-url"; }
psql_in() { local dir="$1"; shift; psql "$(url "$dir")" -Atq "$@"; }
db_now='(extract(epoch from clock_timestamp()) * 1000)::bigint'

start() {
    local dir="$1" n="$2"
    [[ "$n" =~ ^[1-9]$ ]] || { echo "cluster: N must be 1 to 9, got '$n'" >&2; exit 2; }
    [ ! -e "$dir/nodes" ] || { echo "cluster: $dir holds a cluster already; stop it first" >&2; exit 1; }
    mkdir -p "$dir"
    # The network: namespaces unless told otherwise or not allowed here.
    prefix="sw-$(echo "$dir" | md5sum | cut -c1-6)"
    network=loopback
    if [ "${CLUSTER_NETWORK:-netns}" = netns ] && make_namespaces "$n"; then network=netns; fi
    echo "$network" > "$dir/network"
    echo "$prefix" > "$dir/netns-prefix"
    "$here/scripts/pg-scratch.sh" start "$dir/pg" > "$dir/store-url" || {
        echo "cluster: PostgreSQL did not start (scripts/pg-scratch.sh); nothing is left running" >&2
        [ "$network" != netns ] || delete_namespaces
        rm -rf "$dir"
        exit 1
    }
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/cluster-secret"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/token-secret"
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/admin-token"
    chmod 600 "$dir/cluster-secret" "$dir/token-secret" "$dir/admin-token"
    mkdir -p "$dir/nodes"
    for i in $(seq 1 "$n"); do
        local prefer=()
        case "$i" in 1) prefer=(--prefer city-hall) ;; 2) prefer=(--prefer seoul-plaza) ;; esac
        # Its own process group, so that `stop` reaches it; no terminal input.
        # `ip netns exec` and setsid each exec the next, so that $! is the server's own pid.
        local inside=()
        [ "$network" != netns ] || inside=(ip netns exec "$prefix-$i")
        "${inside[@]}" setsid "$bin" serve --node "city-$i" --host "$(address "$i")" --port 7777 --admin-host "$(address "$i")" --admin-port 7780 \
            --store "$(url "$dir")" --cluster-secret-file "$dir/cluster-secret" --token-secret-file "$dir/token-secret" \
            --admin-token-file "$dir/admin-token" \
            --worlds "${CLUSTER_WORLDS:-$here/worlds}" "${prefer[@]}" </dev/null >"$dir/nodes/city-$i.log" 2>&1 &
        echo $! > "$dir/nodes/city-$i.pid"
    done
    # Ready when every node answers /readyz (at most 30 s).
    for i in $(seq 1 "$n"); do
        local ok=""
        for _ in $(seq 1 150); do
            if in_ns hub curl -fsS "http://$(address "$i"):7780/readyz" >/dev/null 2>&1; then ok=1; break; fi
            kill -0 "$(cat "$dir/nodes/city-$i.pid")" 2>/dev/null || break
            sleep 0.2
        done
        [ -n "$ok" ] || { echo "cluster: node city-$i did not become ready; its log:" >&2; tail -20 "$dir/nodes/city-$i.log" >&2; stop "$dir"; exit 1; }
        echo "city-$i $(address "$i"):7777 (admin http://$(address "$i"):7780)"
    done
    if [ "$network" = netns ]; then
        echo "network: each node in its own namespace; reach them from $prefix-hub (ip netns exec $prefix-hub ...)"
    else
        echo "network: loopback addresses (namespaces not made: not root, or CLUSTER_NETWORK=loopback)"
    fi
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
    load_network "$dir"
    [ "$network" != netns ] || delete_namespaces
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

# One line of node i's own figures: its tick p50/p99 over its last 6,000 ticks (5 minutes at 20 Hz;
# /api/overview), and the CPU seconds it used (/proc) per 1,000 client-ticks (/metrics) since it
# started.
node_figures() {
    local dir="$1" i="$2" pid; pid="$(cat "$dir/nodes/city-$i.pid")"
    local overview metrics
    overview="$(in_ns hub curl -fsS -H "Authorization: Bearer $(cat "$dir/admin-token")" "http://$(address "$i"):7780/api/overview" 2>/dev/null || echo '{}')"
    metrics="$(in_ns hub curl -fsS -H "Authorization: Bearer $(cat "$dir/admin-token")" "http://$(address "$i"):7780/metrics" 2>/dev/null || true)"
    python3 - "city-$i" "$pid" "$overview" "$metrics" <<'PY'
import json, os, sys
node, pid, overview, metrics = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
tick = overview.get("tick", {})
client_ticks = next((float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("seoulworld_client_ticks_total")), 0.0)
try:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
except OSError:
    cpu = float("nan")
per = cpu / client_ticks * 1000 if client_ticks else float("nan")
print(f"{node}: tick p50 {tick.get('p50Millis', float('nan')):.1f} ms p99 {tick.get('p99Millis', float('nan')):.1f} ms "
      f"over {tick.get('samples', 0)} ticks; {cpu:.1f} CPU s for {client_ticks:.0f} client-ticks: {per:.4f} CPU s per 1,000")
PY
}

# Waits until every space is hosted: the nodes spread the spaces nobody prefers after their
# first lease (about 6 s); then the count stops growing.
settle() {
    local dir="$1" last=-1 steady=0
    sleep 6
    for _ in $(seq 1 30); do
        local hosted; hosted="$(psql_in "$dir" -c "SELECT count(*) FROM space_hosts WHERE lease_until_ms >= $db_now")"
        if [ "$hosted" = "$last" ]; then steady=$((steady + 1)); else steady=0; last="$hosted"; fi
        [ "$steady" -lt 2 ] || break
        sleep 1
    done
}

# A throwaway folder for one measured run (`run_dir`), its cluster stopped and the folder
# removed when the script exits, however it exits.
make_run_dir() {
    run_dir="$(mktemp -d "/tmp/seoulworld-cluster-$1.XXXXXX")"
    # PostgreSQL runs as its own user (scripts/pg-scratch.sh), which must reach the folder.
    chmod 755 "$run_dir"
    trap 'stop "$run_dir" >/dev/null 2>&1 || true' EXIT
}

overflow() {
    local bots="$1" capacity="$2" seconds="$3"
    [[ "$bots" =~ ^[0-9]+$ ]] && [ "$bots" -ge 1 ] && [ "$bots" -le 6000 ] || { echo "cluster: BOTS must be 1 to 6000" >&2; exit 2; }
    [[ "$capacity" =~ ^[0-9]+$ ]] && [ "$capacity" -ge 2 ] && [ "$capacity" -le 5000 ] || { echo "cluster: CAPACITY must be 2 to 5000" >&2; exit 2; }
    [[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 10 ] && [ "$seconds" -le 3600 ] || { echo "cluster: SECONDS must be 10 to 3600" >&2; exit 2; }
    make_run_dir overflow
    local dir="$run_dir"
    # The city's worlds, with the plaza made to hold CAPACITY; the server finds its other data
    # (policy, desks, guide, ...) beside the worlds folder, so those are linked in beside it.
    mkdir -p "$dir/city/worlds"
    for entry in "$here"/*; do [ "$(basename "$entry")" = worlds ] || ln -s "$entry" "$dir/city/"; done
    cp -r "$here/worlds/." "$dir/city/worlds/"
    python3 - "$dir/city/worlds/seoul-plaza.json" "$capacity" <<'PY'
import json, sys
path, capacity = sys.argv[1], int(sys.argv[2])
world = json.load(open(path))
world["capacity"] = capacity
json.dump(world, open(path, "w"), ensure_ascii=False, indent=2)
PY
    CLUSTER_WORLDS="$dir/city/worlds" start "$dir" 3 >&2
    settle "$dir"
    echo "cluster: plaza capacity $capacity; $bots bots arriving for ${seconds}s" >&2
    # Every instance's population, from each node's own count, 4 times a second until the bots end.
    in_ns hub python3 - "$dir/sampled.json" "$dir/admin-token" "$(address 1)" "$(address 2)" "$(address 3)" <<'PY' &
import json, sys, time, urllib.request, os
out, token, hosts = sys.argv[1], open(sys.argv[2]).read().strip(), sys.argv[3:]
most, capacity, violations, samples, seen = {}, {}, 0, 0, set()
stop_file = out + ".stop"
while not os.path.exists(stop_file):
    for host in hosts:
        try:
            request = urllib.request.Request(f"http://{host}:7780/api/spaces", headers={"Authorization": f"Bearer {token}"})
            spaces = json.load(urllib.request.urlopen(request, timeout=1))
        except Exception:
            continue
        for s in spaces:
            if not s["id"].startswith("seoul-plaza"):
                continue
            samples += 1
            seen.add(s["id"])
            most[s["id"]] = max(most.get(s["id"], 0), s["population"])
            capacity[s["id"]] = s["capacity"]
            if s["population"] > s["capacity"]:
                violations += 1
    time.sleep(0.25)
json.dump({"most": most, "capacity": capacity, "violations": violations, "samples": samples, "seen": sorted(seen)}, open(out, "w"))
PY
    local sampler=$!
    in_ns hub timeout $((seconds + 120)) "$bin" bots --server "$(address 1):7777" --count "$bots" --scenario "$here/scenarios/plaza-festival.json" \
        --duration "$seconds" --token-secret-file "$dir/token-secret" --report "$dir/bots.json" >"$dir/bots.log" 2>&1 || true
    touch "$dir/sampled.json.stop"
    wait "$sampler" || true
    cat "$dir/bots.log" >&2
    python3 - "$dir/bots.json" "$dir/sampled.json" "$bots" <<'PY'
import json, sys
bots, sampled, target = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
placed = sum(n for space, n in bots["placedBySpace"].items() if space.startswith("seoul-plaza"))
most = max(sampled["most"].values() or [0])
capacity = max(sampled["capacity"].values() or [0])
print(f"arrivals {target} placed {placed} refused_full {bots['refusedFull']} instances {len(sampled['seen'])} "
      f"most_in_an_instance {most} capacity {capacity} cap_violations {sampled['violations']}")
PY
}

smoke() {
    local bots="$1" seconds="$2" nodes="$3"
    [[ "$nodes" =~ ^[2-9]$ ]] || { echo "cluster: NODES must be 2 to 9" >&2; exit 2; }
    [[ "$bots" =~ ^[0-9]+$ ]] && [ "$bots" -ge 1 ] && [ "$bots" -le 5000 ] || { echo "cluster: BOTS must be 1 to 5000" >&2; exit 2; }
    [[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 10 ] && [ "$seconds" -le 3600 ] || { echo "cluster: SECONDS must be 10 to 3600" >&2; exit 2; }
    make_run_dir smoke
    local dir="$run_dir"
    start "$dir" "$nodes" >&2
    settle "$dir"
    echo "cluster: $(psql_in "$dir" -c "SELECT count(*) FROM space_hosts WHERE lease_until_ms >= $db_now") spaces hosted on $nodes nodes; $bots bots for ${seconds}s" >&2
    in_ns hub timeout $((seconds + 120)) "$bin" bots --server "$(address 1):7777" --count "$bots" --scenario "$here/scenarios/landmark-tour.json" \
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
    # Each survivor's own figures first: its tick p99 and its CPU per 1,000 client-ticks.
    for i in $(seq 1 "$nodes"); do
        [ "city-$i" = "$victim" ] || node_figures "$dir" "$i" >&2
    done
    for i in $(seq 1 "$nodes"); do [ "city-$i" = "$victim" ] || kill -TERM "$(cat "$dir/nodes/city-$i.pid")" 2>/dev/null || true; done
    for i in $(seq 1 "$nodes"); do
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

bans() {
    local bots="$1" bans="$2"
    [[ "$bots" =~ ^[0-9]+$ ]] && [ "$bots" -ge 3 ] && [ "$bots" -le 5000 ] || { echo "cluster: BOTS must be 3 to 5000" >&2; exit 2; }
    [[ "$bans" =~ ^[0-9]+$ ]] && [ "$bans" -ge 1 ] && [ "$bans" -le "$bots" ] && [ "$bans" -le 1000 ] || { echo "cluster: BANS must be 1 to BOTS (at most 1000)" >&2; exit 2; }
    make_run_dir bans
    local dir="$run_dir"
    start "$dir" 3 >&2
    settle "$dir"
    local seconds=$((20 + bans / 2 + 10))
    echo "cluster: $bots bots for ${seconds}s; $bans bans from 20 s on" >&2
    in_ns hub timeout $((seconds + 120)) "$bin" bots --server "$(address 1):7777" --count "$bots" --scenario "$here/scenarios/landmark-tour.json" \
        --duration "$seconds" --token-secret-file "$dir/token-secret" --report "$dir/bots.json" >"$dir/bots.log" 2>&1 &
    local botspid=$!
    sleep 20
    # Distinct bots, spread over the fleet by a stride prime to its size; each ban's start time.
    in_ns hub python3 - "$dir/bans.json" "$dir/admin-token" "$(address 1)" "$bots" "$bans" <<'PY'
import json, math, sys, time, urllib.request
out, token, host, bots, bans = sys.argv[1], open(sys.argv[2]).read().strip(), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
stride = next(s for s in range(bots // 2 + 1, bots + bots) if math.gcd(s, bots) == 1)
made = []
for k in range(bans):
    bot = (k * stride) % bots
    body = json.dumps({"account": f"bot-{bot}", "seconds": 3600, "reason": "a ban timed by scripts/cluster.sh bans"}).encode()
    request = urllib.request.Request(f"http://{host}:7780/api/ban", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    at = time.time() * 1000
    try:
        status = urllib.request.urlopen(request, timeout=10).status
    except Exception as e:
        status = getattr(e, "code", str(e))
    made.append({"bot": bot, "atUnixMillis": at, "status": status})
    time.sleep(max(0, 0.5 - (time.time() * 1000 - at) / 1000))
json.dump(made, open(out, "w"))
PY
    wait "$botspid" || true
    cat "$dir/bots.log" >&2
    python3 - "$dir/bots.json" "$dir/bans.json" "$(address 1):7777" <<'PY'
import json, sys
report, made, node1 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
gone = {r["bot"]: r for r in report.get("removals", []) if r["code"] == "banned"}
refused = [m for m in made if m["status"] != 200]
if refused:
    print(f"cluster: {len(refused)} ban requests were not answered 200: {refused[:3]}", file=sys.stderr)
times, other = [], []
for m in made:
    r = gone.get(m["bot"])
    if r is None:
        continue
    ms = r["atUnixMillis"] - m["atUnixMillis"]
    times.append(ms)
    if r["server"] != node1:
        other.append(ms)
def pct(values, p):
    if not values:
        return "none"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(p * len(values)))]:.0f}"
print(f"bans {len(made)} reached {len(times)} p50_ms {pct(times, 0.5)} p99_ms {pct(times, 0.99)} max_ms {pct(times, 1.0)} "
      f"other_node_bans {len(other)} other_node_p99_ms {pct(other, 0.99)}")
PY
}

# Seconds since `since` (a `date +%s.%N`), one decimal.
seconds_since() { python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }

partition() {
    local bots="$1"
    [[ "$bots" =~ ^[0-9]+$ ]] && [ "$bots" -ge 1 ] && [ "$bots" -le 3000 ] || { echo "cluster: BOTS must be 1 to 3000" >&2; exit 2; }
    make_run_dir partition
    local dir="$run_dir"
    start "$dir" 3 >&2
    load_network "$dir"
    [ "$network" = netns ] || { echo "cluster: partition cuts a node's network in its namespace: run as root, without CLUSTER_NETWORK=loopback" >&2; exit 1; }
    settle "$dir"
    echo "cluster: $bots bots for 90 s; a node's network cut at 20 s, restored at 55 s" >&2
    in_ns hub timeout 210 "$bin" bots --server "$(address 1):7777" --count "$bots" --scenario "$here/scenarios/landmark-tour.json" \
        --duration 90 --token-secret-file "$dir/token-secret" --report "$dir/bots.json" >"$dir/bots.log" 2>&1 &
    local botspid=$!
    local started; started="$(date +%s.%N)"
    sleep 20
    local victim; victim="$(psql_in "$dir" -c "SELECT node FROM space_hosts WHERE space_id = 'seoul-plaza' AND instance = 1")"
    local i="${victim#city-}"
    local lost_spaces; lost_spaces="$(held_by "$dir" "$victim")"
    local people; people="$(psql_in "$dir" -c "SELECT population FROM cluster_nodes WHERE node = '$victim'")"
    local cut_at; cut_at="$(date +%s.%N)"
    # The hub's end of the node's link: the node keeps its address, and nothing reaches it.
    in_ns hub ip link set "v$i" down
    echo "cluster: cut $victim's network ($(echo "$lost_spaces" | grep -c . || true) spaces, $people people)" >&2
    local cut_off="none" rehosted="none"
    for _ in $(seq 1 300); do
        if [ "$cut_off" = none ] && grep -q "the other nodes cannot reach this node" "$dir/nodes/$victim.log"; then cut_off="$(seconds_since "$cut_at")"; fi
        if [ "$rehosted" = none ] && [ "$(rehosted "$dir" "$victim" "$lost_spaces")" -ge "$(echo "$lost_spaces" | grep -c .)" ]; then rehosted="$(seconds_since "$cut_at")"; fi
        [ "$cut_off" = none ] || [ "$rehosted" = none ] || break
        sleep 0.1
    done
    echo "cluster: $victim's own /readyz while cut: $(in_ns "$i" curl -sS "http://$(address "$i"):7780/readyz" 2>&1 | head -c 400)" >&2
    python3 -c 'import sys, time; time.sleep(max(0, float(sys.argv[1]) + 55 - time.time()))' "$started"
    local healed_at; healed_at="$(date +%s.%N)"
    in_ns hub ip link set "v$i" up
    local back="none"
    for _ in $(seq 1 300); do
        if [ "$(psql_in "$dir" -c "SELECT count(*) FROM space_hosts WHERE space_id = 'seoul-plaza' AND instance = 1 AND node = '$victim' AND lease_until_ms >= $db_now")" = 1 ]; then
            back="$(seconds_since "$healed_at")"
            break
        fi
        sleep 0.1
    done
    wait "$botspid" || true
    cat "$dir/bots.log" >&2
    python3 - "$dir/bots.json" "$victim" "$(echo "$lost_spaces" | grep -c .)" "$cut_off" "$rehosted" "$people" "$back" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
victim, spaces, cut_off, rehosted, people, back = sys.argv[2:8]
print(f"partition node {victim} spaces {spaces} cut_off_seconds {cut_off} rehosted_seconds {rehosted} people_on_it {people} "
      f"resumed {r['resumeMicros']['count']} of {r['connectionDrops']} back_seconds {back}")
PY
}

[ $# -ge 1 ] || usage
case "$1" in
    start) [ $# -ge 2 ] && [ $# -le 3 ] || usage; start "$(absolute "$2")" "${3:-3}" ;;
    status) [ $# -eq 2 ] || usage; status "$(absolute "$2")" ;;
    kill) [ $# -eq 3 ] || usage; kill -KILL "$(cat "$(absolute "$2")/nodes/city-$3.pid")" ;;
    stop) [ $# -eq 2 ] || usage; stop "$(absolute "$2")" ;;
    smoke) [ $# -le 4 ] || usage; smoke "${2:-300}" "${3:-60}" "${4:-3}" ;;
    overflow) [ $# -le 4 ] || usage; overflow "${2:-300}" "${3:-100}" "${4:-40}" ;;
    bans) [ $# -le 3 ] || usage; bans "${2:-300}" "${3:-50}" ;;
    partition) [ $# -le 2 ] || usage; partition "${2:-150}" ;;
    *) usage ;;
esac
