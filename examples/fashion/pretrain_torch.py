#!/usr/bin/env python3
"""Pretrain the demo backbone `resnet50-mini-fashion` with PyTorch and write it as a Keras-layout
ResNet50 `.h5` (the layout of the official `resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5`),
which Graft then imports through its own `.h5` reader (examples/fashion/import-mini.mjs).

The network is keras.applications.ResNet50 layer for layer (ZeroPadding2D(3) + 7x7/2 valid stem,
ZeroPadding2D(1) + 3x3/2 valid max-pool, stride 2 on the first 1x1 conv and the projection
shortcut, BatchNormalization epsilon 1.001e-5), every width divided by --width-divisor, trained
on Fashion-MNIST domain A (T-shirt/top, Trouser, Pullover, Dress, Coat) from the train split's
indices below 50,000 only: the last 10,000 training images stay an untouched check.

Inputs are what Graft feeds at run time: the 28x28 gray image replicated to RGB, resized
bilinearly (half-pixel centres, as tf.image.resizeBilinear(..., halfPixelCenters=true)), Keras
'caffe' preprocessing (BGR, ImageNet means subtracted, no scaling).

--probe evaluates, after chosen epochs, a linear probe (standardised pooled features, multinomial
logistic regression with L2 chosen by 5-fold CV) on domain-B images that are NOT in the committed
sample: train indices 10,000-49,999 for the probe's training images, t10k images after the first
60 per class for testing. That is the recipe-search protocol (examples/fashion/recipe-search.md).

Needs Debian's python3-torch python3-numpy python3-h5py (and python3-sklearn for --probe);
run with Debian's system python3:

  /usr/bin/python3 examples/fashion/pretrain_torch.py --out /tmp/mini.h5 [--epochs 30] [--seed 0]
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1.001e-5
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
STAGES = (("conv2", 64, 3, 1), ("conv3", 128, 4, 2), ("conv4", 256, 6, 2), ("conv5", 512, 3, 2))
DOMAIN_A = (0, 1, 2, 3, 4)
DOMAIN_B = (5, 6, 7, 8, 9)
HOLDOUT_START = 50_000  # train indices >= this stay out of pretraining and recipe search
FASHION_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def read_idx(name):
    with gzip.open(os.path.join(FASHION_DIR, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split):
    return read_idx("%s-images-idx3-ubyte.gz" % split), read_idx("%s-labels-idx1-ubyte.gz" % split)


# ------------------------------------------------------------------------------------------
# The Keras ResNet50, in PyTorch
# ------------------------------------------------------------------------------------------
class ConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, name):
        super().__init__()
        self.name = name
        self.conv = nn.Conv2d(cin, cout, k, stride, padding=(k // 2 if k == 3 else 0), bias=True)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=0.1)

    def forward(self, x):
        return self.bn(self.conv(x))


class Block(nn.Module):
    def __init__(self, cin, filters, stride, shortcut, name):
        super().__init__()
        self.name = name
        self.c0 = ConvBN(cin, 4 * filters, 1, stride, name + "_0") if shortcut else None
        self.c1 = ConvBN(cin, filters, 1, stride, name + "_1")
        self.c2 = ConvBN(filters, filters, 3, 1, name + "_2")
        self.c3 = ConvBN(filters, 4 * filters, 1, 1, name + "_3")

    def forward(self, x):
        s = self.c0(x) if self.c0 is not None else x
        y = F.relu(self.c1(x))
        y = F.relu(self.c2(y))
        y = self.c3(y)
        return F.relu(s + y)


class ResNet50(nn.Module):
    def __init__(self, d, classes):
        super().__init__()
        self.stem = ConvBN(3, 64 // d, 7, 2, "conv1")
        self.stem.conv.padding = (0, 0)  # Keras pads with ZeroPadding2D(3), then a valid conv
        blocks, cin = [], 64 // d
        for stage, filters, n, stride in STAGES:
            for b in range(1, n + 1):
                blocks.append(Block(cin, filters // d, stride if b == 1 else 1, b == 1, "%s_block%d" % (stage, b)))
                cin = 4 * filters // d
        self.blocks = nn.ModuleList(blocks)
        self.features = cin
        self.fc = nn.Linear(cin, classes)
        # SimCLR's projection head (training only; not exported)
        self.projection = nn.Sequential(nn.Linear(cin, 256), nn.ReLU(), nn.Linear(256, 128))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
        for b in self.blocks:  # zero-init the last BN gamma of each residual branch (Goyal et al.)
            nn.init.zeros_(b.c3.bn.weight)

    def forward(self, x, taps=()):
        x = F.pad(x, (3, 3, 3, 3))
        x = F.relu(self.stem(x))
        x = F.pad(x, (1, 1, 1, 1))  # inputs are >= 0 after ReLU, so zero padding = Keras's
        x = F.max_pool2d(x, 3, 2)
        out = {}
        for b in self.blocks:
            x = b(x)
            if b.name + "_out" in taps:
                out[b.name + "_out"] = x.mean((2, 3))
        if taps:
            return out
        pooled = x.mean((2, 3))
        return self.fc(pooled), pooled


def keras_weights(model):
    """(layer name -> [(weight name, array)]) in Keras layout: HWIO kernels, BN gamma/beta/mean/var."""
    weights = {}

    def put(cb, name):
        w = cb.conv.weight.detach().cpu().numpy().transpose(2, 3, 1, 0)
        weights[name + "_conv"] = [("kernel:0", np.ascontiguousarray(w, np.float32)),
                                   ("bias:0", cb.conv.bias.detach().cpu().numpy().astype(np.float32))]
        bn = cb.bn
        weights[name + "_bn"] = [(n, t.detach().cpu().numpy().astype(np.float32)) for n, t in (
            ("gamma:0", bn.weight), ("beta:0", bn.bias), ("moving_mean:0", bn.running_mean),
            ("moving_variance:0", bn.running_var))]

    put(model.stem, "conv1")
    for b in model.blocks:
        for i, cb in ((0, b.c0), (1, b.c1), (2, b.c2), (3, b.c3)):
            if cb is not None:
                put(cb, "%s_%d" % (b.name, i))
    return weights


def keras_layer_names(model):
    """model.layers order of keras.applications.ResNet50(include_top=False)."""
    names = ["input_1", "conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool"]
    for b in model.blocks:
        n = b.name
        head = [n + s for s in ("_1_conv", "_1_bn", "_1_relu", "_2_conv", "_2_bn", "_2_relu")]
        if b.c0 is not None:
            names += head + [n + s for s in ("_0_conv", "_3_conv", "_0_bn", "_3_bn", "_add", "_out")]
        else:
            names += head + [n + s for s in ("_3_conv", "_3_bn", "_add", "_out")]
    return names


def write_h5(path, model):
    import h5py

    weights = keras_weights(model)
    names = keras_layer_names(model)
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        f.attrs["backend"] = np.array(b"tensorflow")
        f.attrs["keras_version"] = np.array(b"2.2.4")
        for name in names:
            g = f.create_group(name)
            ws = weights.get(name, [])
            full = [(name + "/" + wn).encode() for wn, _ in ws]
            g.attrs["weight_names"] = np.array(full) if full else np.zeros((0,), np.float64)
            for wname, (_, val) in zip(full, ws):
                g.create_dataset(wname, data=val)
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------
# Inputs exactly as Graft makes them
# ------------------------------------------------------------------------------------------
def to_input(gray_u8, size):
    """uint8 (N, 28, 28) -> float (N, 3, size, size): bilinear, half-pixel centres, caffe BGR."""
    x = torch.from_numpy(np.ascontiguousarray(gray_u8)).float().unsqueeze(1)
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    mean = torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    return x.expand(-1, 3, -1, -1) - mean


def augment(gray_u8, rng, args):
    """Random translation (pad + crop), scale jitter and horizontal flip on 28x28 images."""
    n = gray_u8.shape[0]
    x = torch.from_numpy(np.ascontiguousarray(gray_u8)).float().unsqueeze(1)
    if args.flip:
        flip = torch.from_numpy(rng.random(n) < 0.5)
        x[flip] = x[flip].flip(-1)
    # affine jitter: scale in [1 - s, 1 + s], shift up to `shift` pixels of 28
    s = torch.from_numpy(1 + (rng.random(n) * 2 - 1) * args.scale).float()
    t = torch.from_numpy((rng.random((n, 2)) * 2 - 1) * args.shift / 14).float()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = 1 / s
    theta[:, 1, 1] = 1 / s
    theta[:, :, 2] = t
    grid = F.affine_grid(theta, (n, 1, args.size, args.size), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if args.intensity > 0:  # brightness jitter (the images are gray: no colour jitter)
        x = x * torch.from_numpy(1 + (rng.random(n) * 2 - 1) * args.intensity).float().view(n, 1, 1, 1)
    if args.erase > 0:  # random erasing of one box per image
        for i in np.nonzero(rng.random(n) < args.erase)[0]:
            h, w = rng.integers(args.size // 6, args.size // 2, 2)
            y0, x0 = rng.integers(0, args.size - h), rng.integers(0, args.size - w)
            x[i, :, y0 : y0 + h, x0 : x0 + w] = 0
    mean = torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    return x.expand(-1, 3, -1, -1) - mean


@torch.no_grad()
def pooled(model, gray_u8, size, taps, batch=500):
    model.eval()
    parts = {t: [] for t in taps}
    for i in range(0, len(gray_u8), batch):
        out = model(to_input(gray_u8[i : i + batch], size), taps=taps)
        for t in taps:
            parts[t].append(out[t].numpy())
    return {t: np.concatenate(v) for t, v in parts.items()}


# ------------------------------------------------------------------------------------------
# Recipe-search probe (never touches the committed sample or train indices >= 50,000)
# ------------------------------------------------------------------------------------------
def nt_xent(z1, z2, temperature):
    """SimCLR's normalised temperature-scaled cross-entropy over the 2N views of a batch."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / temperature
    n = z1.shape[0]
    sim.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


