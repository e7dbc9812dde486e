"""Shared writer for resnorm's golden test values.

Each generator script (gen_*.py, run with Debian's /usr/bin/python3 and its
python3-torch) computes forward outputs and gradients with PyTorch and calls
save(); the Go tests read the JSON files, so `go test` never needs Python.

File format (autograd/testdata/golden/<name>.json, or another dir given):
  {"name": ..., "attrs": {...}, "tensors": {"x": {"shape": [...], "data": [...]}, ...}}
Data are float32 values written with repr() of the float64 they convert to,
so they round-trip exactly.
"""
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _t(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().to(torch.float32).contiguous()
        return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}
    raise TypeError(type(x))


def save(name, tensors, attrs=None, outdir="autograd/testdata/golden"):
    d = os.path.join(ROOT, outdir)
    os.makedirs(d, exist_ok=True)
    doc = {"name": name, "attrs": attrs or {}, "tensors": {k: _t(v) for k, v in tensors.items()}}
    with open(os.path.join(d, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def seeded(seed=0):
    """Torch generator for reproducible inputs."""
    g = torch.Generator().manual_seed(seed)
    return g
