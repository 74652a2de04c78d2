"""Shared bits of the gallery generators: a small graph builder over onnx.helper that evaluates
the graph as it grows (numpy_eval) on a batch of random images, so that BN statistics and the head
can be fitted to the activations (random inputs then give varied top-1 classes)."""
import numpy as np
import onnx
from onnx import helper, numpy_helper

import numpy_eval


def make_divisible(v, divisor=8, min_value=None):
    """Channel rounding used by Keras, torchvision and PaddleClas MobileNets."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class Builder:
    """Collects nodes and initializers; names come from the caller so each generator can imitate
    its exporter's naming."""

    def __init__(self, seed, input_name, images):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.values = {input_name: images}

    def init(self, name, array):
        self.values[name] = np.asarray(array)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, output, name, **attrs):
        n = helper.make_node(op, inputs, [output], name=name, **attrs)
        self.nodes.append(n)
        self.values[output] = numpy_eval.run(n, [self.values[i] for i in inputs])
        return output

    def conv_weight(self, name, cout, cin_per_group, k):
        fan_in = cin_per_group * k * k
        w = self.rng.normal(0, np.sqrt(2.0 / fan_in), (cout, cin_per_group, k, k))
        return self.init(name, w.astype(np.float32))

    def bn_params(self, x, prefix, c, names=("gamma", "beta", "moving_mean", "moving_variance"),
                  gamma=(0.5, 1.5)):
        """Running statistics near those of the activations x on the images (jittered, as a
        trained net's are only near); a residual branch's last BN gets a small gamma (as in
        trained nets) so that activations do not grow block after block."""
        act = self.values[x]
        g = self.rng.uniform(gamma[0], gamma[1], c)
        b = self.rng.uniform(-0.2, 0.2, c)
        sd = act.std(axis=(0, 2, 3)) + 1e-3
        m = act.mean(axis=(0, 2, 3)) + self.rng.uniform(-0.1, 0.1, c) * sd
        v = sd ** 2 * self.rng.uniform(0.8, 1.25, c)
        return [self.init(f"{prefix}/{n}" if "/" in prefix else f"{prefix}.{n}", a.astype(np.float32))
                for n, a in zip(names, (g, b, m, v))]

    def dense(self, x, w_name, b_name, cin, cout, gain=3.0):
        """A classifier over the centered features x: logits spread by about `gain` across the
        images, so that top-1 varies from image to image and softmax does not saturate. One scale
        for all features (not whitened: dividing each by its own spread would amplify the
        quantization noise of the nearly constant ones)."""
        f = self.values[x].reshape(-1, cin)
        mu, rms = f.mean(0), np.sqrt((f.std(0) ** 2).mean()) + 1e-12
        r = self.rng.normal(0, gain / np.sqrt(cin), (cin, cout)) / rms
        w = r.astype(np.float32)
        b = (-mu @ r).astype(np.float32)
        return self.init(w_name, w), self.init(b_name, b)

    def model(self, graph_name, inputs, outputs, opset, producer, producer_version):
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name=producer, producer_version=producer_version)
        model.ir_version = 7 if opset >= 13 else 4
        onnx.checker.check_model(model)
        return model


def save(model, path):
    """Writes atomically (temp file + rename) and returns the size in bytes."""
    import os
    tmp = path + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, path)
    return os.path.getsize(path)
