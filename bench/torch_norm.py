"""PyTorch peer for resnorm's norm benchmarks (internal/kernels
norm_bench_test.go): LayerNorm and RMSNorm on [8192, 768], BatchNorm2d
training on [32, 64, 14, 14] channels last.

torch 1.13 has no fused RMSNorm, so it is composed of ops as a user would
write it. Gradients are set to None before each backward (torch's fastest
path; resnorm accumulates into existing gradients). Prints one line per
workload: "norm <name> <median ms> <min ms> <max ms>", the names matching
the Go benchmarks.

Usage: /usr/bin/python3 bench/torch_norm.py [--threads 2] [--iters 20]
"""
import argparse
import statistics
import sys
import time

import torch

R, D = 8192, 768
N, C, H, W = 32, 64, 14, 14


def timed(fn, iters):
    for _ in range(3):  # warm up (threads, allocator, page faults)
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(ts), max(ts)


def rms_norm(x, g, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print("torch", torch.__version__, "threads", torch.get_num_threads(), file=sys.stderr)
    gen = torch.Generator().manual_seed(1)

    x = torch.randn(R, D, generator=gen, requires_grad=True)
    dy = torch.randn(R, D, generator=gen)
    ln = torch.nn.LayerNorm(D, eps=1e-5)
    g = torch.randn(D, generator=gen, requires_grad=True)
    bn = torch.nn.BatchNorm2d(C).train()
    xb = torch.randn(N, C, H, W, generator=gen).to(memory_format=torch.channels_last).requires_grad_()
    dyb = torch.randn(N, C, H, W, generator=gen).to(memory_format=torch.channels_last)

    def fwd_bwd(f, dout, *leaves):
        def run():
            for v in leaves:
                v.grad = None
            f().backward(dout)
        return run

    params = [x, ln.weight, ln.bias]
    work = [
        ("LayerNormForward", lambda: torch.no_grad()(ln)(x)),
        ("LayerNormFwdBwd", fwd_bwd(lambda: ln(x), dy, *params)),
        ("RMSNormForward", lambda: torch.no_grad()(rms_norm)(x, g)),
        ("RMSNormFwdBwd", fwd_bwd(lambda: rms_norm(x, g), dy, x, g)),
        ("BatchNormTrain", fwd_bwd(lambda: bn(xb), dyb, xb, bn.weight, bn.bias)),
    ]
    for name, fn in work:
        med, lo, hi = timed(fn, args.iters)
        print(f"norm {name} {med:.3f} {lo:.3f} {hi:.3f}", flush=True)


if __name__ == "__main__":
    main()
