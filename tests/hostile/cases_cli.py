"""Usage errors: every one is exit 2 and one `qcv: error:` line naming the option (owner: clierr)."""
from common import Case, files, world


def cases(fx):
    m = world(fx)
    out = []

    def usage(name, args, names, setup=None):
        out.append(Case(f"cli/{name}", "clierr", args, setup or files(m), rc=2, names=names))

    # Parsing and subcommands.
    usage("no-subcommand", [], ["command"])
    usage("unknown-subcommand", ["frobnicate"], ["frobnicate"])
    usage("unknown-option", ["info", "m.onnx", "--frobnicate"], ["--frobnicate"])
    usage("missing-positional", ["info"], ["input"])
    usage("extra-positional", ["info", "m.onnx", "m2.onnx"], ["m2.onnx"])
    usage("export-missing-output", ["export", "--model", "resnet18"], ["--output", "-o"])
    usage("export-output-no-value", ["export", "--model", "resnet18", "-o"], ["--output", "-o"])
    usage("run-missing-output", ["run", "m.onnx", "-i", "x.npy"], ["--output", "-o"])
    usage("ptq-missing-calib", ["ptq", "m.onnx", "-o", "out/q.onnx"], ["--calib"])
    usage("classify-no-images", ["classify", "m.onnx"], ["images"])
    # Integers: zero, negative, non-numbers and numbers too large for the type.
    usage("bench-batch-0", ["bench", "m.onnx", "--batch", "0"], ["--batch"])
    usage("bench-batch-huge", ["bench", "m.onnx", "--batch", "1" + "0" * 300], ["--batch"])
    usage("bench-iters-overflow", ["bench", "m.onnx", "--iters", "99999999999999999999"],
          ["--iters"])
    usage("bench-iters-text", ["bench", "m.onnx", "--iters", "ten"], ["--iters"])
    usage("bench-threads-negative", ["bench", "m.onnx", "--threads", "-3"], ["--threads"])
    usage("bench-warmup-negative", ["bench", "m.onnx", "--warmup", "-1"], ["--warmup"])
    usage("run-threads-negative", ["run", "m.onnx", "-i", "x.npy", "-o", "out/y.npy",
                                   "--threads", "-2"], ["--threads"])
    usage("export-resolution-0", ["export", "--model", "mobilenet_v2", "--resolution", "0",
                                  "-o", "out/m.onnx"], ["--resolution", "resolution"])
    usage("export-resolution-negative", ["export", "--model", "mobilenet_v2", "--resolution",
                                         "-32", "-o", "out/m.onnx"], ["--resolution", "resolution"])
    usage("export-resolution-huge", ["export", "--model", "mobilenet_v2", "--resolution",
                                     "2147483647", "-o", "out/m.onnx"], ["--resolution", "resolution"])
    usage("export-classes-0", ["export", "--model", "resnet18", "--classes", "0", "-o",
                               "out/m.onnx"], ["--classes", "classes"])
    usage("export-classes-negative", ["export", "--model", "resnet18", "--classes", "-10",
                                      "-o", "out/m.onnx"], ["--classes", "classes"])
    usage("export-channels-5000", ["export", "--model", "resnet18", "--channels", "5000", "-o",
                                   "out/m.onnx"], ["--channels", "channels"])
    usage("export-channels-0", ["export", "--model", "resnet18", "--channels", "0", "-o",
                                "out/m.onnx"], ["--channels", "channels"])
    usage("export-seed-negative", ["export", "--model", "resnet18", "--seed", "-1", "-o",
                                   "out/m.onnx"], ["--seed"])
    usage("shards-size-0", ["shards", "in", "-o", "out/s", "--shard-size", "0"],
          ["--shard-size"])
    usage("shards-verify-bogus", ["shards", "in", "-o", "out/s", "--verify", "bogus"],
          ["--verify"])
    usage("classify-top-0", ["classify", "m.onnx", "i.png", "--top", "0"], ["--top"])
    usage("classify-top-negative", ["classify", "m.onnx", "i.png", "--top", "-5"], ["--top"])
    usage("eval-batch-size-0", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--batch-size", "0"],
          ["--batch-size"])
    usage("eval-limit-negative", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--limit", "-1"], ["--limit"])
    usage("eval-workers-negative", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--workers", "-4"],
          ["--workers"])
    usage("ptq-images-0", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx", "--images", "0"],
          ["--images"])
    usage("ptq-images-negative", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                                  "--images", "-5"], ["--images"])
    usage("ptq-batch-0", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx", "--batch", "0"],
          ["--batch"])
    usage("ptq-bins-0-entropy", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                                 "--method", "entropy", "--bins", "0"], ["--bins"])
    usage("ptq-bins-negative", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                                "--method", "percentile", "--bins", "-8"], ["--bins"])
    # Floats: NaN, infinities, out of range.
    usage("export-width-0", ["export", "--model", "mobilenet_v2", "--width", "0", "-o",
                             "out/m.onnx"], ["--width", "width"])
    usage("export-width-nan", ["export", "--model", "mobilenet_v2", "--width", "nan", "-o",
                               "out/m.onnx"], ["--width", "width"])
    usage("export-width-inf", ["export", "--model", "mobilenet_v2", "--width", "inf", "-o",
                               "out/m.onnx"], ["--width", "width"])
    usage("export-dropout-nan", ["export", "--model", "mobilenet_v2", "--dropout", "nan", "-o",
                                 "out/m.onnx"], ["--dropout", "dropout"])
    usage("ptq-percentile-200", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                                 "--method", "percentile", "--percentile", "200"], ["--percentile"])
    usage("ptq-percentile-nan", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                                 "--method", "percentile", "--percentile", "nan"], ["--percentile"])
    # Words from a fixed set.
    usage("ptq-method-bogus", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                               "--method", "median"], ["--method", "median"])
    usage("ptq-scheme-bogus", ["ptq", "m.onnx", "--calib", "fashion-mnist:d", "-o", "out/q.onnx",
                               "--scheme", "tensorflow"], ["--scheme", "tensorflow"])
    usage("eval-backend-bogus", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--backend", "gpu"],
          ["--backend", "gpu"])
    usage("eval-layout-bogus", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--layout", "chwn"],
          ["--layout", "chwn"])
    usage("eval-preprocess-bogus", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--preprocess", "keras"],
          ["--preprocess", "keras"])
    usage("eval-mean-two-values", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--mean", "0.5,0.5"],
          ["--mean", "mean"])
    usage("eval-std-zero", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--std", "0"], ["--std", "std"])
    usage("eval-std-nan", ["eval", "m.onnx", "--data", "fashion-mnist:d", "--std", "nan"], ["--std", "std"])
    usage("classify-mean-text", ["classify", "m.onnx", "i.png", "--mean", "gray"],
          ["--mean", "mean"])
    usage("export-model-bogus", ["export", "--model", "alexnet", "-o", "out/m.onnx"],
          ["alexnet", "--model"])
    return out
