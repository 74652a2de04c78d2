"""YAML configs of train and workflow, and qat flags (LibTorch: the `torch` stage; owner: clierr,
the workflow's latency_runs crash included). Each case changes one key of a config that trains
in seconds, so a value wrongly accepted ends quickly instead of training for minutes."""
import os

from common import Case, files, world

TRAIN = {"init": "m.onnx", "dataset": "fashion-mnist:d", "resolution": "8", "channels": "1",
         "epochs": "1", "batch_size": "10", "workers": "1", "threads": "1", "augment": "false"}
WORKFLOW = """title: hostile
dataset: fashion-mnist:d
fp32_model: m.onnx
ptq:
  scheme: {scheme}
  methods: {methods}
  images: {images}
qat:
  init: max
  train:
    epochs: {epochs}
    batch_size: 10
    lr: {lr}
deploy:
  threads: {threads}
  latency_runs: {latency_runs}
{extra}"""
WF = {"scheme": "tensorrt", "methods": "[max]", "images": "8", "epochs": "1", "lr": "0.001",
      "threads": "1", "latency_runs": "3", "extra": ""}


def yaml(keys):
    return "".join(f"{k}: {v}\n" for k, v in keys.items())


def cases(fx):
    w = world(fx)
    out = []
    train_bad = {
        "unknown-key": ("learning_rate", "0.1"),
        "lr-nan": ("lr", ".nan"),
        "lr-inf": ("lr", ".inf"),
        "lr-text": ("lr", "fast"),
        "epochs-2pow32-plus-1": ("epochs", "4294967297"),
        "epochs-negative": ("epochs", "-1"),
        "epochs-zero": ("epochs", "0"),
        "batch-size-zero": ("batch_size", "0"),
        "batch-size-huge": ("batch_size", "99999999999999999999"),
        "resolution-zero": ("resolution", "0"),
        "channels-2": ("channels", "2"),
        "workers-negative": ("workers", "-5"),
        "limit-train-negative": ("limit_train", "-1"),
        "label-smoothing-2": ("label_smoothing", "2"),
        "momentum-nan": ("momentum", ".nan"),
        "weight-decay-negative": ("weight_decay", "-0.1"),
        "optimizer-bogus": ("optimizer", "lion"),
        "lr-schedule-bogus": ("lr_schedule", "zigzag"),
        "map-for-scalar": ("epochs", "{a: 1}"),
    }
    for name, (key, value) in train_bad.items():
        config = yaml({**TRAIN, key: value})
        out.append(Case(f"train-config/{name}", "clierr", ["train", "--config", "c.yaml", "-o", "out/run"],
                        files({**w, "c.yaml": config}), names=["c.yaml", key], stage="torch", timeout=60))
    for name, text in [("yaml-syntax", "epochs: [1\n"), ("yaml-list", "- 1\n- 2\n"), ("empty", "")]:
        out.append(Case(f"train-config/{name}", "clierr", ["train", "--config", "c.yaml", "-o", "out/run"],
                        files({**w, "c.yaml": text}), names=["c.yaml", "train-images-idx3-ubyte"],
                        stage="torch", timeout=60,
                        rc=1 if name != "empty" else (0, 1), outputs=["out/run/*"]))
    out.append(Case("train-config/missing", "clierr", ["train", "--config", "none.yaml", "-o", "out/run"],
                    files(w), names=["none.yaml"], stage="torch"))
    out.append(Case("train-config/directory", "clierr", ["train", "--config", "d", "-o", "out/run"],
                    files(w), names=["d"], stage="torch"))
    out.append(Case("train-flags/lr-nan", "clierr", ["train", "--config", "c.yaml", "--lr", "nan", "-o",
                                                     "out/run"],
                    files({**w, "c.yaml": yaml(TRAIN)}), rc=2, names=["--lr", "lr"], stage="torch"))
    out.append(Case("qat-flags/epochs-text", "clierr", ["qat", "m.onnx", "--data", "fashion-mnist:d",
                                                        "-o", "out/q.onnx", "--epochs", "many"],
                    files(w), rc=2, names=["--epochs", "epochs"], stage="torch"))
    out.append(Case("qat-flags/method-bogus", "clierr", ["qat", "m.onnx", "--data", "fashion-mnist:d",
                                                         "-o", "out/q.onnx", "--method", "median"],
                    files(w), rc=2, names=["--method", "median"], stage="torch"))

    workflow_bad = {
        "latency-runs-0": {"latency_runs": "0"},
        "latency-runs-negative": {"latency_runs": "-1"},
        "unknown-top-key": {"extra": "evaluation: {limit_test: 5}\n"},
        "unknown-ptq-key": {"images": "8\n  calibrate_harder: true"},
        "method-bogus": {"methods": "[max, median]"},
        "methods-empty": {"methods": "[]"},
        "scheme-bogus": {"scheme": "tensorflow"},
        "images-negative": {"images": "-5"},
        "threads-negative": {"threads": "-1"},
        "qat-epochs-2pow32-plus-1": {"epochs": "4294967297"},
        "qat-lr-nan": {"lr": ".nan"},
    }
    for name, change in workflow_bad.items():
        config = WORKFLOW.format(**{**WF, **change})
        out.append(Case(f"workflow-config/{name}", "clierr", ["workflow", "--config", "w.yaml", "-o", "out/w"],
                        files({**w, "w.yaml": config}), names=["w.yaml"] + [k for k in change if k != "extra"]
                        + ["evaluation", "calibrate_harder", "median", "methods", "tensorflow"],
                        stage="torch", timeout=90))
    for name, model in [("fp32-model-missing", "none.onnx"), ("fp32-model-directory", "d")]:
        config = WORKFLOW.format(**WF).replace("fp32_model: m.onnx", f"fp32_model: {model}")
        out.append(Case(f"workflow-config/{name}", "clierr", ["workflow", "--config", "w.yaml", "-o", "out/w"],
                        files({**w, "w.yaml": config}), names=[model], stage="torch", timeout=90))
    return out
