"""Golden values for the source document's CNN (models.SeedCNN) on a batch of 4.

Run from anywhere with Debian's python3-torch:  /usr/bin/python3 scripts/golden/gen_seedcnn.py
Writes models/testdata/golden/seedcnn.json.

The network is rebuilt here in PyTorch, layer for layer, with Keras's
conventions: NHWC images and HWIO kernels in the file (permuted to NCHW /
OIHW for torch), TensorFlow 'same' padding (the extra row/column at the
bottom/right, done with an explicit F.pad), Flatten in NHWC order, and
BatchNorm in training mode with Keras's epsilon 1e-3 and momentum 0.99 and
the biased batch variance in the moving-variance update.

Weights and inputs are not random draws stored in the file (115k values
would make it megabytes): every value comes from an integer hash that the Go
test computes identically (see formula()), so the file holds only each
tensor's name, salt, scale and offset. The reference runs in float64.

Stored: training-mode logits and probabilities; the mean sparse
cross-entropy over the logits (as resnorm's training computes it); every
parameter's gradient (whole for tensors up to 1,000 values, otherwise every
37th value plus the sum, the sum of squares and a hash-weighted sum of all
values); the moving statistics after the step; and inference-mode
probabilities with the updated moving statistics.
"""
import torch
import torch.nn.functional as F

from common import save

torch.set_grad_enabled(True)
D = torch.float64


def formula(shape, salt, scale, offset):
    """offset + scale*u with u in [-1, 1] from an integer hash of the index.

    The Go test computes the same: h = ((i+1)*2654435761 + salt*40503) mod 2^32,
    u = (((h >> 8) mod 2001) - 1000) / 1000, value = float32(offset + scale*u).
    """
    n = 1
    for d in shape:
        n *= d
    vals = []
    for i in range(n):
        h = ((i + 1) * 2654435761 + salt * 40503) & 0xFFFFFFFF
        u = (((h >> 8) % 2001) - 1000) / 1000.0
        vals.append(offset + scale * u)
    return torch.tensor(vals, dtype=torch.float32).reshape(shape)


def glorot(shape):
    if len(shape) == 2:
        fi, fo = shape
    else:
        r = shape[0] * shape[1]
        fi, fo = r * shape[2], r * shape[3]
    return (6.0 / (fi + fo)) ** 0.5


SPECS = []  # (name, shape, scale, offset)


def conv(name, k, cin, cout, bias=True):
    SPECS.append((name + "/kernel", [k, k, cin, cout], glorot([k, k, cin, cout]), 0.0))
    if bias:
        SPECS.append((name + "/bias", [cout], 0.1, 0.0))


def bn(name, c):
    SPECS.append((name + "/gamma", [c], 0.2, 1.0))
    SPECS.append((name + "/beta", [c], 0.1, 0.0))
    SPECS.append((name + "/moving_mean", [c], 0.1, 0.0))
    SPECS.append((name + "/moving_variance", [c], 0.3, 1.0))


conv("conv2d", 3, 1, 64)
bn("batch_normalization", 64)
for blk in ("seed_block", "seed_block_1"):
    conv(blk + "/conv", 3, 64, 64)
    bn(blk + "/bn", 64)
    conv(blk + "/shortcut_conv", 1, 64, 64, bias=False)
    bn(blk + "/shortcut_bn", 64)
SPECS.append(("dense/kernel", [3136, 10], glorot([3136, 10]), 0.0))
SPECS.append(("dense/bias", [10], 0.1, 0.0))

X_SALT, X_SHAPE = 1000, [4, 28, 28, 1]
LABELS = [3, 7, 0, 9]

W = {}
for salt, (name, shape, scale, offset) in enumerate(SPECS):
    t = formula(shape, salt, scale, offset).to(D)
    W[name] = t.requires_grad_(not name.endswith(("moving_mean", "moving_variance")))
x = formula(X_SHAPE, X_SALT, 1.0, 0.0).to(D)


def same_pad(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, name, stride, bias=True):
    """x NCHW; kernel HWIO from W; TF 'same' padding."""
    w = W[name + "/kernel"]
    k = w.shape[0]
    ph = same_pad(x.shape[2], k, stride)
    pw = same_pad(x.shape[3], k, stride)
    x = F.pad(x, (pw[0], pw[1], ph[0], ph[1]))
    b = W[name + "/bias"] if bias else None
    return F.conv2d(x, w.permute(3, 2, 0, 1), b, stride=stride)


MOVING = {}


def batchnorm(x, name, training):
    """Keras BatchNormalization on NCHW: biased batch variance, eps 1e-3,
    moving = moving*0.99 + batch*0.01."""
    g, b = W[name + "/gamma"], W[name + "/beta"]
    if training:
        mean = x.mean(dim=(0, 2, 3))
        var = ((x - mean[None, :, None, None]) ** 2).mean(dim=(0, 2, 3))
        MOVING[name + "/moving_mean"] = W[name + "/moving_mean"] * 0.99 + mean.detach() * 0.01
        MOVING[name + "/moving_variance"] = W[name + "/moving_variance"] * 0.99 + var.detach() * 0.01
    else:
        mean, var = MOVING[name + "/moving_mean"], MOVING[name + "/moving_variance"]
    xh = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + 1e-3)
    return xh * g[None, :, None, None] + b[None, :, None, None]


def block(x, name, stride, training):
    m = F.relu(batchnorm(conv2d(x, name + "/conv", stride), name + "/bn", training))
    s = batchnorm(conv2d(x, name + "/shortcut_conv", stride, bias=False), name + "/shortcut_bn", training)
    return F.relu(m + s)


def logits(x, training):
    h = x.permute(0, 3, 1, 2)  # Reshape((28,28,1)) is the identity on NHWC input
    h = F.relu(conv2d(h, "conv2d", 2))
    h = batchnorm(h, "batch_normalization", training)
    h = block(h, "seed_block", 2, training)
    h = block(h, "seed_block_1", 1, training)
    h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)  # Flatten in NHWC order
    return h @ W["dense/kernel"] + W["dense/bias"]


z = logits(x, True)
probs = torch.softmax(z, dim=-1)
loss = F.cross_entropy(z, torch.tensor(LABELS))
loss.backward()
with torch.no_grad():
    infer_probs = torch.softmax(logits(x, False), dim=-1)

tensors = {"logits": z, "probs": probs, "loss": loss.reshape(()), "infer_probs": infer_probs}
grad_stats = {}
for salt, (name, shape, scale, offset) in enumerate(SPECS):
    if name in MOVING:
        tensors["after/" + name] = MOVING[name]
        continue
    g = W[name].grad
    if g.numel() <= 1000:
        tensors["grad/" + name] = g
    else:
        flat = g.reshape(-1)
        tensors["grad_sample/" + name] = flat[::37]
        proj = formula([flat.numel()], 5000 + salt, 1.0, 0.0).to(D)
        grad_stats[name] = {
            "sum": float(flat.sum()),
            "sumsq": float((flat * flat).sum()),
            "proj": float((flat * proj).sum()),
            "proj_salt": 5000 + salt,
        }

save(
    "seedcnn",
    tensors,
    attrs={
        "weights": [
            {"name": n, "shape": s, "salt": i, "scale": sc, "offset": o}
            for i, (n, s, sc, o) in enumerate(SPECS)
        ],
        "x": {"shape": X_SHAPE, "salt": X_SALT, "scale": 1.0, "offset": 0.0},
        "labels": LABELS,
        "grad_stats": grad_stats,
        "sample_stride": 37,
    },
    outdir="models/testdata/golden",
)
