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
