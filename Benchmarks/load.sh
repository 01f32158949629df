#!/usr/bin/env bash
# The load benchmark: the real server against N load-test bots on loopback, one run per N,
# server and bots pinned to different cores where there are two. Prints one Markdown table:
# N, the server's own tick p50/p99, its CPU seconds per 1,000 client-ticks, its peak resident
# memory and its resident memory per connected client (RSS with every bot in, less RSS before
# the first, over N), the bots' RTT p99, kbit/s down per bot, connections failed or dropped,
# and how busy the bots' core was (near 100 %: the bots, not the server, are the limit).
#
#   Benchmarks/load.sh                         # N = 250 500 1000 2000, 30 s each
#   COUNTS="2000" SECONDS_EACH=300 Benchmarks/load.sh   # the five-minute soak at 2,000
#   KEEP=1 Benchmarks/load.sh        # keep the server logs and the bots' JSON reports
#                                    # (drops and failures by reason) and print where
#   FLOOD=2000 COUNTS=500 Benchmarks/load.sh   # the bots also send 2,000 bug reports a second
#                                    # (a write flood for the store); adds their figures
#   CHAT=10 COUNTS=1000 Benchmarks/load.sh     # the bots sign in as members and each says a
#                                    # line to those nearby every 10 s (10% profane); adds
#                                    # chat figures: sent and received per second, filtered,
#                                    # rate-limited, and latency sent to received by a bot
#
#   SCENARIO=scenarios/desk-120.json DESK_CLOCK="2026-11-23 10:00" COUNTS=1050 Benchmarks/load.sh
#                                    # the 120 desk: 50 bot counsellors serve 1,000 bot citizens;
#                                    # DESK_CLOCK sets the desks' clock (a weekday morning) so that
#                                    # the desk is open whenever the benchmark runs; adds the
#                                    # sessions and the time from "taken" to both in the room
#
#   STORE=postgres FLOOD=2000 COUNTS=500 Benchmarks/load.sh   # the records in PostgreSQL: a
#                                    # throwaway cluster (scripts/pg-scratch.sh), a database
#                                    # per N; compare with the same line without STORE
#
#   ADMIN=watch COUNTS=1000 Benchmarks/load.sh  # the admin page open in headless Chromium on the
#                                    # bots' space (live map at 4 frames/s) and /metrics scraped
#                                    # every second, both on the bots' core; ADMIN=off runs
#                                    # without the admin side (--no-admin); the default has it
#                                    # on and idle, as `seoulworld serve` does
#
#   BIN=/path/to/seoulworld Benchmarks/load.sh   # that binary instead of building this tree
#                                    # (alternate two builds for a before and after)
#   PROCESSES=2 Benchmarks/load.sh   # the bots as two processes (`bots --processes`), on the
#                                    # same bots' core: their reports merged; for counts one
#                                    # bots process cannot drive
#   RAISE=25 Benchmarks/load.sh      # raise the count (START=500, STEP=250, up to MAX=5000)
#                                    # until the server's tick p99 passes 25 ms, or the bots
#                                    # themselves fall behind (their own loop stalled or their
#                                    # core was full: then the limit found is the bots', and it
#                                    # says so), and print the largest count that held
#
# Each run's server keeps its records in a fresh database in the work directory.
#
# Bounded: each run lasts SECONDS_EACH plus the ramp; the server is stopped after each.
set -euo pipefail
cd "$(dirname "$0")/.."

RAISE=${RAISE:-}
if [ -n "$RAISE" ]; then
    START=${START:-500} ; STEP=${STEP:-250} ; MAX=${MAX:-5000}
    COUNTS=$(seq "$START" "$STEP" "$MAX" | tr '\n' ' ')
fi
COUNTS=${COUNTS:-"250 500 1000 2000"}
SECONDS_EACH=${SECONDS_EACH:-30}
PORT=${PORT:-7790}
SCENARIO=${SCENARIO:-scenarios/plaza-festival.json}
FLOOD=${FLOOD:-0}
CHAT=${CHAT:-0}
DESK_CLOCK=${DESK_CLOCK:-}
RAMP=${RAMP:-400}
ADMIN=${ADMIN:-idle}
ADMIN_PORT=${ADMIN_PORT:-7791}
PROCESSES=${PROCESSES:-1}
processes=() # (an older build, BIN=..., has no --processes)
if [ "$PROCESSES" != 1 ]; then processes=(--processes "$PROCESSES"); fi

ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
scripts/install-deps.sh
if [ -n "${BIN:-}" ]; then
    bin=$BIN   # a build of one's own, for A/B runs (the same binary serves and runs the bots)
