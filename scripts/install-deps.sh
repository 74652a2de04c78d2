#!/usr/bin/env bash
# Installs what qcv needs on Debian 12: compilers, libraries, the embedded default data
# (Fashion-MNIST), ONNX's conformance data, and the peers used by tests and benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
packages=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libdnnl-dev libtorch-dev libgloo-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libjpeg-dev libpng-dev zlib1g-dev
  libcairo2-dev fonts-dejavu-core chromium
  dataset-fashion-mnist libonnx-testdata
  python3-onnx python3-numpy
  libflatbuffers-dev flatbuffers-compiler libarmnntfliteparser-dev libarmnn-cpuref-backend22
)
# Node.js runs the ONNX Runtime peer; take Debian's only where the machine has none of its own
# (a node installed some other way conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "qcv: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# ONNX Runtime (CPU library shipped in the npm package) as the peer for parity tests and benchmarks.
if [ ! -d bench/node_modules/onnxruntime-node ]; then
  (cd bench && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
