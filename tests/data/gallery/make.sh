#!/bin/bash
# Regenerates the small gallery files that tests/runtime/test_gallery.cpp reads (seeded: the same
# bytes each time). Needs Debian's python3-onnx and numpy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gen="$here/../../../bench/gallery"
/usr/bin/python3 "$gen/make_keras_style.py" --small --out "$here"
/usr/bin/python3 "$gen/make_paddle_style.py" --small --out "$here"
/usr/bin/python3 "$gen/make_paddle_style.py" --small --hswish clip --out "$here"
/usr/bin/python3 "$gen/make_torch_style.py" --small --out "$here"
/usr/bin/python3 "$gen/../make_qoperator.py" --models mobilenet --width 0.25 --size 32 --out "$here"
# The real torch.ao export needs Debian's python3-torch and python3-torchvision (not in CI).
if /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  /usr/bin/python3 "$gen/make_torch_ao.py" --small --models mobilenet_v2 --out "$here"
  rm -f "$here/mobilenet_v2_small.fp32.onnx"
fi