else
    swift build -c release >&2
    bin=.build/release/seoulworld
fi
pin_server="" ; pin_bots=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin_server="taskset -c 0"; pin_bots="taskset -c 1"; fi
work=$(mktemp -d)
stop_pg() { if [ -d "$work/pg" ]; then scripts/pg-scratch.sh stop "$work/pg"; fi; }
if [ -n "${KEEP:-}" ]; then
    trap 'stop_pg; echo; echo "reports and logs kept in $work"' EXIT
else
    trap 'stop_pg; rm -rf "$work"' EXIT
fi
# PostgreSQL runs as its own user (scripts/pg-scratch.sh): it must reach its folder in here.
if [ "${STORE:-sqlite}" = postgres ]; then chmod 755 "$work"; fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), scenario $(basename "$SCENARIO"), ${SECONDS_EACH} s per run after a ramp of ${RAMP} bots/s, admin side: $ADMIN, store: ${STORE:-sqlite}"
echo
# One secret for the server and the bots (members, so that they may chat); this run's only.
export SEOULWORLD_TOKEN_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
chat_header="" ; chat_rule=""
if [ "$CHAT" != 0 ]; then
    chat_header=" chat sent / received per s | filtered | rate-limited | chat latency p50 / p99 |"
    chat_rule="---:|---:|---:|---:|"
fi
if [ "$FLOOD" = 0 ]; then
    echo "| bots | server tick p50 | server tick p99 | server CPU s per 1,000 client-ticks | server peak RSS | RSS per client | RTT p99 | kbit/s down per bot | failed / dropped | bots' core busy |$chat_header"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|$chat_rule"
else
    echo "| bots | server tick p50 | server tick p99 | server CPU s per 1,000 client-ticks | server peak RSS | RSS per client | RTT p99 | kbit/s down per bot | failed / dropped | bots' core busy | reports acknowledged per s | report latency p50 / p99 | busy |$chat_header"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|$chat_rule"
fi
for n in $COUNTS; do
    duration=$(python3 -c "print($SECONDS_EACH + $n / $RAMP)")
    desk_clock=()
    if [ -n "$DESK_CLOCK" ]; then desk_clock=(--desk-clock-start "$DESK_CLOCK"); fi
    admin=(--admin-port "$ADMIN_PORT")
    if [ "$ADMIN" = off ]; then admin=(--no-admin); fi
    store=(--data "$work/data-$n.sqlite")
    if [ "${STORE:-sqlite}" = postgres ]; then
        [ -n "${pg_url:-}" ] || pg_url=$(scripts/pg-scratch.sh start "$work/pg")
        scripts/pg-scratch.sh createdb "$work/pg" "n$n"
        store=(--store "postgres://seoulworld@/n$n?host=$work/pg")
    fi
    $pin_server "$bin" serve --port "$PORT" --log-level warning --stats-file "$work/server-$n.json" "${store[@]}" "${desk_clock[@]}" "${admin[@]}" 2>"$work/server-$n.log" &
    server=$!
    sleep 1
    watchers=()
    if [ "$ADMIN" = watch ]; then
        space=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('world', 'seoul-plaza'))" "$SCENARIO")
        $pin_bots chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$work/chromium" \
            --remote-debugging-port=0 "http://127.0.0.1:$ADMIN_PORT/?space=$space" >/dev/null 2>&1 &
        watchers+=($!)
        ( end=$((SECONDS + ${duration%.*} + 5)); while [ $SECONDS -lt $end ]; do
              curl -s -o /dev/null "http://127.0.0.1:$ADMIN_PORT/metrics" || true; sleep 1; done ) &
        watchers+=($!)
    fi
    rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
    # The server's resident memory with every bot in: sampled once the ramp is over and the
    # bots have played for a few seconds (before they leave).
    ( sleep "$(python3 -c "print($n / $RAMP + min(10, $SECONDS_EACH / 2))")"; awk '/^VmRSS/ {print $2}' "/proc/$server/status" >"$work/rss-$n.txt" 2>/dev/null ) &
    sampler=$!
    times >"$work/times-before-$n" # not in a pipe or $(...): a subshell has no children
    $pin_bots "$bin" bots --server "127.0.0.1:$PORT" --count "$n" --ramp "$RAMP" --duration "$duration" \
        --scenario "$SCENARIO" "${processes[@]}" --bug-reports-per-second "$FLOOD" --chat-every-seconds "$CHAT" --report "$work/bots-$n.json" >"$work/bots-$n.txt" 2>/dev/null || true
    times >"$work/times-after-$n"
    wait "$sampler" || true
    for w in "${watchers[@]}"; do kill "$w" 2>/dev/null || true; wait "$w" 2>/dev/null || true; done
    kill -INT "$server"
    wait "$server" || true
    python3 - "$work/server-$n.json" "$work/bots-$n.json" "$n" "$rss_before" "$(cat "$work/rss-$n.txt" 2>/dev/null || echo 0)" \
        "$(tail -1 "$work/times-before-$n")" "$(tail -1 "$work/times-after-$n")" "$duration" <<'PY'
