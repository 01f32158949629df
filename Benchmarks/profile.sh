#!/usr/bin/env bash
# Where the server's time goes under load: `seoulworld serve` pinned to core 0, N bots on
# core 1 (the load benchmark's setup), and `perf record` on the server for SECONDS once the
# ramp is over. Prints the share of each object (the server, libc, the kernel) and the top
# entries by self time (kernel included), symbols demangled.
#
#   Benchmarks/profile.sh                      # 1,000 bots, 15 s
#   BOTS=2000 SECONDS_EACH=20 Benchmarks/profile.sh
#   SEOULWORLD=/path/to/other/seoulworld Benchmarks/profile.sh   # another build, same run
#
# Needs perf (Debian's linux-perf; the script installs it). Bounded: the bots run for the
# ramp plus SECONDS_EACH plus 5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
BOTS=${BOTS:-1000}
SECONDS_EACH=${SECONDS_EACH:-15}
TOP=${TOP:-25}
PORT=${PORT:-7794}
RAMP=${RAMP:-400}
SCENARIO=${SCENARIO:-scenarios/plaza-festival.json}
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
scripts/install-deps.sh
if ! command -v perf >/dev/null; then
    apt-get install -y --no-install-recommends linux-perf >&2 || { echo "profile.sh: perf is missing and could not be installed (apt-get install linux-perf)" >&2; exit 1; }
fi
if [ -z "${SEOULWORLD:-}" ]; then swift build -c release >&2; fi
bin=${SEOULWORLD:-.build/release/seoulworld}
pin_server="" ; pin_bots=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin_server="taskset -c 0"; pin_bots="taskset -c 1"; fi
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
export SEOULWORLD_TOKEN_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

$pin_server "$bin" serve --port "$PORT" --no-admin --log-level warning --data "$work/data.sqlite" 2>"$work/server.log" &
server=$!
sleep 1
ramp=$(python3 -c "print($BOTS / $RAMP + 2)")
$pin_bots "$bin" bots --server "127.0.0.1:$PORT" --count "$BOTS" --ramp "$RAMP" --duration "$(python3 -c "print($ramp + $SECONDS_EACH + 5)")" \
    --scenario "$SCENARIO" >/dev/null 2>&1 &
bots=$!
sleep "$ramp"
echo "perf record: server pid $server, $BOTS bots, $SECONDS_EACH s, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
perf record -F 999 -g -p "$server" -o "$work/perf.data" -- sleep "$SECONDS_EACH" >/dev/null 2>&1
wait "$bots" || true
kill -INT "$server"; wait "$server" || true
echo "by object (the kernel is [kernel.kallsyms]):"
perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -n 6 | sed -E 's/ +$//'
echo "by symbol:"
perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 0.5 --stdio 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | head -n "$TOP" | sed -E 's/ +$//' | swift demangle --simplified
