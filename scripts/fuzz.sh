#!/usr/bin/env bash
# Builds every fuzz target of Fuzz/ with libFuzzer and address sanitizer, then runs each for
# FUZZ_SECONDS (default 60) on its seed corpus (Fuzz/Corpus/<target>, committed) plus what it
# finds (kept in .build-fuzz/corpus, out of git). Prints executions and coverage per target,
# and stops at the first crash, leaving the input in .build-fuzz/crashes/<target>/.
#
#   make fuzz                         # 60 s each
#   FUZZ_SECONDS=3600 make fuzz       # an hour each
#   TARGETS="FuzzControl" make fuzz   # one target
#   FUZZ_RUNS=10000000 FUZZ_SECONDS=1800 make fuzz   # 10 million executions each, at most half an hour
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_RUNS=${FUZZ_RUNS:--1}
TARGETS=${TARGETS:-"FuzzControl FuzzPacket FuzzSnapshot FuzzRecording FuzzChatText FuzzToken FuzzWorldFile FuzzDeskFile"}
scripts/install-deps.sh
work="$PWD/.build-fuzz"
mkdir -p "$work"
( cd Fuzz && swift build -c debug --scratch-path "$work/build" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2 )
bin="$work/build/debug"
# Swift's own backtracer would hold a crashing target for a long time; libFuzzer reports.
export SWIFT_BACKTRACE=enable=no
export SEOULWORLD_POLICY="$PWD/policy"
printf '| target | seconds | executions | per second | coverage (edges) | features | corpus | result |\n|---|---:|---:|---:|---:|---:|---:|---|\n'
for t in $TARGETS; do
    corpus="$work/corpus/$t"; crashes="$work/crashes/$t"
    mkdir -p "$corpus" "$crashes"
    seeds=()
    if [ -d "Fuzz/Corpus/$t" ]; then seeds=("Fuzz/Corpus/$t"); fi
    log="$work/$t.log"
    result=ok
    if ! "$bin/$t" -max_total_time="$FUZZ_SECONDS" -runs="$FUZZ_RUNS" -print_final_stats=1 -artifact_prefix="$crashes/" -rss_limit_mb=4096 \
        "$corpus" "${seeds[@]}" >"$log" 2>&1; then
        result="CRASH: see $log and $crashes"
    fi
    python3 - "$log" "$t" "$FUZZ_SECONDS" "$result" <<'PY'
import re, sys
log = open(sys.argv[1], errors="replace").read(); t, secs, result = sys.argv[2], sys.argv[3], sys.argv[4]
def last(pattern, default="?"):
    m = re.findall(pattern, log)
    return m[-1] if m else default
execs = last(r"stat::number_of_executed_units:\s*(\d+)")
rate = last(r"stat::average_exec_per_sec:\s*(\d+)")
secs = last(r"Done \d+ runs in (\d+) second", secs)
cov = last(r"cov: (\d+)")
ft = last(r"ft: (\d+)")
corp = last(r"corp: (\d+)")
print(f"| {t} | {secs} | {execs} | {rate} | {cov} | {ft} | {corp} | {result} |")
PY
    if [ "$result" != ok ]; then exit 1; fi
done
