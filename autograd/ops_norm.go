package autograd

import (
	"math"

	"github.com/resnorm/resnorm/internal/kernels"
	"github.com/resnorm/resnorm/tensor"
)

// Normalization ops: batch norm (per channel, over every other axis), layer
// norm and RMS norm (per sample, over the last k axes). Each is one fused
// forward kernel saving mean/rstd and one fused backward kernel
// (internal/kernels/norm.go).

// BatchNormConfig holds batch normalization's constants, in Keras's meaning.
type BatchNormConfig struct {
	// Momentum: moving = moving*Momentum + batch*(1-Momentum).
	Momentum float32
	// Epsilon is added to the variance before the square root.
	Epsilon float32
	// UnbiasedRunningVar makes the running-variance update use the unbiased
	// batch variance (n/(n-1) times the biased one), as PyTorch does;
	// normalization itself always uses the biased variance.
	UnbiasedRunningVar bool
}

// KerasBatchNorm is Keras's BatchNormalization default: momentum 0.99,
// epsilon 1e-3, biased variance in the moving-variance update.
func KerasBatchNorm() BatchNormConfig { return BatchNormConfig{Momentum: 0.99, Epsilon: 1e-3} }

// TorchBatchNorm reproduces PyTorch's BatchNorm defaults with this op:
// PyTorch's momentum 0.1 weighs the NEW batch statistic, so it is Momentum
// 0.9 here; epsilon 1e-5; running_var updated with the unbiased variance.
func TorchBatchNorm() BatchNormConfig {
	return BatchNormConfig{Momentum: 0.9, Epsilon: 1e-5, UnbiasedRunningVar: true}
}

// BatchNorm normalizes x over every axis but the last (per channel; NHWC or
// [N,C]) and applies gamma·x̂ + beta (gamma, beta [C]; either may be nil).
// In training mode (tp.Training) it uses the batch statistics and updates
// runMean and runVar in place; otherwise it uses runMean and runVar.
//
// In training, x̂ = (x − μ)/sqrt(σ² + ε) with the batch mean μ and the biased
// batch variance σ² over the n = numel/C values of each channel, and
//
//	runMean = runMean·Momentum + μ·(1 − Momentum)
//	runVar  = runVar·Momentum  + v·(1 − Momentum)
//
// where v = σ², or n/(n−1)·σ² with UnbiasedRunningVar. This is Keras's
// rule; PyTorch's nn.BatchNorm2d(momentum=m, eps=e) is the same op with
// Momentum = 1 − m, Epsilon = e and UnbiasedRunningVar (TorchBatchNorm),
// given x permuted from NCHW to NHWC. The backward pass differentiates
// through the batch statistics in training and treats the running
// statistics as constants otherwise. runMean and runVar ([C]) are state,
// not Vars: they receive no gradient.
func (tp *Tape) BatchNorm(x, gamma, beta *Var, runMean, runVar *tensor.Tensor, cfg BatchNormConfig) *Var {
	return tp.batchNorm("BatchNorm", x, gamma, beta, runMean, runVar, cfg, false)
}

// BatchNormReLU is ReLU(BatchNorm(x, ...)) as one op, the conv → BN → ReLU
// step of a residual block: one pass forward and the backward kernels read
// the mask from the output, so the batch norm's output and the gradient at
// it are never written out. Values, gradients and running statistics are
// bit for bit those of the two ops.
func (tp *Tape) BatchNormReLU(x, gamma, beta *Var, runMean, runVar *tensor.Tensor, cfg BatchNormConfig) *Var {
	return tp.batchNorm("BatchNormReLU", x, gamma, beta, runMean, runVar, cfg, true)
}

