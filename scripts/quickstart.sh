#!/usr/bin/env bash
# Quick start: install, build, and run the main job on the embedded default data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
./build/src/cli/qcv models
