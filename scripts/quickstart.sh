#!/usr/bin/env bash
# Quick start: install, build, and run the main job on the embedded default data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
# Baseline (FP32) -> PTQ -> QAT -> INT8 runtime on Fashion-MNIST: results.md, results.json, the
# ONNX files, report.html and accuracy_latency.png/.svg in runs/workflow_default (about 6 minutes on 2 cores).
./build/src/cli/qcv workflow --config configs/workflow_default.yaml -o runs/workflow_default
