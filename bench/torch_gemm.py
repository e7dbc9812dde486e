"""PyTorch peer for resnorm's SGEMM benchmark (internal/kernels BenchmarkSgemm).

Times torch.mm at the same shapes and transposes, float32, into a
preallocated output, and prints one line per shape: "gemm <name> <GFLOP/s>".
torch must run on OpenBLAS for a fair comparison (Debian's python3-torch
with libopenblas0-openmp); the BLAS library the process actually loaded is
printed on stderr.

Usage: /usr/bin/python3 bench/torch_gemm.py [--threads 2] [--iters 20]
"""
import argparse
import ctypes
import os
import sys
import time

import torch

# name, transA, transB, m, n, k — keep in step with gemmBenchShapes in
# internal/kernels/gemm_bench_test.go.
SHAPES = [
    ("1024x1024x1024", False, False, 1024, 1024, 1024),
    ("2048x768x768", False, False, 2048, 768, 768),
    ("8192x64x576", False, False, 8192, 64, 576),
    ("576x64x8192_tA", True, False, 576, 64, 8192),
    ("8192x576x64_tB", False, True, 8192, 576, 64),
    ("1568x64x576", False, False, 1568, 64, 576),
    ("576x64x1568_tA", True, False, 576, 64, 1568),
    ("1568x576x64_tB", False, True, 1568, 576, 64),
    ("1568x64x576_tB", False, True, 1568, 64, 576),
    ("1568x64x64", False, False, 1568, 64, 64),
    ("64x64x1568_tA", True, False, 64, 64, 1568),
    ("1568x64x64_tB", False, True, 1568, 64, 64),
]


def loaded_blas():
    """Returns the BLAS shared libraries mapped into this process, with the
    OpenBLAS configuration string when it is OpenBLAS."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            base = os.path.basename(path)
            if "blas" in base or "mkl" in base:
                libs.add(os.path.realpath(path))
    out = []
    for lib in sorted(libs):
        desc = lib
        try:
            h = ctypes.CDLL(lib)
            h.openblas_get_config.restype = ctypes.c_char_p
            desc += " [" + h.openblas_get_config().decode() + "]"
        except (OSError, AttributeError):
            pass
        out.append(desc)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(1)
    first = True
    for name, ta, tb, m, n, k in SHAPES:
        a = torch.randn(k, m, generator=g) if ta else torch.randn(m, k, generator=g)
        b = torch.randn(n, k, generator=g) if tb else torch.randn(k, n, generator=g)
        opa = a.t() if ta else a
        opb = b.t() if tb else b
        c = torch.empty(m, n)
        for _ in range(3):  # warm up (threads, caches, page faults)
            torch.mm(opa, opb, out=c)
        if first:
            print("torch", torch.__version__, "threads", torch.get_num_threads(),
                  "BLAS:", "; ".join(loaded_blas()) or "none found", file=sys.stderr)
            first = False
        t0 = time.perf_counter()
        for _ in range(args.iters):
            torch.mm(opa, opb, out=c)
        dt = (time.perf_counter() - t0) / args.iters
        print(f"gemm {name} {2.0 * m * n * k / dt / 1e9:.1f}", flush=True)


if __name__ == "__main__":
    main()
