"""The PyTorch side of `pnpm bench` (packages/cli/bench/suite.mjs): the same tasks as Graft, on
the same machine, in the same run. Debian's system python3 with python3-torch/torchvision;
ResNet50 with random weights (the arithmetic is the same), torch.set_num_threads(<threads>).
Prints one JSON object on stdout. Usage: torch_reference.py <task> [args...]"""
import json
import os
import resource
import sys
import time

import torch
import torchvision

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))


def images_per_second(fn, batch, seconds):
    fn()  # warm-up
    start = time.perf_counter()
    done = 0
    while True:
        fn()
        done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def features(batch, seconds):
    model = torchvision.models.resnet50(weights=None).eval()
    body = torch.nn.Sequential(*list(model.children())[:-1])  # up to global average pooling
    x = torch.rand(batch, 3, 224, 224) * 100
    with torch.no_grad():
        return images_per_second(lambda: body(x), batch, seconds)


def fine_tune_step(trainable, batch, seconds):
    model = torchvision.models.resnet50(weights=None)
    model.fc = torch.nn.Linear(2048, 5)
    for name, p in model.named_parameters():
        p.requires_grad = trainable == "all" or name.startswith("layer4") or name.startswith("fc")
    model.train()
    if trainable != "all":  # frozen layers in inference mode, as Graft (and Keras) keep them
        for name, m in model.named_modules():
            if not (name.startswith("layer4") or name.startswith("fc")) and isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    x = torch.rand(batch, 3, 224, 224) * 100
    y = torch.randint(0, 5, (batch,))

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return images_per_second(step, batch, seconds)


def embed(folder):
    """What `graft embed` does: decode PNGs, resize to 224, preprocess, pooled features."""
    from PIL import Image

    start = time.perf_counter()
    model = torchvision.models.resnet50(weights=None).eval()
    body = torch.nn.Sequential(*list(model.children())[:-1])
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".png"))
    rows = []
    with torch.no_grad():
        for i in range(0, len(files), 8):
            batch = []
            for f in files[i : i + 8]:
                img = Image.open(f).convert("RGB").resize((224, 224), Image.BILINEAR)
                t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(224, 224, 3)
                batch.append(t.permute(2, 0, 1).float() - 110)
            rows.extend(body(torch.stack(batch)).flatten(1).tolist())
    return {"seconds": time.perf_counter() - start, "images": len(rows)}


task = sys.argv[1]
if task == "features":
    out = {"imagesPerSecond": features(int(sys.argv[2]), float(sys.argv[3]))}
elif task == "fine-tune-step":
    out = {"imagesPerSecond": fine_tune_step(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))}
elif task == "embed":
    out = embed(sys.argv[2])
else:
    raise SystemExit(f"unknown task {task}")
out["maxRssBytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
out["torch"] = torch.__version__
out["threads"] = torch.get_num_threads()
print(json.dumps(out))
