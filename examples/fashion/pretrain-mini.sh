#!/usr/bin/env bash
# Pretrains the demo backbone resnet50-mini-fashion with the committed recipe (see recipe-search.md)
# and imports it into packages/zoo/assets/ through Graft's own .h5 reader.
# Needs Debian's python3-torch python3-numpy python3-h5py (python3-sklearn for the probe) and
# dataset-fashion-mnist; about 15 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
/usr/bin/python3 "$here/pretrain_torch.py" --width-divisor 8 --size 64 --epochs 30 --label-smoothing 0 \
  --rotation-aux 1 --seed 0 --probe-epochs 15,30 --out "$work/mini.h5" --result "$work/mini.json"
node "$here/import-mini.mjs" "$work/mini.h5" --record "$work/mini.json"
echo "update the sha256 in packages/zoo/src/models/resnet50-mini-fashion.ts if it changed"
