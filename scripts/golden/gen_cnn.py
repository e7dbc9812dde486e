"""Golden values for the CNN ops (autograd/ops_cnn.go, autograd/ops_norm.go).

Run from anywhere with Debian's python3-torch:  /usr/bin/python3 scripts/golden/gen_cnn.py
Writes autograd/testdata/golden/{conv2d_*,maxpool2d_*,gap2d,batchnorm_*,layernorm_*,rmsnorm}.json.

resnorm is NHWC with HWIO kernels; PyTorch is NCHW with OIHW, so inputs are
permuted on the way in and results on the way out. References are computed
in float64 from float32 inputs. Each case's gradients are those of
L = sum(out * dy) for a random dy stored alongside.
"""
import math

import torch
import torch.nn.functional as F

from common import save, seeded

torch.set_grad_enabled(True)
G = seeded(1234)


def randn(*shape):
    return torch.randn(*shape, generator=G, dtype=torch.float32)


def leaf(t):
    return t.to(torch.float64).requires_grad_(True)


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def same_pad(size, k, s):
    """TensorFlow SAME: (before, after) padding of one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv_case(name, x, w, b, strides, padding):
    xd, wd = leaf(x), leaf(w)
    bd = leaf(b) if b is not None else None
    xt = nchw(xd)
    if padding == "same":
        pt, pb = same_pad(x.shape[1], w.shape[0], strides[0])
        pl, pr = same_pad(x.shape[2], w.shape[1], strides[1])
        xt = F.pad(xt, (pl, pr, pt, pb))
    y = nhwc(F.conv2d(xt, wd.permute(3, 2, 0, 1), bd, stride=tuple(strides)))
    dy = randn(*y.shape)
    (y * dy.to(torch.float64)).sum().backward()
    t = {"x": x, "w": w, "y": y, "dy": dy, "dx": xd.grad, "dw": wd.grad}
    if b is not None:
        t["b"], t["db"] = b, bd.grad
    save(name, t, {"strides": strides, "padding": padding})


def maxpool_case(name, x, pool, strides, padding):
    xd = leaf(x)
    xt = nchw(xd)
    if padding == "same":
        pt, pb = same_pad(x.shape[1], pool[0], strides[0])
        pl, pr = same_pad(x.shape[2], pool[1], strides[1])
        xt = F.pad(xt, (pl, pr, pt, pb), value=-math.inf)  # padded cells never win
    y = nhwc(F.max_pool2d(xt, tuple(pool), tuple(strides)))
    dy = randn(*y.shape)
    (y * dy.to(torch.float64)).sum().backward()
    save(name, {"x": x, "y": y, "dy": dy, "dx": xd.grad}, {"pool": pool, "strides": strides, "padding": padding})


def gap_case(name, x):
    xd = leaf(x)
    y = xd.mean(dim=(1, 2))
    dy = randn(*y.shape)
    (y * dy.to(torch.float64)).sum().backward()
    save(name, {"x": x, "y": y, "dy": dy, "dx": xd.grad})


def batchnorm_case(name, convention, steps, x_inf, gamma, beta):
    """3 training steps then inference, NHWC inputs [N,H,W,C].

    keras: momentum 0.99, eps 1e-3, biased variance in the moving update,
    written out by hand. torch: nn.BatchNorm2d(C) with its defaults
    (momentum 0.1, eps 1e-5, unbiased running_var), fed NCHW.
    """
    C = gamma.shape[0]
    t = {"gamma": gamma, "beta": beta, "x_inf": x_inf}
    if convention == "torch":
        bn = torch.nn.BatchNorm2d(C).double()
        with torch.no_grad():
            bn.weight.copy_(gamma.double())
            bn.bias.copy_(beta.double())
        bn.train()
    else:
        mom, eps = 0.99, 1e-3
        rm = torch.zeros(C, dtype=torch.float64)
        rv = torch.ones(C, dtype=torch.float64)
    for i, x in enumerate(steps):
        xd = leaf(x)
        if convention == "torch":
            bn.zero_grad()
            y = nhwc(bn(nchw(xd)))
            gd, bd = bn.weight, bn.bias
        else:
            gd, bd = leaf(gamma), leaf(beta)
            mean = xd.mean(dim=(0, 1, 2))
            var = ((xd - mean) ** 2).mean(dim=(0, 1, 2))
            y = (xd - mean) / torch.sqrt(var + eps) * gd + bd
            with torch.no_grad():
                rm = rm * mom + mean * (1 - mom)
                rv = rv * mom + var * (1 - mom)
        dy = randn(*y.shape)
        (y * dy.to(torch.float64)).sum().backward()
        t[f"x{i}"], t[f"y{i}"], t[f"dy{i}"] = x, y, dy
        t[f"dx{i}"], t[f"dgamma{i}"], t[f"dbeta{i}"] = xd.grad, gd.grad.clone(), bd.grad.clone()  # torch reuses .grad
        if convention == "torch":
            t[f"run_mean{i}"], t[f"run_var{i}"] = bn.running_mean.clone(), bn.running_var.clone()  # updated in place
        else:
            t[f"run_mean{i}"], t[f"run_var{i}"] = rm, rv
    with torch.no_grad():
        xi = x_inf.double()
        if convention == "torch":
            bn.eval()
            y = nhwc(bn(nchw(xi)))
        else:
            y = (xi - rm) / torch.sqrt(rv + eps) * gamma.double() + beta.double()
    t["y_inf"] = y
    save(name, t, {"convention": convention, "steps": len(steps)})


def layernorm_case(name, x, k, eps):
    shape = x.shape[-k:]
    gamma, beta = 1 + 0.5 * randn(*shape), 0.5 * randn(*shape)
    xd, gd, bd = leaf(x), leaf(gamma), leaf(beta)
    y = F.layer_norm(xd, shape, gd, bd, eps)
    dy = randn(*y.shape)
    (y * dy.to(torch.float64)).sum().backward()
    save(name, {"x": x, "gamma": gamma, "beta": beta, "y": y, "dy": dy,
                "dx": xd.grad, "dgamma": gd.grad, "dbeta": bd.grad}, {"k": k, "eps": eps})


def rmsnorm_case(name, x, k, eps):
    shape = x.shape[-k:]
    gamma = 1 + 0.5 * randn(*shape)
    xd, gd = leaf(x), leaf(gamma)
    dims = tuple(range(x.dim() - k, x.dim()))
    y = xd * torch.rsqrt((xd * xd).mean(dim=dims, keepdim=True) + eps) * gd
    dy = randn(*y.shape)
    (y * dy.to(torch.float64)).sum().backward()
    save(name, {"x": x, "gamma": gamma, "y": y, "dy": dy, "dx": xd.grad, "dgamma": gd.grad},
         {"k": k, "eps": eps})


def main():
    # SAME, stride 2, even input: total padding 1 -> the extra row/col at the bottom/right.
    conv_case("conv2d_same_s2_even", randn(2, 6, 6, 3), 0.3 * randn(3, 3, 3, 4), randn(4), [2, 2], "same")
    # SAME with a 4x4 kernel on an odd input, stride 1: total 3 -> 1 before, 2 after.
    conv_case("conv2d_same_k4", randn(1, 5, 7, 2), 0.3 * randn(4, 4, 2, 3), randn(3), [1, 1], "same")
    conv_case("conv2d_valid", randn(2, 7, 6, 3), 0.3 * randn(3, 2, 3, 5), None, [1, 2], "valid")
    maxpool_case("maxpool2d_valid", randn(2, 7, 7, 3), [3, 3], [2, 2], "valid")
    maxpool_case("maxpool2d_same", randn(2, 5, 6, 2), [2, 3], [2, 2], "same")
    gap_case("gap2d", randn(2, 3, 4, 5))
    C = 5
    gamma, beta = 1 + 0.5 * randn(C), 0.5 * randn(C)
    for conv in ("keras", "torch"):
        steps = [2 + 1.5 * randn(4, 3, 3, C) for _ in range(3)]
        batchnorm_case("batchnorm_" + conv, conv, steps, randn(2, 3, 3, C), gamma, beta)
    layernorm_case("layernorm_k1", randn(3, 4, 6), 1, 1e-5)
    layernorm_case("layernorm_k2", randn(2, 3, 4, 5), 2, 1e-5)
    rmsnorm_case("rmsnorm", randn(3, 4, 6), 1, 1e-6)


if __name__ == "__main__":
    main()
