#!/usr/bin/env bash
# The bad-network soak (docs/RELIABILITY.md): a recording server and BOTS bots whose UDP goes
# through the bots' network simulator (loss, duplication, latency with jitter, so reordering)
# for SOAK_SECONDS, then the checks:
#
#   desyncs       every (session, tick) digest of what a bot decoded equals the digest of what
#                 the server believed that bot held (serve --view-digests, bots --view-digests)
#   connections   every bot got in (its enter request, over TCP, answered) and none was dropped
#   protocol      no snapshot or message a bot could not decode; no-contact check 0
#   recording     every recorded part replays with every tick's state hash matching, views re-run too (--verify-views)
#   memory        the server's resident memory after the warm-up (the first fifth, at least
#                 10 s) grows by less than 10 %; sampled every SOAK_SECONDS / 30 s (1 to 10 s),
#                 and reported as not checked when fewer than five samples follow the warm-up
#   exits         the bots and the server end by themselves and exit 0
#
#   scripts/soak.sh                                  # 200 bots, 15 min, 25 % loss, 25 % duplicates, 100 ± 50 ms
#   BOTS=50 SOAK_SECONDS=60 scripts/soak.sh          # a short one
#   KEEP=1 scripts/soak.sh                           # keep the work directory (logs, digests, recording)
#
# Exits 1 when a check fails. Not part of CI (a quarter of an hour); bounded by SOAK_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."

BOTS=${BOTS:-200}
SOAK_SECONDS=${SOAK_SECONDS:-900}
LOSS=${LOSS:-25}
DUPLICATE=${DUPLICATE:-25}
LATENCY_MS=${LATENCY_MS:-100}
JITTER_MS=${JITTER_MS:-50}
PORT=${PORT:-7792}
SCENARIO=${SCENARIO:-scenarios/plaza-festival.json}

ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
scripts/install-deps.sh
swift build -c release >&2
bin=.build/release/seoulworld
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then trap 'echo "kept in $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi
export SEOULWORLD_TOKEN_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

echo "soak: $BOTS bots, ${SOAK_SECONDS} s, loss ${LOSS} %, duplicates ${DUPLICATE} %, latency ${LATENCY_MS} ± ${JITTER_MS} ms, $(basename "$SCENARIO"); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$bin" serve --port "$PORT" --no-admin --log-level warning --record "$work/recording" --data "$work/records.sqlite" \
    --view-digests "$work/server-digests.txt" --stats-file "$work/server.json" 2>"$work/server.log" &
server=$!
sleep 1
every=$(( SOAK_SECONDS / 30 )); [ "$every" -lt 1 ] && every=1; [ "$every" -gt 10 ] && every=10
( start=$SECONDS; while kill -0 "$server" 2>/dev/null; do
      echo "$((SECONDS - start)) $(awk '/VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null || echo 0)"; sleep "$every"; done ) >"$work/rss.txt" &
sampler=$!
"$bin" bots --server "127.0.0.1:$PORT" --count "$BOTS" --ramp 50 --duration "$SOAK_SECONDS" --scenario "$SCENARIO" \
    --loss "$LOSS" --duplicate "$DUPLICATE" --latency-ms "$LATENCY_MS" --jitter-ms "$JITTER_MS" \
    --view-digests "$work/bot-digests.txt" --report "$work/bots.json" >"$work/bots.txt" 2>/dev/null && bots_exit=0 || bots_exit=$?
kill -INT "$server"
wait "$server" && server_exit=0 || server_exit=$?
kill "$sampler" 2>/dev/null || true

verified=0 ; diverged=0
for part in "$work"/recording/*; do
    if "$bin" replay --verify-views "$part" >"$work/verify.txt" 2>&1; then verified=$((verified + 1)); else diverged=$((diverged + 1)); cat "$work/verify.txt"; fi
done

python3 - "$work" "$BOTS" "$verified" "$diverged" "$bots_exit" "$server_exit" "$SOAK_SECONDS" <<'PY'
import json, sys
work, bots_wanted, verified, diverged = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bots_exit, server_exit, seconds = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def digests(path):
    out = {}
    for line in open(path):
        session, tick, digest = line.split()
        out[(session, tick)] = digest
    return out
server, client = digests(f"{work}/server-digests.txt"), digests(f"{work}/bot-digests.txt")
both = [k for k in client if k in server]
desyncs = [k for k in both if client[k] != server[k]]
report = json.load(open(f"{work}/bots.json"))
rss = [tuple(map(int, l.split())) for l in open(f"{work}/rss.txt") if len(l.split()) == 2 and int(l.split()[1]) > 0]
warm = [kb for t, kb in rss if t >= max(10, seconds // 5)]
memory_checked = len(warm) >= 5
growth = (warm[-1] - min(warm)) / min(warm) if memory_checked else 0.0
n = report["network"]
print(f"network      {n['submitted']} datagrams: {n['dropped']} lost, {n['duplicated']} duplicated, {n['overtaken']} overtaken, {n['delivered']} delivered")
print(f"desyncs      {len(desyncs)} of {len(both)} (session, tick) views compared ({len(client)} kept by bots, {len(server)} by the server)")
print(f"connections  {report['succeeded']} of {bots_wanted} got in, {report['failed']} failed, {report['dropped']} dropped")
print(f"protocol     {report['protocolErrors']} errors, {report['snapshotsBaselineMissing']} snapshots skipped (baseline no longer held), "
      f"{report['snapshots']} decoded; no-contact check {report['contactViolationsSeen']} in {report['viewsChecked']} views")
print(f"rtt          p50 {report['rttMillis']['p50']} ms, p99 {report['rttMillis']['p99']} ms")
print(f"recording    {verified} parts verified, {diverged} diverged")
if memory_checked:
    print(f"memory       server RSS {min(warm) // 1024} to {max(warm) // 1024} MB after the warm-up, last {warm[-1] // 1024} MB ({growth * 100:+.1f} % from the lowest, {len(warm)} samples)")
else:
    print(f"memory       NOT CHECKED: {len(warm)} samples after the warm-up (five are needed; run longer)")
print(f"exits        bots {bots_exit}, server {server_exit}")
failures = []
if desyncs: failures.append(f"{len(desyncs)} desyncs, first {desyncs[0]}")
if not both: failures.append("no views to compare")
if report["succeeded"] != bots_wanted or report["dropped"]: failures.append("not every bot got in and stayed")
if report["protocolErrors"] or report["contactViolationsSeen"]: failures.append("protocol errors or contacts")
if diverged or not verified: failures.append("the recording did not verify")
if growth > 0.10: failures.append("memory grew by more than 10 % after the warm-up")
if bots_exit != 0: failures.append(f"the bots exited {bots_exit}" + (" (they saw two avatars touch)" if bots_exit == 2 else ""))
if server_exit != 0: failures.append(f"the server exited {server_exit} after SIGINT")
if failures:
    print("soak: FAILED: " + "; ".join(failures))
else:
    print("soak: PASSED" + ("" if memory_checked else " (memory not checked)"))
sys.exit(1 if failures else 0)
PY
