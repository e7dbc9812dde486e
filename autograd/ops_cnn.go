package autograd

import "github.com/resnorm/resnorm/tensor"

// STUB FILE: signatures fixed, bodies to be written (helper B).

// Padding selects how a window op pads its input.
type Padding int

const (
	// Valid uses no padding: windows stay inside the input.
	Valid Padding = iota
	// Same pads so that out = ceil(in/stride), TensorFlow's rule: when the
	// total padding is odd, the extra row/column goes at the bottom/right.
	Same
)

// Conv2D convolves x [N,H,W,Cin] (NHWC) with kernel w [KH,KW,Cin,Cout] (HWIO)
// and adds bias b [Cout] when b is not nil.
func (tp *Tape) Conv2D(x, w, b *Var, strides [2]int, pad Padding) *Var { panic("TODO") }

// MaxPool2D takes the maximum over pool windows of x [N,H,W,C]. With Same
// padding the padded cells never win (they count as -Inf).
func (tp *Tape) MaxPool2D(x *Var, pool, strides [2]int, pad Padding) *Var { panic("TODO") }

// GlobalAvgPool2D averages x [N,H,W,C] over H and W, giving [N,C].
func (tp *Tape) GlobalAvgPool2D(x *Var) *Var { panic("TODO") }

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
func (tp *Tape) BatchNorm(x, gamma, beta *Var, runMean, runVar *tensor.Tensor, cfg BatchNormConfig) *Var {
	panic("TODO")
}

// LayerNorm normalizes x over its last k axes per sample and applies
// gamma·x̂ + beta, with gamma and beta shaped like those k axes (either may
// be nil for no scale / no shift).
func (tp *Tape) LayerNorm(x, gamma, beta *Var, k int, eps float32) *Var { panic("TODO") }

// RMSNorm scales x by 1/sqrt(mean(x²) + eps) over its last k axes and
// multiplies by gamma (shaped like those k axes; may be nil).
func (tp *Tape) RMSNorm(x, gamma *Var, k int, eps float32) *Var { panic("TODO") }