func (tp *Tape) batchNorm(op string, x, gamma, beta *Var, runMean, runVar *tensor.Tensor, cfg BatchNormConfig, relu bool) *Var {
	xs := x.Value.Shape
	if len(xs) < 2 || x.Value.Numel() == 0 {
		shapePanic(op, "input %v must have rank >= 2 (channels last) and no empty axis", xs)
	}
	C := xs[len(xs)-1]
	M := x.Value.Numel() / C
	check := func(what string, s []int) {
		if len(s) != 1 || s[0] != C {
			shapePanic(op, "%s %v does not match input %v (want [%d])", what, s, xs, C)
		}
	}
	var gd, bd []float32
	inputs := append(make([]*Var, 0, 3), x)
	if gamma != nil {
		check("gamma", gamma.Value.Shape)
		gd = gamma.Value.Data
		inputs = append(inputs, gamma)
	}
	if beta != nil {
		check("beta", beta.Value.Shape)
		bd = beta.Value.Data
		inputs = append(inputs, beta)
	}
	if runMean == nil || runVar == nil {
		shapePanic(op, "running mean/variance missing for input %v (want two [%d] tensors)", xs, C)
	}
	check("running mean", runMean.Shape)
	check("running variance", runVar.Shape)

	mean, rstd := tp.alloc(C), tp.alloc(C)
	training := tp.Training
	eps := float64(cfg.Epsilon)
	if training {
		if M < 2 && cfg.UnbiasedRunningVar {
			shapePanic(op, "input %v has one value per channel; the unbiased running variance needs more", xs)
		}
		variance := tp.alloc(C)
		kernels.BatchNormStats(mean, variance, x.Value.Data, M, C)
		mom := cfg.Momentum
		unbias := float32(1)
		if cfg.UnbiasedRunningVar {
			unbias = float32(M) / float32(M-1)
		}
		for c := range C {
			rstd[c] = float32(1 / math.Sqrt(float64(variance[c])+eps))
			runMean.Data[c] = runMean.Data[c]*mom + mean[c]*(1-mom)
			runVar.Data[c] = runVar.Data[c]*mom + variance[c]*unbias*(1-mom)
		}
	} else {
		copy(mean, runMean.Data) // copies: later updates must not change this pass's backward
		for c := range C {
			rstd[c] = float32(1 / math.Sqrt(float64(runVar.Data[c])+eps))
		}
	}
	out := tp.newVarUninit(xs...) // the forward kernels write y in full
	if relu {
		kernels.BatchNormReLUForward(out.Value.Data, x.Value.Data, mean, rstd, gd, bd, M, C)
	} else {
		kernels.BatchNormForward(out.Value.Data, x.Value.Data, mean, rstd, gd, bd, M, C)
	}
	tp.record(op, out, inputs, func() {
		// x (rank >= 2) cannot be gamma or beta (rank 1), so a fresh dx
		// buffer is written whole by the kernel.
		dx, fresh := gradForWrite(x)
		if relu {
			kernels.BatchNormReLUBackward(dx, grad(gamma), grad(beta), out.Grad.Data, out.Value.Data, x.Value.Data, mean, rstd, gd, M, C, training, fresh)
			return
		}
		kernels.BatchNormBackward(dx, grad(gamma), grad(beta), out.Grad.Data, x.Value.Data, mean, rstd, gd, M, C, training, fresh)
	})
	return out
}

// normRows checks a per-sample norm's k and parameter shapes and returns
// rows R and row length D of x viewed as [R, D].
func normRows(op string, x *Var, k int, params ...*Var) (R, D int) {
	xs := x.Value.Shape
	if k < 1 || k > len(xs) {
		shapePanic(op, "k = %d axes out of range for input %v (want 1..%d)", k, xs, len(xs))
	}
	tail := xs[len(xs)-k:]
	D = tensor.Numel(tail)
	for i, p := range params {
		if p != nil && !tensor.SameShape(p.Value.Shape, tail) {
			name := [...]string{"gamma", "beta"}[i]
			shapePanic(op, "%s %v does not match the last %d axes %v of input %v", name, p.Value.Shape, k, tail, xs)
		}
	}
	if D == 0 {
		return 0, 0
	}
	return x.Value.Numel() / D, D
}

// valuesOf returns v's values, nil for a nil Var.
func valuesOf(v *Var) []float32 {
	if v == nil {
		return nil
	}
	return v.Value.Data
}

// presentVars returns the non-nil Vars among vs.
func presentVars(vs ...*Var) []*Var {
	out := vs[:0:0]
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// LayerNorm normalizes x over its last k axes per sample and applies
// gamma·x̂ + beta, with gamma and beta shaped like those k axes (either may
// be nil for no scale / no shift).
//
// x̂ = (x − mean)/sqrt(var + eps) with the biased variance, as in PyTorch's
// F.layer_norm(x, x.shape[-k:], gamma, beta, eps).
func (tp *Tape) LayerNorm(x, gamma, beta *Var, k int, eps float32) *Var {
	const op = "LayerNorm"
	R, D := normRows(op, x, k, gamma, beta)
	out := tp.newVarUninit(x.Value.Shape...)
	mean, rstd := tp.alloc(R), tp.alloc(R)
	kernels.LayerNormForward(out.Value.Data, mean, rstd, x.Value.Data, valuesOf(gamma), valuesOf(beta), R, D, eps)
	tp.record(op, out, presentVars(x, gamma, beta), func() {
		// x cannot share a buffer with gamma or beta (the kernel reads
		// gamma while it writes dx) unless x is one of them: then add.
		dx, fresh := gradForWrite(x)
		if x == gamma || x == beta {
			dx, fresh = grad(x), false
		}
		kernels.LayerNormBackward(dx, grad(gamma), grad(beta), out.Grad.Data, x.Value.Data, mean, rstd, valuesOf(gamma), R, D, fresh)
	})
	return out
}

// RMSNorm scales x by 1/sqrt(mean(x²) + eps) over its last k axes and
// multiplies by gamma (shaped like those k axes; may be nil).
func (tp *Tape) RMSNorm(x, gamma *Var, k int, eps float32) *Var {
	const op = "RMSNorm"
	R, D := normRows(op, x, k, gamma)
	out := tp.newVarUninit(x.Value.Shape...)
	rstd := tp.alloc(R)
	kernels.RMSNormForward(out.Value.Data, rstd, x.Value.Data, valuesOf(gamma), R, D, eps)
	tp.record(op, out, presentVars(x, gamma), func() {
		dx, fresh := gradForWrite(x)
		if x == gamma {
			dx, fresh = grad(x), false
		}
		kernels.RMSNormBackward(dx, grad(gamma), out.Grad.Data, x.Value.Data, rstd, valuesOf(gamma), R, D, fresh)
	})
	return out
}
