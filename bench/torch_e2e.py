"""PyTorch peer for resnorm's end-to-end benchmarks (bench/e2e_test.go).

The same workloads as the Go side, the same shapes and settings:

  cnn_train_b32, cnn_train_b128  the source document's CNN (models.SeedCNN),
      one training step: forward with batch-statistics BatchNorm, sparse
      cross-entropy from the logits, backward, Adam 1e-3. Keras conventions:
      TensorFlow 'same' padding (an explicit F.pad for the stride-2 3x3
      conv, whose extra row/column goes bottom/right), BatchNorm epsilon
      1e-3 and moving-average factor 0.99 (torch momentum 0.01), Glorot
      uniform kernels, zero biases. Reported in samples/s.
  cnn_infer_b1000  the same model in eval mode under torch.inference_mode(),
      softmax output, batch 1000; samples/s.
  bert_train  one Post-LN BERT encoder layer, hidden 256, 4 heads,
      intermediate 1024, exact GELU, no dropout, batch 16 x 128 tokens,
      all-zero additive mask [B,1,1,T]; forward, backward of sum(y * R) for a
      fixed random R (y.backward(R)), Adam 1e-3; ms per iteration.
  bert_forward  the layer's forward under torch.inference_mode(); ms.

Inputs are random data of the right shape (uniform [0,1) images, uniform
labels; N(0,1) token embeddings), drawn once, a few batches cycled, as on
the Go side. The CNN runs channels-last by default (oneDNN's fastest layout
here; --layout nchw for the other). Gradients are set to None before each
backward (torch's fastest path).

Each workload warms up, then runs until --seconds have passed (at least 3
iterations) and prints one line on stdout:
    e2e <workload> <value> <unit>
The torch version, thread count, CPU capability and the BLAS library the
process loaded go to stderr.

--rss-steps N instead trains the CNN for N steps at batch 32 and exits (for
peak-RSS measurement under /usr/bin/time -v).

Usage: /usr/bin/python3 bench/torch_e2e.py [--threads 2] [--seconds 2]
           [--workloads cnn_train_b32,...] [--layout channels_last|nchw]
       /usr/bin/python3 bench/torch_e2e.py --rss-steps 300
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

WORKLOADS = ["cnn_train_b32", "cnn_train_b128", "cnn_infer_b1000", "bert_train", "bert_forward"]
DATA_BATCHES = 4  # as dataBatches in bench/workloads.go


def loaded_blas():
    """The BLAS shared libraries mapped into this process."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            base = os.path.basename(line.split()[-1])
            if "blas" in base or "mkl" in base:
                libs.add(os.path.realpath(line.split()[-1]))
    return sorted(libs)


def tf_same_pad(size, k, s):
    """TensorFlow 'same' padding (before, after) along one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class SameConv(nn.Module):
    """Conv2d with TensorFlow 'same' padding: symmetric padding goes into the
    conv; asymmetric padding (stride 2, even size) is an explicit F.pad."""

    def __init__(self, cin, cout, k, stride, size, bias=True):
        super().__init__()
        ph = tf_same_pad(size, k, stride)
        self.pad = None
        pad = 0
        if ph[0] == ph[1]:
            pad = ph[0]
        else:
            self.pad = (ph[0], ph[1], ph[0], ph[1])
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=bias)
        nn.init.xavier_uniform_(self.conv.weight)  # Keras glorot_uniform
        if bias:
            nn.init.zeros_(self.conv.bias)

    def forward(self, x):
        if self.pad is not None:
            x = F.pad(x, self.pad)
        return self.conv(x)


def keras_bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class SeedBlock(nn.Module):
    """The source document's residual_block: ReLU(BN(conv) ... see
    nn.SeedBlockLayer: main conv3x3 -> BN -> ReLU, shortcut conv1x1 (no bias)
    -> BN, output ReLU(main + shortcut)."""

    def __init__(self, c, stride, size):
        super().__init__()
        self.conv = SameConv(c, c, 3, stride, size)
        self.bn = keras_bn(c)
        self.sc_conv = SameConv(c, c, 1, stride, size, bias=False)
        self.sc_bn = keras_bn(c)

    def forward(self, x):
        m = F.relu(self.bn(self.conv(x)))
        return F.relu(m + self.sc_bn(self.sc_conv(x)))


class SeedCNN(nn.Module):
    """models.SeedCNN: Conv2D(64,3,s2,same,relu) -> BN -> SeedBlock(64,s2) ->
    SeedBlock(64) -> Flatten -> Dense(10) (softmax folded into the loss for
    training, applied for inference). 114,698 trainable parameters (Keras's
    115,338 counts BatchNorm's moving statistics too)."""

    def __init__(self, channels_last):
        super().__init__()
        self.channels_last = channels_last
        self.conv = SameConv(1, 64, 3, 2, 28)
        self.bn = keras_bn(64)
        self.block1 = SeedBlock(64, 2, 14)
        self.block2 = SeedBlock(64, 1, 7)
        self.dense = nn.Linear(7 * 7 * 64, 10)
        nn.init.xavier_uniform_(self.dense.weight)
        nn.init.zeros_(self.dense.bias)

    def forward(self, x):  # x: [N, 1, 28, 28] in the chosen memory format
        h = self.bn(F.relu(self.conv(x)))
        h = self.block2(self.block1(h))
        if self.channels_last:  # NHWC flatten, as Keras: a view in this layout
            h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)
        else:
            h = h.flatten(1)
        return self.dense(h)


