#!/usr/bin/env bash
# Installs, builds and runs the test suite:
#  1. the deployable runtime alone (no LibTorch), Release: proves qcv_runtime needs no LibTorch;
#  2. the whole project in Debug with AddressSanitizer + UBSan, and its tests under CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== runtime without LibTorch (Release)"
scripts/build.sh build-notorch -DQCV_WITH_TORCH=OFF -DQCV_BUILD_TESTS=OFF
echo "== Debug + ASan/UBSan"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DQCV_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j2
