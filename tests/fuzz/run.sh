#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, QUNFA_FUZZ=ON) in build-fuzz and runs each
# for SECONDS (default 60) on a temporary copy of its seed corpus (and with its
# dictionary, dict/<target>.dict, when there is one), so the
# committed corpus never grows by itself. Fails when any target finds a crash,
# leak, timeout or broken property; its reproducer is left in
# build-fuzz/fuzz-artifacts/.
#
#   tests/fuzz/run.sh [SECONDS]
#   FUZZ_TARGETS="fuzz_cron fuzz_log" tests/fuzz/run.sh 10   # a subset
#   FUZZ_BUILD=/tmp/bf tests/fuzz/run.sh                     # another build dir
set -euo pipefail

secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
artifacts=$build/fuzz-artifacts

command -v clang >/dev/null || {
  echo "clang is needed: apt-get install -y clang libclang-rt-14-dev" >&2
  exit 2
}
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DQUNFA_FUZZ=ON \
  -DQUNFA_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz -j "$(nproc)"

targets=${FUZZ_TARGETS:-$(cd "$here" && ls fuzz_*.c | sed 's/\.c$//')}
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
printf '%-22s %6s %10s %7s %7s  %s\n' target secs execs cov ft result
for t in $targets; do
  corpus=$work/$t
  mkdir -p "$corpus"
  if [ -d "$here/corpus/$t" ]; then cp -r "$here/corpus/$t/." "$corpus/"; fi
  log=$build/fuzz-$t.log
  dict=()
  if [ -f "$here/dict/$t.dict" ]; then dict=(-dict="$here/dict/$t.dict"); fi
  rc=0
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb bounds memory.
  "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "${dict[@]}" "$corpus" \
    >"$log" 2>&1 ||
    rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc, log $log)"
    failed+=("$t")
  fi
  printf '%-22s %6s %10s %7s %7s  %s\n' "$t" "$secs" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "$result"
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; reproducers in $artifacts" >&2
  for t in "${failed[@]}"; do
    grep -E -m3 'ERROR|SUMMARY|fuzz property broken|runtime error' "$build/fuzz-$t.log" >&2 || true
  done
  exit 1
fi
