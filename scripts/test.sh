#!/usr/bin/env bash
# Installs, builds and runs the test suite:
#  1. Debug + AddressSanitizer/UBSan without LibTorch: every test except the training layer's.
#     Configuring with QCV_WITH_TORCH=OFF also proves that the runtime and the CLI need no LibTorch.
#     -O0 except the computing layers (CMakeLists.txt): UBSan at -O1 tripled the build time.
#  2. Release with LibTorch: the training layer's tests (LibTorch under ASan is slow to build on
#     2 cores and reports its own allocations).
#  3. libFuzzer (clang, ASan/UBSan): every fuzz/fuzz_*.cpp target for 30 s on its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== Debug + ASan/UBSan, without LibTorch"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DQCV_SANITIZE=ON -DQCV_WITH_TORCH=OFF
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
ctest --test-dir build-asan --output-on-failure -j2
echo "== Release with LibTorch: training tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DQCV_WITH_TORCH=ON >/dev/null
ninja -C build qcv test_train
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
ctest --test-dir build --output-on-failure -j2 -L test_train
echo "== libFuzzer targets, 30 s each"
bench/fuzz.sh 30
