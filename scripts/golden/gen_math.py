"""Golden values for resnorm's elementwise, activation, softmax/loss, matmul,
shape, reduction and embedding ops (autograd/ops_*.go).

Run from anywhere with Debian's Python and torch:
    /usr/bin/python3 scripts/golden/gen_math.py
It writes autograd/testdata/golden/math_<case>.json, one file per case:
  tensors  in0, in1, ...  the op's inputs (float32 values)
           y  (or y0, y1, ... for Split)  the forward output
           gy (or gy0, gy1, ...)          a random upstream gradient
           d0, d1, ...                    the gradients of Σ gy·y w.r.t. each input
  attrs    op and its arguments (axes, transposes, labels, ...)
Inputs are drawn in float32; the reference is then computed in float64 and
rounded once, so it is the float32-rounded exact answer rather than one
particular float32 evaluation order.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import save, seeded  # noqa: E402

G = seeded(20240611)


def randn(*shape):
    return torch.randn(tuple(shape), generator=G, dtype=torch.float32)


def uniform(lo, hi, *shape):
    return lo + (hi - lo) * torch.rand(tuple(shape), generator=G, dtype=torch.float32)


def away_from_zero(x, gap=0.05):
    return torch.where(x >= 0, x + gap, x - gap)


def case(name, op, fn, inputs, attrs=None, grad_inputs=None):
    """Run fn on float64 copies of inputs and save forward and gradients.

    grad_inputs lists which inputs take a gradient (default: all)."""
    if grad_inputs is None:
        grad_inputs = list(range(len(inputs)))
    xs = []
    for i, x in enumerate(inputs):
        x = x.to(torch.float64).clone()
        x.requires_grad_(i in grad_inputs)
        xs.append(x)
    out = fn(*xs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    gys = [randn(*o.shape).to(torch.float64) for o in outs]
    torch.autograd.backward(outs, gys)
    tensors = {f"in{i}": x.detach() for i, x in enumerate(inputs)}
    if len(outs) == 1:
        tensors["y"], tensors["gy"] = outs[0], gys[0]
    else:
        for i, (o, g) in enumerate(zip(outs, gys)):
            tensors[f"y{i}"], tensors[f"gy{i}"] = o, g
    for i in grad_inputs:
        tensors[f"d{i}"] = xs[i].grad
    a = {"op": op}
    a.update(attrs or {})
    save("math_" + name, tensors, a)


def main():
    # Broadcasting binary ops: a bias [C] on [N, T, C], and two-sided broadcasts.
    N, T, C = 2, 3, 4
    case("add_bias", "Add", torch.add, [randn(N, T, C), randn(C)])
    case("sub_bias", "Sub", torch.sub, [randn(N, T, C), randn(C)])
    case("mul_bias", "Mul", torch.mul, [randn(N, T, C), randn(C)])
    case("div_bias", "Div", torch.div, [randn(N, T, C), uniform(0.5, 1.5, C)])
    case("add_two_sided", "Add", torch.add, [randn(2, 1, 4), randn(3, 1)])
    case("mul_two_sided", "Mul", torch.mul, [randn(2, 1, 4), randn(3, 1)])
    case("div_two_sided", "Div", torch.div, [randn(3, 1), uniform(0.5, 1.5, 2, 1, 4)])
    case("mul_same", "Mul", torch.mul, [randn(3, 5), randn(3, 5)])
    case("add_scalar", "AddScalar", lambda x: x + 1.25, [randn(2, 3)], {"s": 1.25})
    case("mul_scalar", "MulScalar", lambda x: x * -0.75, [randn(2, 3)], {"s": -0.75})

    # Activations.
    case("relu", "ReLU", torch.relu, [away_from_zero(randn(3, 7))])
    case("gelu", "GELU", F.gelu, [3 * randn(3, 7)])
    case("gelu_tanh", "GELUTanh", lambda x: F.gelu(x, approximate="tanh"), [3 * randn(3, 7)])
    case("sigmoid", "Sigmoid", torch.sigmoid, [3 * randn(3, 7)])
    case("tanh", "Tanh", torch.tanh, [2 * randn(3, 7)])

    # Softmax family over the last axis.
    case("softmax", "Softmax", lambda x: torch.softmax(x, -1), [2 * randn(2, 3, 5)])
    case("log_softmax", "LogSoftmax", lambda x: torch.log_softmax(x, -1), [2 * randn(2, 3, 5)])
    labels = [3, -100, 0, 4, -100, 1]
    case("cross_entropy_ignore", "SoftmaxCrossEntropy",
         lambda x: F.cross_entropy(x.reshape(-1, 5), torch.tensor(labels), ignore_index=-100),
         [2 * randn(2, 3, 5)], {"labels": labels, "ignore": -100})
    labels = [3, 2, 0, 4]
    case("cross_entropy", "SoftmaxCrossEntropy",
         lambda x: F.cross_entropy(x, torch.tensor(labels)),
         [2 * randn(4, 5)], {"labels": labels, "ignore": None})

    # Matrix products, every transpose combination: 2-D, batched, shared b.
    M, K, Nn = 3, 4, 5
    for ta in (False, True):
        for tb in (False, True):
            tag = ("T" if ta else "N") + ("T" if tb else "N")

            def mm(a, b, ta=ta, tb=tb):
                return (a.transpose(-1, -2) if ta else a) @ (b.transpose(-1, -2) if tb else b)

            sa2 = (K, M) if ta else (M, K)
            sb2 = (Nn, K) if tb else (K, Nn)
            attrs = {"transA": ta, "transB": tb}
            case("matmul_2d_" + tag, "MatMulT", mm, [randn(*sa2), randn(*sb2)], attrs)
            case("matmul_batched_" + tag, "MatMulT", mm, [randn(2, 3, *sa2), randn(2, 3, *sb2)], attrs)
            case("matmul_shared_" + tag, "MatMulT", mm, [randn(2, 3, *sa2), randn(*sb2)], attrs)

    # Shape ops.
    case("reshape", "Reshape", lambda x: x.reshape(4, -1), [randn(2, 3, 4)], {"shape": [4, -1]})
    case("permute", "Permute", lambda x: x.permute(2, 0, 1), [randn(2, 3, 4)], {"axes": [2, 0, 1]})
    case("permute4", "Permute", lambda x: x.permute(0, 2, 1, 3), [randn(2, 3, 4, 2)], {"axes": [0, 2, 1, 3]})
    case("transpose", "Transpose", lambda x: x.transpose(-1, 0), [randn(2, 3, 4)], {"i": -1, "j": 0})
    case("concat", "Concat", lambda a, b, c: torch.cat([a, b, c], 1),
         [randn(2, 1, 3), randn(2, 3, 3), randn(2, 2, 3)], {"axis": 1})
    case("split", "Split", lambda x: torch.split(x, [1, 3, 2], -1), [randn(2, 3, 6)],
         {"axis": -1, "sizes": [1, 3, 2]})

    # Reductions.
    for name, axes, keep in [("all", None, False), ("ax1", [1], False), ("ax02_keep", [0, 2], True),
                             ("neg1", [-1], False), ("ax01", [0, 1], False)]:
        dims = tuple(axes) if axes is not None else tuple(range(3))
        case("sum_" + name, "Sum", lambda x, d=dims, k=keep: x.sum(dim=d, keepdim=k),
             [randn(2, 3, 4)], {"axes": axes, "keepDims": keep})
        case("mean_" + name, "Mean", lambda x, d=dims, k=keep: x.mean(dim=d, keepdim=k),
             [randn(2, 3, 4)], {"axes": axes, "keepDims": keep})

    # Embedding: repeated ids so the scatter-add matters.
    ids = [[1, 5, 1], [0, 3, 1]]
    case("embedding", "Embedding", lambda w: F.embedding(torch.tensor(ids), w), [randn(6, 4)],
         {"ids": sum(ids, []), "idsShape": [2, 3]})

    # Linear (a Dense layer as one op): x [..., K] · w [K, N] + b [N].
    # (New cases go last: the shared generator keeps earlier inputs as they were.)
    case("linear", "Linear", lambda x, w, b: x @ w + b, [randn(2, 3, 4), randn(4, 5), randn(5)])
    case("linear_nobias", "Linear", lambda x, w: x @ w, [randn(6, 4), randn(4, 3)])


if __name__ == "__main__":
    main()
