#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.cpp, clang, ASan+UBSan) in build-fuzz and runs each
# for SECONDS on its corpus (fuzz/corpus/<target>/, read only: new inputs go to a scratch folder).
# Runs as many targets at once as there are cores. Fails if any target crashes, leaks, times out
# (> 10 s on one input) or runs out of memory (> 2048 MB). Usage: bench/fuzz.sh SECONDS [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: bench/fuzz.sh SECONDS [TARGET...]}
shift
dir=${QCV_FUZZ_BUILD_DIR:-build-fuzz}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for src in fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
start=$(date +%s)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DQCV_FUZZ=ON -DQCV_BUILD_TESTS=OFF -DQCV_WITH_TORCH=OFF >/dev/null
ninja -C "$dir" "${targets[@]}"
echo "fuzz build: $(( $(date +%s) - start )) s"

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One fuzzer per core at a time (QCV_FUZZ_JOBS to change): each is single-threaded.
jobs=${QCV_FUZZ_JOBS:-$(nproc)}
fuzz_one() {
  local t=$1 corpus=fuzz/corpus/$1 work=$dir/work/$1 artifacts=$dir/artifacts/$1
  mkdir -p "$work" "$artifacts"
  local rc=0
  "$dir/fuzz/$t" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$dir/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$dir/$t.rc"
}
for t in "${targets[@]}"; do
  [ -d "fuzz/corpus/$t" ] || { echo "fuzz: $t has no corpus folder fuzz/corpus/$t" >&2; exit 1; }
done
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$t" &
done
wait
status=0
for t in "${targets[@]}"; do
  log=$dir/$t.log
  rc=$(cat "$dir/$t.rc")
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  files=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc; $(grep -m1 -oE 'ERROR: [A-Za-z]+: [^ ]+( [^ ]+)?|ERROR: libFuzzer: [a-z-]+' "$log" || echo 'see log'); log $log; inputs in $dir/artifacts/$t)"
    status=1
  fi
  printf '%-14s %6ss  execs %-9s execs/s %-6s corpus %-6s %s\n' "$t" "$seconds" "$execs" "$rate" "$files" "$result"
done
exit $status
