package autograd

import (
	"math"

	"github.com/resnorm/resnorm/tensor"
)

// STUB FILE: signatures fixed, bodies to be written (helper A).

// NoIgnore is the ignore label to pass to SoftmaxCrossEntropy when no label
// is to be ignored.
const NoIgnore = math.MinInt

// Add returns a + b with NumPy broadcasting (e.g. a bias [C] onto [N, C]).
func (tp *Tape) Add(a, b *Var) *Var { panic("TODO") }

// Sub returns a - b with broadcasting.
func (tp *Tape) Sub(a, b *Var) *Var { panic("TODO") }

// Mul returns a * b elementwise with broadcasting.
func (tp *Tape) Mul(a, b *Var) *Var { panic("TODO") }

// Div returns a / b elementwise with broadcasting.
func (tp *Tape) Div(a, b *Var) *Var { panic("TODO") }

// AddScalar returns x + s.
func (tp *Tape) AddScalar(x *Var, s float32) *Var { panic("TODO") }

// MulScalar returns x * s.
func (tp *Tape) MulScalar(x *Var, s float32) *Var { panic("TODO") }

// ReLU returns max(x, 0).
func (tp *Tape) ReLU(x *Var) *Var { panic("TODO") }

// GELU returns the exact GELU, x·Φ(x) with Φ from erf.
func (tp *Tape) GELU(x *Var) *Var { panic("TODO") }

// GELUTanh returns the tanh approximation of GELU (BERT's original form).
func (tp *Tape) GELUTanh(x *Var) *Var { panic("TODO") }

// Sigmoid returns 1/(1+exp(-x)).
func (tp *Tape) Sigmoid(x *Var) *Var { panic("TODO") }

// Tanh returns tanh(x).
func (tp *Tape) Tanh(x *Var) *Var { panic("TODO") }

// Softmax returns the softmax over the last axis.
func (tp *Tape) Softmax(x *Var) *Var { panic("TODO") }

// LogSoftmax returns the log-softmax over the last axis.
func (tp *Tape) LogSoftmax(x *Var) *Var { panic("TODO") }

// SoftmaxCrossEntropy returns the mean over rows of -log softmax(logits)[label]
// for logits [..., C] and one label per row (len(labels) = numel/C). Rows
// whose label equals ignore contribute nothing and are not counted in the
// mean (pass NoIgnore to use every row); if every row is ignored the loss is 0.
func (tp *Tape) SoftmaxCrossEntropy(logits *Var, labels []int, ignore int) *Var { panic("TODO") }

// MatMul returns a·b; see MatMulT.
func (tp *Tape) MatMul(a, b *Var) *Var { return tp.MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), where op transposes the last two axes when
// asked. Shapes: [M,K]·[K,N]; batched [...,M,K]·[...,K,N] with equal leading
// dimensions; or [...,M,K]·[K,N] (one b shared by the whole batch, as a Dense
// layer applied to [B,T,H]).
func (tp *Tape) MatMulT(a, b *Var, transA, transB bool) *Var { panic("TODO") }

// Reshape returns x with a new shape (one dimension may be -1).
func (tp *Tape) Reshape(x *Var, shape ...int) *Var { panic("TODO") }

// Permute reorders the axes of x: output axis i is input axis axes[i].
func (tp *Tape) Permute(x *Var, axes ...int) *Var { panic("TODO") }

// Transpose swaps axes i and j (negative axes count from the end).
func (tp *Tape) Transpose(x *Var, i, j int) *Var { panic("TODO") }

// Concat joins xs along axis; all other dimensions must agree.
func (tp *Tape) Concat(axis int, xs ...*Var) *Var { panic("TODO") }

// Split cuts x along axis into pieces of the given sizes (which must sum to
// the axis length).
func (tp *Tape) Split(x *Var, axis int, sizes ...int) []*Var { panic("TODO") }

// Sum adds over the given axes (nil: all axes, giving a scalar), keeping
// them as length-1 axes when keepDims.
func (tp *Tape) Sum(x *Var, axes []int, keepDims bool) *Var { panic("TODO") }

// Mean averages over the given axes (nil: all axes).
func (tp *Tape) Mean(x *Var, axes []int, keepDims bool) *Var { panic("TODO") }

// Dropout zeroes each element with probability rate and scales survivors by
// 1/(1-rate) (inverted dropout), drawing from rng. It is the identity when
// the tape is not in training mode or rate is 0.
func (tp *Tape) Dropout(x *Var, rate float32, rng *tensor.RNG) *Var { panic("TODO") }

// Embedding gathers rows of table [V, D] for ids, returning idsShape + [D];
// its backward scatter-adds into the table's gradient. An id outside [0, V)
// panics with a ShapeError naming it.
func (tp *Tape) Embedding(table *Var, ids []int, idsShape []int) *Var { panic("TODO") }
