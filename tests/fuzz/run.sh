#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with clang (build-fuzz, ASan + UBSan), replays
# the committed corpus (seeds and the inputs of crashes once found, kept as regression
# tests), then fuzzes each target for FUZZ_SECONDS (default 60). New inputs go to a
# scratch folder, crashes to .local/fuzz/; exits non-zero when a target crashes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
out=$root/.local/fuzz
mkdir -p "$out"
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSUBCTL_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzzers -j "$(nproc)"
failed=0
for corpus in "$root"/tests/fuzz/corpus/*/; do
    target=$(basename "$corpus")
    scratch=$out/$target-corpus
    mkdir -p "$scratch"
    echo "== $target: replaying $(ls "$corpus" | wc -l) committed inputs, then fuzzing ${seconds}s"
    if ! "$build/${target}_fuzz" -runs=0 "$corpus" >"$out/$target.log" 2>&1 ||
       ! "$build/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
             -artifact_prefix="$out/$target-" -print_final_stats=1 "$scratch" "$corpus" >>"$out/$target.log" 2>&1; then
        echo "== $target FAILED (log: $out/$target.log)"; tail -30 "$out/$target.log"; failed=1
    else
        grep -E '^stat::number_of_executed_units' "$out/$target.log" | tail -1 | sed "s/^/   /"
    fi
done
exit "$failed"
