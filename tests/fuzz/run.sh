#!/bin/sh
# Builds the libFuzzer targets with clang, ASan and UBSan (build-fuzz/) and runs each for a
# bounded time from its seeds (tests/fuzz/corpus/TARGET, regression inputs included) with a
# memory limit: no input may crash, hang, or make the process larger than RSS_MB (libFuzzer, its
# corpus and ASan's quarantine take a few hundred MB of it), nor ask for a
# single allocation over MALLOC_MB (the rule for every reader: a file under 1 MB never costs more than
# 64 MB; the sanitizers' own share is on top).  Prints runs, findings and peak memory per target.
#
# The runs start from a fixed seed (SEED, default 1), so a finding is the same on every machine
# that gets as far; SEED=0 lets libFuzzer pick one for exploring.
#
# usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]     (default 30)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-30}
rss_mb=${RSS_MB:-1024}
malloc_mb=${MALLOC_MB:-64}
seed=${SEED:-1}
build="$root/build-fuzz"
cd "$root"
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" --werror -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized -Dc_args=-fsanitize=fuzzer-no-link >"$build.log" 2>&1 ||
        { cat "$build.log"; exit 1; }
fi
ninja -C "$build" tests/fuzz/fuzz_trace tests/fuzz/fuzz_checkpoint tests/fuzz/fuzz_ops >"$build.log" 2>&1 ||
    { cat "$build.log"; exit 1; }
rm -f "$build.log"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ARENASCOPE_FUZZ_SAMPLE="$root/traces/demo-tour.trace"
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
status=0
for t in trace checkpoint ops; do
    mkdir -p "$work/$t"
    cp "$here/corpus/$t"/* "$work/$t"/ 2>/dev/null || true
    if [ "$t" = checkpoint ]; then
        ARENASCOPE_FUZZ_SEEDS="$work/$t" "$build/tests/fuzz/fuzz_$t"
    fi
    log="$work/$t.log"
    if "$build/tests/fuzz/fuzz_$t" "$work/$t" -max_total_time="$secs" -seed="$seed" -rss_limit_mb="$rss_mb" \
        -malloc_limit_mb="$malloc_mb" -timeout=10 -max_len=262144 -print_final_stats=1 \
        -artifact_prefix="$work/$t-" >"$log" 2>&1; then
        found=0
    else
        found=1
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    echo "fuzz_$t: ${runs:-?} runs in ${secs} s, $found finding(s), peak ${peak:-?} MB (limit $rss_mb MB, one allocation $malloc_mb MB)"
    if [ $found -ne 0 ]; then
        grep -E "ERROR|SUMMARY|==[0-9]+==|#[0-9]+ 0x" "$log" | head -30
        for a in "$work/$t"-*; do
            [ -f "$a" ] || continue
            mkdir -p "$here/findings/$t"
            cp "$a" "$here/findings/$t/"
            echo "  kept $(basename "$a") in tests/fuzz/findings/$t/ (add it to corpus/$t once fixed)"
        done
    fi
done
exit $status