def cnn_setup(batch, layout, gen):
    cl = layout == "channels_last"
    model = SeedCNN(cl)
    fmt = torch.channels_last if cl else torch.contiguous_format
    model = model.to(memory_format=fmt)
    xs = [torch.rand(batch, 1, 28, 28, generator=gen).contiguous(memory_format=fmt) for _ in range(DATA_BATCHES)]
    ys = [torch.randint(0, 10, (batch,), generator=gen) for _ in range(DATA_BATCHES)]
    return model, xs, ys


def cnn_train(batch, layout, gen):
    model, xs, ys = cnn_setup(batch, layout, gen)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    state = {"i": 0}

    def step():
        i = state["i"] % DATA_BATCHES
        state["i"] += 1
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xs[i]), ys[i])
        loss.backward()
        opt.step()
        return loss

    return step


def cnn_infer(batch, layout, gen):
    model, xs, _ = cnn_setup(batch, layout, gen)
    model.eval()
    state = {"i": 0}

    def step():
        i = state["i"] % DATA_BATCHES
        state["i"] += 1
        with torch.inference_mode():
            return torch.softmax(model(xs[i]), dim=-1)

    return step


class BERTLayer(nn.Module):
    """bench.BERTLayer: Post-LN encoder layer, BERT initialisation (weights
    N(0, 0.02^2), zero biases, LayerNorm 1/0, eps 1e-12), exact GELU."""

    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(hidden, hidden) for _ in range(4))
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ff1 = nn.Linear(hidden, inter)
        self.ff2 = nn.Linear(inter, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)
        for lin in (self.q, self.k, self.v, self.o, self.ff1, self.ff2):
            nn.init.normal_(lin.weight, std=0.02)
            nn.init.zeros_(lin.bias)

    def forward(self, x, mask):
        b, t, h = x.shape
        dh = h // self.heads

        def heads(z):
            return z.view(b, t, self.heads, dh).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(dh))
        p = torch.softmax(scores + mask, dim=-1)
        ctx = torch.matmul(p, v).transpose(1, 2).reshape(b, t, h)
        a = self.ln1(x + self.o(ctx))
        return self.ln2(a + self.ff2(F.gelu(self.ff1(a))))


def bert_setup(gen, b=16, t=128, hidden=256, heads=4, inter=1024):
    layer = BERTLayer(hidden, heads, inter)
    xs = [torch.randn(b, t, hidden, generator=gen) for _ in range(DATA_BATCHES)]
    mask = torch.zeros(b, 1, 1, t)
    r = torch.randn(b, t, hidden, generator=gen)
    return layer, xs, mask, r


def bert_train(gen):
    layer, xs, mask, r = bert_setup(gen)
    opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
    state = {"i": 0}

    def step():
        i = state["i"] % DATA_BATCHES
        state["i"] += 1
        opt.zero_grad(set_to_none=True)
        layer(xs[i], mask).backward(r)
        opt.step()

    return step


def bert_forward(gen):
    layer, xs, mask, _ = bert_setup(gen)
    state = {"i": 0}

    def step():
        i = state["i"] % DATA_BATCHES
        state["i"] += 1
        with torch.inference_mode():
            return layer(xs[i], mask)

    return step


def run_for(step, seconds, warmup=3, min_iters=3):
    """Runs step until seconds have passed; returns (iterations, elapsed)."""
    for _ in range(warmup):  # threads, allocator, oneDNN primitive caches
        step()
    n = 0
    t0 = time.perf_counter()
    while True:
        step()
        n += 1
        dt = time.perf_counter() - t0
        if n >= min_iters and dt >= seconds:
            return n, dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--layout", choices=["channels_last", "nchw"], default="channels_last")
    ap.add_argument("--rss-steps", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    if args.rss_steps:
        step = cnn_train(32, args.layout, gen)
        for _ in range(args.rss_steps):
            loss = step()
        print(f"rss-run loss {loss.item():.4f}", file=sys.stderr)
        return

    print("torch", torch.__version__, "threads", torch.get_num_threads(),
          "capability", torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else
          os.environ.get("ATEN_CPU_CAPABILITY", "default"),
          "layout", args.layout, "BLAS:", "; ".join(loaded_blas()) or "none found", file=sys.stderr)
    for name in args.workloads.split(","):
        if name.startswith("cnn_train_b"):
            batch = int(name[len("cnn_train_b"):])
            n, dt = run_for(cnn_train(batch, args.layout, gen), args.seconds)
            print(f"e2e {name} {n * batch / dt:.1f} samples/s", flush=True)
        elif name.startswith("cnn_infer_b"):
            batch = int(name[len("cnn_infer_b"):])
            n, dt = run_for(cnn_infer(batch, args.layout, gen), args.seconds)
            print(f"e2e {name} {n * batch / dt:.1f} samples/s", flush=True)
        elif name == "bert_train":
            n, dt = run_for(bert_train(gen), args.seconds)
            print(f"e2e {name} {dt / n * 1e3:.3f} ms/iter", flush=True)
        elif name == "bert_forward":
            n, dt = run_for(bert_forward(gen), args.seconds)
            print(f"e2e {name} {dt / n * 1e3:.3f} ms/iter", flush=True)
        else:
            sys.exit(f"torch_e2e.py: unknown workload {name!r} (known: {', '.join(WORKLOADS)})")


if __name__ == "__main__":
    main()
