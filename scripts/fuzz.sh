#!/usr/bin/env bash
# Builds the libFuzzer harnesses (native/fuzz) and runs each target for FUZZ_SECONDS seconds
# (default 8), starting from its seed corpus native/fuzz/corpus/<target> and every stored
# regression input. New inputs go to a scratch corpus under build-fuzz/, never into the checkout.
#
#   scripts/fuzz.sh                       # the short run npm test does (3 targets × 8 s)
#   FUZZ_SECONDS=600 scripts/fuzz.sh csr  # a long run of one target
#
# A crash, a sanitizer report or a broken promise (abort) stops the run with a non-zero status and
# leaves the input in build-fuzz/artifacts/; turn it into a regression test by copying it to
# native/fuzz/regressions/<target>/ (core_test and every later fuzz run replay it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-8}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csr model solve)

make -s -C native/fuzz -j2 >&2
mkdir -p build-fuzz/artifacts
# One BLAS thread: the harness inputs are tiny, and OpenBLAS's threads add nothing but noise.
export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in "${targets[@]}"; do
  scratch=build-fuzz/corpus/$target
  mkdir -p "$scratch"
  # The stored inputs are read, never written: only the folders that exist (git keeps no empty ones).
  stored=()
  for dir in "native/fuzz/corpus/$target" "native/fuzz/regressions/$target"; do [ -d "$dir" ] && stored+=("$dir"); done
  log=build-fuzz/$target.log
  # -timeout: one input taking more than 10 s is a hang, reported like a crash.
  if ! build-fuzz/fuzz_$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4096 \
      -artifact_prefix="build-fuzz/artifacts/$target-" -print_final_stats=1 \
      "$scratch" "${stored[@]}" >"$log" 2>&1; then
    echo "fuzz $target: FAILED; the input is in build-fuzz/artifacts/, the report in $log:" >&2
    grep -E 'ERROR|runtime error|broken promise|SUMMARY|Test unit written' "$log" | head -20 >&2 || tail -40 "$log" >&2
    status=1
  else
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
    echo "fuzz $target: ${runs} inputs in ${seconds} s, ${cov:-cov: ?}, nothing found" >&2
  fi
done
exit $status