def probe_sets(train, test):
    (xtr, ytr), (xte, yte) = train, test
    pool = {c: [i for i in range(10_000, HOLDOUT_START) if ytr[i] == c] for c in DOMAIN_B}
    seen = {c: 0 for c in DOMAIN_B}
    test_idx = []
    for i in range(len(yte)):
        c = int(yte[i])
        if c in seen:
            if seen[c] >= 60:
                test_idx.append(i)
            seen[c] += 1
    return pool, np.array(test_idx)


def probe(model, args, train, test, pool, test_idx, taps):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    xtr, ytr = train
    xte, yte = test
    results = {}
    need = sorted({i for c in DOMAIN_B for i in pool[c][: 3 * 100]})
    feats_tr = pooled(model, xtr[need], args.size, taps)
    row = {i: r for r, i in enumerate(need)}
    feats_te = pooled(model, xte[test_idx], args.size, taps)
    for tap in list(taps) + (["concat"] if len(taps) > 1 else []):
        ftr = np.concatenate([feats_tr[t] for t in taps], 1) if tap == "concat" else feats_tr[tap]
        fte = np.concatenate([feats_te[t] for t in taps], 1) if tap == "concat" else feats_te[tap]
        for k in (5, 20, 100):
            accs = []
            for rep in range(3):
                idx = [row[i] for c in DOMAIN_B for i in pool[c][rep * 100 : rep * 100 + k]]
                y = ytr[[need[j] for j in idx]]
                sc = StandardScaler().fit(ftr[idx])
                grid = GridSearchCV(
                    LogisticRegression(max_iter=2000),
                    {"C": list(np.logspace(-4, 2, 7))},
                    cv=StratifiedKFold(5, shuffle=True, random_state=rep),
                )
                grid.fit(sc.transform(ftr[idx]), y)
                accs.append(float((grid.predict(sc.transform(fte)) == yte[test_idx]).mean()))
            results["%s@%d" % (tap, k)] = round(float(np.mean(accs)), 4)
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", help="where to write the Keras-layout .h5 (no top)")
    p.add_argument("--width-divisor", type=int, default=8)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--wd", type=float, default=5e-4)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--flip", type=int, default=1)
    p.add_argument("--scale", type=float, default=0.15)
    p.add_argument("--shift", type=float, default=3)
    p.add_argument("--erase", type=float, default=0.0)
    p.add_argument("--intensity", type=float, default=0.0)
    p.add_argument("--contrastive", type=float, default=0.0, help="weight of a SimCLR loss on two views")
    p.add_argument("--temperature", type=float, default=0.2)
    p.add_argument("--rotation-aux", type=int, default=0, help="joint class x rotation labels (RotNet-style)")
    p.add_argument("--images", type=int, default=0, help="limit domain-A training images (0: all below 50,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--probe-epochs", default="", help="comma list of epochs after which to run the probe")
    p.add_argument("--taps", default="conv3_block4_out,conv4_block6_out,conv5_block3_out")
    p.add_argument("--result", help="JSON file for the run's record")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    started = time.time()
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    src = np.array([i for i in range(HOLDOUT_START) if ytr[i] in DOMAIN_A])
    if args.images:
        src = src[: args.images]
    assert src.max() < HOLDOUT_START
    xa, ya = xtr[src], ytr[src].astype(np.int64)
    val = np.array([i for i in range(len(yte)) if yte[i] in DOMAIN_A])
    taps = tuple(t for t in args.taps.split(",") if t)
    probe_at = {int(e) for e in args.probe_epochs.split(",") if e}
    pool, test_idx = probe_sets((xtr, ytr), (xte, yte)) if probe_at else (None, None)

    classes = len(DOMAIN_A) * (4 if args.rotation_aux else 1)
    model = ResNet50(args.width_divisor, classes)
    decay, no_decay = [], []
    for n_, prm in model.named_parameters():
        (no_decay if prm.ndim == 1 else decay).append(prm)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = len(xa) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.15)
    history = []
    print("pretraining on %d domain-A images (train indices < %d), %d epochs, width/%d, %dx%d"
          % (len(xa), HOLDOUT_START, args.epochs, args.width_divisor, args.size, args.size), flush=True)
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.time()
        order = rng.permutation(len(xa))
        total, correct, loss_sum = 0, 0, 0.0
        for s in range(steps_per_epoch):
            idx = order[s * args.batch : (s + 1) * args.batch]
            xb = augment(xa[idx], rng, args)
            yb = torch.from_numpy(ya[idx])
            if args.rotation_aux:
                r = torch.from_numpy(rng.integers(0, 4, len(idx)))
                xb = xb.clone()
                for turn in (1, 2, 3):
                    xb[r == turn] = torch.rot90(xb[r == turn], turn, (2, 3))
                yb = yb * 4 + r
            logits, pooled1 = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=args.label_smoothing)
            if args.contrastive > 0:
                _, pooled2 = model(augment(xa[idx], rng, args))
                loss = loss + args.contrastive * nt_xent(
                    model.projection(pooled1), model.projection(pooled2), args.temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            total += len(idx)
        model.eval()
        with torch.no_grad():
            vc = 0
            for i in range(0, len(val), 1000):
                logits, _ = model(to_input(xte[val[i : i + 1000]], args.size))
                if args.rotation_aux:
                    logits = logits.view(-1, len(DOMAIN_A), 4)[:, :, 0]
                vc += int((logits.argmax(1).numpy() == yte[val[i : i + 1000]]).sum())
        log = {"epoch": epoch, "loss": round(loss_sum / total, 4), "accuracy": round(correct / total, 4),
               "val_accuracy": round(vc / len(val), 4), "seconds": round(time.time() - t0, 1)}
        if epoch in probe_at:
            log["probe"] = probe(model, args, (xtr, ytr), (xte, yte), pool, test_idx, taps)
        history.append(log)
        print(json.dumps(log), flush=True)

    seconds = time.time() - started
    record = {"args": vars(args), "trainImages": int(len(xa)), "history": history,
              "domainATestAccuracy": history[-1]["val_accuracy"], "domainATestImages": int(len(val)),
              "seconds": round(seconds, 1), "torch": torch.__version__, "threads": args.threads}
    if args.out:
        write_h5(args.out, model)
        # pooled features of a few test images, for the importer to check its numbers against
        check = pooled(model, xte[:8], args.size, taps)
        with open(args.out + ".check.json", "w") as f:
            json.dump({"t10k": list(range(8)), "size": args.size,
                       "pooled": {t: v.tolist() for t, v in check.items()}}, f)
        print("wrote %s" % args.out, flush=True)
    if args.result:
        with open(args.result, "w") as f:
            json.dump(record, f, indent=2)
    print("done in %.0fs" % seconds, flush=True)


if __name__ == "__main__":
    main()
