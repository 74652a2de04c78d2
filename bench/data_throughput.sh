#!/bin/bash
# Data-loader throughput: images/s decoded + augmented (RandomResizedCrop 224, flip, normalize)
# for qcv's DataLoader (1 and 2 worker threads, with and without JPEG DCT downscale) and PyTorch's
# DataLoader with torchvision's transforms (num_workers 1 and 2), on the same generated ImageFolder
# of JPEGs, in the same run. Also times opening the folder with and without the file index.
#   bench/data_throughput.sh [--images 2000] [--size 500x375] [--dir /tmp/qcv_data_bench]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
images=2000
size=500x375
dir=/tmp/qcv_data_bench
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
build="${QCV_BUILD_DIR:-$repo/build-data-bench}"
py=/usr/bin/python3

# qcv_data in Release, then the small driver against it.
if [ ! -f "$build/build.ninja" ]; then  # an existing build dir (QCV_BUILD_DIR) keeps its settings
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQCV_WITH_TORCH=OFF \
    -DQCV_BUILD_TESTS=OFF > /dev/null
fi
ninja -C "$build" -j2 qcv_data > /dev/null
g++ -std=c++17 -O2 -DNDEBUG -I "$repo/src" "$here/data_throughput.cpp" \
  "$build/src/data/libqcv_data.a" "$build/src/ir/libqcv_ir.a" -lfmt -ljpeg -lpng -lz -pthread \
  -o "$build/data_throughput"

root="$dir/images-$images-$size"
if [ ! -d "$root" ]; then
  echo "generating $images JPEGs of $size in $root" >&2
  $py "$here/data_throughput.py" generate "$root" --images "$images" --size "$size"
  sleep 3  # let the directories age past the index's 2 s racy window
fi
cat "$root"/*/* > /dev/null  # warm the page cache for every contestant

rm -f "$root/.qcv_index"
open_walk=$("$build/data_throughput" "$root" --open-only)
open_index=$("$build/data_throughput" "$root" --open-only)

declare -A rate
for w in 1 2; do
  rate[qcv_$w]=$("$build/data_throughput" "$root" --workers $w --downscale off | \
    $py -c 'import json,sys; print(json.load(sys.stdin)["images_per_s"])')
  rate[qcvd_$w]=$("$build/data_throughput" "$root" --workers $w --downscale on | \
    $py -c 'import json,sys; print(json.load(sys.stdin)["images_per_s"])')
  rate[torch_$w]=$($py "$here/data_throughput.py" torch "$root" --workers $w | \
    $py -c 'import json,sys; print(json.load(sys.stdin)["images_per_s"])')
done

echo "## Data loader throughput: $images JPEGs of $size, RandomResizedCrop(224) + flip + normalize, batch 64"
echo "(best of 2 epochs; $(nproc) CPU cores)"
echo
echo "| workers | PyTorch DataLoader (img/s) | qcv, full decode (img/s) | ratio | qcv, DCT downscale (img/s) | ratio |"
echo "|---|---|---|---|---|---|"
for w in 1 2; do
  $py -c "t,a,b=${rate[torch_$w]},${rate[qcv_$w]},${rate[qcvd_$w]}; print(f'| $w | {t:.0f} | {a:.0f} | {a/t:.2f}x | {b:.0f} | {b/t:.2f}x |')"
done
echo
echo "open the ImageFolder: walk $open_walk; with the index $open_index"
