"""Golden values for package optim: torch.optim.SGD, Adam and AdamW.

Each case runs 5 updates on two small parameters ("a" [3, 4], "b" [5])
with fixed random gradients and a per-step learning rate (attr "lrs", set in
the param group before each step, as a Go Schedule would), and records the
parameters after every step ("p<k>/<name>") and the final optimizer state.

Run from the repo root: /usr/bin/python3 scripts/golden/gen_optim.py
Writes optim/testdata/golden/optim_<case>.json.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import save, seeded  # noqa: E402

OUT = "optim/testdata/golden"
STEPS = 5


def run(case, make, lrs, state_keys, seed):
    g = seeded(seed)
    shapes = {"a": (3, 4), "b": (5,)}
    p0 = {n: torch.randn(s, generator=g) for n, s in shapes.items()}
    # Gradients of varied scale, including a tiny one so epsilon matters.
    grads = [{n: torch.randn(s, generator=g) * (10.0 ** (k - 2)) for n, s in shapes.items()} for k in range(STEPS)]
    params = {n: torch.nn.Parameter(p0[n].clone()) for n in shapes}
    opt = make([params["a"], params["b"]])
    out = {f"p0/{n}": p0[n] for n in shapes}
    for k in range(STEPS):
        for grp in opt.param_groups:
            grp["lr"] = lrs[k]
        for n in shapes:
            params[n].grad = grads[k][n].clone()
            out[f"g{k}/{n}"] = grads[k][n]
        opt.step()
        for n in shapes:
            out[f"p{k + 1}/{n}"] = params[n].detach().clone()
    for n in shapes:
        st = opt.state[params[n]]
        for ours, theirs in state_keys.items():
            out[f"{ours}/{n}"] = st[theirs]
    save("optim_" + case, out, {"lrs": lrs, "steps": STEPS}, outdir=OUT)


def main():
    torch.manual_seed(0)
    decay = [0.1 * 0.8 ** k for k in range(STEPS)]
    run("sgd", lambda p: torch.optim.SGD(p, lr=0.1), [0.1] * STEPS, {}, 1)
    run("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-2),
        decay, {"sgd/momentum": "momentum_buffer"}, 2)
    run("sgd_nesterov", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        decay, {"sgd/momentum": "momentum_buffer"}, 3)
    adam_lrs = [1e-2 * 0.8 ** k for k in range(STEPS)]
    adam_state = {"adam/m": "exp_avg", "adam/v": "exp_avg_sq"}
    run("adam", lambda p: torch.optim.Adam(p, lr=1e-2, eps=1e-7), adam_lrs, adam_state, 4)
    run("adam_l2", lambda p: torch.optim.Adam(p, lr=1e-2, eps=1e-7, weight_decay=0.1), adam_lrs, adam_state, 5)
    run("adamw", lambda p: torch.optim.AdamW(p, lr=1e-2, eps=1e-7, weight_decay=0.5), adam_lrs, adam_state, 6)


if __name__ == "__main__":
    main()
