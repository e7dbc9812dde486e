// Package autograd is resnorm's reverse-mode automatic differentiation: a
// tape (define-by-run) that records each differentiable op as it runs and
// replays the records backwards from a scalar loss.
//
// Ops are coarse and fused where it pays (MatMul, Linear = x·w + b, Conv2D, BatchNorm,
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
// # Memory: values are valid until Reset
//
// A tape owns the buffers of everything made on it: op outputs, the
// gradients of those outputs, and the state ops keep for their backward
// pass. Reset takes them all back for the next step, so a training loop
// that reuses one tape (Reset, forward, Backward, update; repeat) allocates
// no tensor memory once its first step has run, and an inference loop that
// resets one tape per batch likewise. The contract:
//
//   - the Value and Grad of a Var produced by an op on a tape are valid
//     until that tape's Reset; after it they hold another step's numbers.
//     Copy what you keep (a loss, predictions, activations for a plot).
//   - leaves (NewParam, Const, Input) own their tensors: a leaf's Grad is
//     allocated once and reused, and nothing of a leaf is taken back.
//   - a tape that is never Reset behaves as if buffers were ordinary
//     allocations; dropping a tape frees its pool.
//
// The pool keeps the buffers of the largest step seen; a step with smaller
// shapes (a short last batch) reuses larger buffers rather than adding its
// own.
//
// # Shape errors
//
// Inside the tape, a shape mismatch is a programmer error: the op panics with
// a *ShapeError naming the op and the shapes involved. Layers (package nn)
// check shapes when they are built and return ordinary errors; Try turns a
// ShapeError panic into an error for callers who want one.
package autograd
