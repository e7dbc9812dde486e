// Package autograd is resnorm's reverse-mode automatic differentiation: a
// tape (define-by-run) that records each differentiable op as it runs and
// replays the records backwards from a scalar loss.
//
// Ops are coarse and fused where it pays (MatMul, Conv2D, BatchNorm,
// LayerNorm, RMSNorm, softmax cross-entropy …). Each op is a forward kernel
// and a hand-written backward kernel from internal/kernels, side by side.
//
// # Values, parameters and the tape
//
// A *Var holds a tensor value and, after Backward, its gradient. Parameters
// (NewParam) are long-lived leaves whose gradients accumulate across Backward
// calls until ZeroGrad, as in PyTorch. A Tape lives for one step:
//
//	tp := autograd.NewTape()
//	y := tp.Add(x, tp.ReLU(tp.MatMul(x, w))) // y = x + f(x)
//	loss := tp.Mean(tp.Mul(y, y), nil, false)
//	tp.Backward(loss)                      // x.Grad gets both paths' gradient
//
// NewInferenceTape returns a tape that records nothing (no gradients, no
// memory kept for backward), for evaluation and prediction.
//
// # Shape errors
//
// Inside the tape, a shape mismatch is a programmer error: the op panics with
// a *ShapeError naming the op and the shapes involved. Layers (package nn)
// check shapes when they are built and return ordinary errors; Try turns a
// ShapeError panic into an error for callers who want one.
package autograd
