#!/usr/bin/env python3
"""Writes the zoo's committed test fixtures (run with Debian's python3: needs python3-h5py, python3-numpy).

  python3 packages/zoo/scripts/make-fixtures.py [path/to/make_resnet50_h5.py]

- thin Keras-layout ResNet50 weight files from the shared generator (both string storages, both
  top-layer names), and a file in the layout of the OLD fchollet/deep-learning-models ResNet50;
- reference outputs computed here in float64 numpy from the .h5 contents (read back with h5py),
  an implementation independent of Graft's TF.js code, for the numeric tests.
"""
import importlib.util
import json
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures")
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "..", "shared", "tools", "make_resnet50_h5.py")

spec = importlib.util.spec_from_file_location("gen", TOOL)
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def run(*args):
    subprocess.run([sys.executable, TOOL, *args], check=True)


FILES = {
    "resnet50_w64_notop.h5": ["--width-divisor", "64"],
    "resnet50_w64_top.h5": ["--width-divisor", "64", "--include-top"],
    "resnet50_w64_top_probs_vlen.h5": ["--width-divisor", "64", "--include-top", "--top-name", "probs", "--string-storage", "vlen"],
    "resnet50_w16_notop.h5": ["--width-divisor", "16"],
    "resnet50_w16_notop_vlen.h5": ["--width-divisor", "16", "--string-storage", "vlen"],
}


def read_weights(path):
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
        weights = {}
        for ln in names:
            g = f[ln]
            wn = [w.decode() if isinstance(w, bytes) else w for w in np.atleast_1d(g.attrs["weight_names"]) if isinstance(w, (bytes, str))]
            weights[ln] = {w.split("/")[-1].split(":")[0]: g[w][()].astype(np.float64) for w in wn}
    return names, weights


def forward(path, images, width_divisor, include_top, top_name="predictions"):
    """Float64 forward pass of the Keras ResNet50 graph with the file's weights."""
    layers, order, out = gen.build_graph(width_divisor, include_top, top_name=top_name)
    _, w = read_weights(path)
    acts = {}
    for lay in order:
        c = lay.cfg
        x = acts[lay.inputs[0]] if lay.inputs else None
        if lay.kind == "Input":
            acts[lay.name] = gen.caffe_preprocess(images).astype(np.float64)
        elif lay.kind == "ZeroPadding2D":
            p = c["pad"]
            acts[lay.name] = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        elif lay.kind == "Conv2D":
            acts[lay.name] = gen._conv_nhwc(x, w[lay.name]["kernel"], w[lay.name]["bias"], c["stride"], c["padding"])
        elif lay.kind == "BatchNormalization":
            p = w[lay.name]
            acts[lay.name] = (x - p["moving_mean"]) / np.sqrt(p["moving_variance"] + 1.001e-5) * p["gamma"] + p["beta"]
        elif lay.kind == "ReLU":
            acts[lay.name] = np.maximum(x, 0)
        elif lay.kind == "MaxPooling2D":
            acts[lay.name] = gen._maxpool_nhwc(x, c["k"], c["stride"])
        elif lay.kind == "Add":
            acts[lay.name] = acts[lay.inputs[0]] + acts[lay.inputs[1]]
        elif lay.kind == "GlobalAveragePooling2D":
            acts[lay.name] = x.mean(axis=(1, 2))
        elif lay.kind == "Dense":
            logits = x @ w[lay.name]["kernel"] + w[lay.name]["bias"]
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            acts[lay.name] = e / e.sum(axis=1, keepdims=True)
    return acts


def legacy_file(path):
    """The layout of fchollet/deep-learning-models resnet50 (v0.2): other layer names."""
    names = ["input_1", "zero_padding2d_1", "conv1", "bn_conv1", "activation_1", "max_pooling2d_1", "res2a_branch2a", "bn2a_branch2a", "fc1000"]
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.0.8"
        for n in names:
            g = f.create_group(n)
            if n in ("conv1", "res2a_branch2a", "fc1000"):
                g.attrs["weight_names"] = np.array([f"{n}/kernel:0".encode(), f"{n}/bias:0".encode()])
                g.create_dataset(f"{n}/kernel:0", data=rng.standard_normal((1, 1, 3, 4)).astype(np.float32))
                g.create_dataset(f"{n}/bias:0", data=np.zeros(4, np.float32))
            else:
                g.attrs["weight_names"] = np.zeros((0,), np.float64)


def split_layer_names(src, dst):
    """A copy whose root layer_names attribute is split into layer_names0, layer_names1 (what Keras
    does for attributes over 64 kB; ResNet50's never is, so it is made by hand here)."""
    import shutil
    shutil.copyfile(src, dst)
    with h5py.File(dst, "a") as f:
        names = f.attrs["layer_names"]
        del f.attrs["layer_names"]
        half = len(names) // 2
        f.attrs["layer_names0"] = names[:half]
        f.attrs["layer_names1"] = names[half:]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, args in FILES.items():
        run(os.path.join(OUT, name), *args)
    legacy_file(os.path.join(OUT, "legacy_fchollet_resnet50.h5"))
    split_layer_names(os.path.join(OUT, "resnet50_w64_notop.h5"), os.path.join(OUT, "resnet50_w64_notop_split_names.h5"))

    ref = {"note": "float64 numpy forward passes (scripts/make-fixtures.py) of the fixture files; images are gen.pattern_image"}
    img = gen.pattern_image(2, 64, 64)
    a = forward(os.path.join(OUT, "resnet50_w16_notop.h5"), img, 16, False)
    ref["w16_notop_64"] = {
        "images": {"n": 2, "height": 64, "width": 64},
        "conv1_relu_sum": [float(v) for v in a["conv1_relu"].sum(axis=(1, 2, 3))],
        "conv2_block1_out_sum": [float(v) for v in a["conv2_block1_out"].sum(axis=(1, 2, 3))],
        "conv5_block3_out_shape": list(a["conv5_block3_out"].shape),
        "pooled": a["conv5_block3_out"].mean(axis=(1, 2)).tolist(),
    }
    img2 = gen.pattern_image(1, 40, 56)
    a = forward(os.path.join(OUT, "resnet50_w16_notop.h5"), img2, 16, False)
    ref["w16_notop_40x56"] = {"images": {"n": 1, "height": 40, "width": 56}, "pooled": a["conv5_block3_out"].mean(axis=(1, 2)).tolist()}
    img3 = gen.pattern_image(2, 224, 224)
    a = forward(os.path.join(OUT, "resnet50_w64_top_probs_vlen.h5"), img3, 64, True, top_name="probs")
    ref["w64_top_224"] = {"images": {"n": 2, "height": 224, "width": 224}, "probs": a["probs"].tolist()}
    with open(os.path.join(OUT, "reference-outputs.json"), "w") as fh:
        json.dump(ref, fh)
    print("fixtures written to", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