import json, re, sys
server = json.load(open(sys.argv[1])); bots = json.load(open(sys.argv[2])); n = sys.argv[3]
rss_before, rss_in = int(sys.argv[4] or 0), int(sys.argv[5] or 0)
def seconds(times_line):  # bash `times`: "0m1.234s 0m0.567s" (children's user and system)
    return sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", times_line))
bots_busy = (seconds(sys.argv[7]) - seconds(sys.argv[6])) / float(sys.argv[8]) * 100
cpu = server["cpuSeconds"] / max(1, server["clientTicks"]) * 1000
rss = server.get("maxResidentKilobytes", 0) / 1024
per_client = f"{(rss_in - rss_before) / int(n):.1f} KB" if rss_in > 0 else "?"
row = (f"| {n} | {server['tickP50Millis']:.2f} ms | {server['tickP99Millis']:.2f} ms | {cpu:.3f} | {rss:.0f} MB | {per_client} | {bots['rttMillis']['p99']} ms | "
       f"{bots['kilobitsPerSecondDownPerBot']:.1f} | {bots['failed']} / {bots['dropped']} | {bots_busy:.0f} % |")
if bots.get("bugReportsSent", 0) > 0:
    lat = bots["bugReportLatencyMicros"]
    row += (f" {bots['bugReportsFiled'] / bots['durationSeconds']:.0f} | {lat['p50'] / 1000:.1f} / {lat['p99'] / 1000:.1f} ms |"
            f" {bots['bugReportsBusy']} |")
desk = bots.get("desk", {})
if desk.get("joins", 0) > 0:
    t = bots["deskTakeToRoomMicros"]
    row += (f" desk: {desk['sessionsStarted']} sessions, taken to in the room p50 {t['p50'] / 1000:.1f} / p99 {t['p99'] / 1000:.1f} ms |")
chat = bots.get("chat", {})
if chat.get("sent", 0) > 0:
    d = bots["durationSeconds"]; lat = bots["chatLatencyMicros"]
    row += (f" {chat['sent'] / d:.0f} / {chat['delivered'] / d:.0f} | {chat['filtered']} | {chat['rateLimited']} |"
            f" {lat['p50'] / 1000:.1f} / {lat['p99'] / 1000:.1f} ms |")
print(row)
PY
    if [ -n "$RAISE" ]; then
        # The verdict of this count: held, the server's limit, or the bots' own.
        verdict=$(python3 - "$work/server-$n.json" "$work/bots-$n.json" "$RAISE" <<'PY'
import json, sys
server = json.load(open(sys.argv[1])); bots = json.load(open(sys.argv[2])); limit = float(sys.argv[3])
loop = bots.get("fleetLoop", {})
# The bots' loop fell behind: a stall of a third of the server's 30 s idle window, drops that
# came after one, or connections failed (the bots could not keep their own pace).
if loop.get("longestStallMillis", 0) >= 10_000 or loop.get("dropsAfterOwnStall", 0) > 0 or loop.get("failuresAfterOwnStall", 0) > 0:
    print(f"bots longest stall {loop.get('longestStallMillis', 0)} ms, {loop.get('dropsAfterOwnStall', 0)} drops after it, busy {loop.get('busyShare', 0) * 100:.0f} %")
elif server["tickP99Millis"] > limit:
    print(f"server tick p99 {server['tickP99Millis']:.2f} ms")
else:
    print("held")
PY
)
        if [ "$verdict" != held ]; then
            echo
            echo "stopped at $n bots: $verdict"
            break
        fi
        held=$n
    fi
done
if [ -n "$RAISE" ]; then
    echo
    if [ -n "${held:-}" ]; then
        echo "largest count with the server's tick p99 at or under $RAISE ms: $held bots (their row above has the bots' core use)"
    else
        echo "no count held: the first, $START, already passed $RAISE ms or the bots fell behind"
    fi
fi
