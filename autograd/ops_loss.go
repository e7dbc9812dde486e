package autograd

import (
	"math"

	"github.com/resnorm/resnorm/internal/kernels"
)

// Softmax, log-softmax and sparse softmax cross-entropy over the last axis.

// NoIgnore is the ignore label to pass to SoftmaxCrossEntropy when no label
// is to be ignored.
const NoIgnore = math.MinInt

// lastAxis returns the rows × c view of x over its last axis.
func lastAxis(op string, x *Var) (rows, c int) {
	s := x.Shape()
	if len(s) == 0 {
		shapePanic(op, "needs at least one axis, got a scalar of shape %v", s)
	}
	c = s[len(s)-1]
	if c == 0 {
		return 0, 0
	}
	return x.Value.Numel() / c, c
}

// Softmax returns the softmax over the last axis.
func (tp *Tape) Softmax(x *Var) *Var {
	rows, c := lastAxis("Softmax", x)
	out := tp.newVarUninit(x.Shape()...)
	kernels.SoftmaxForward(out.Value.Data, x.Value.Data, rows, c)
	tp.record("Softmax", out, []*Var{x}, func() {
		if gx := grad(x); gx != nil {
			kernels.SoftmaxBackward(gx, out.Grad.Data, out.Value.Data, rows, c)
		}
	})
	return out
}

// LogSoftmax returns the log-softmax over the last axis.
func (tp *Tape) LogSoftmax(x *Var) *Var {
	rows, c := lastAxis("LogSoftmax", x)
	out := tp.newVarUninit(x.Shape()...)
	kernels.LogSoftmaxForward(out.Value.Data, x.Value.Data, rows, c)
	tp.record("LogSoftmax", out, []*Var{x}, func() {
		if gx := grad(x); gx != nil {
			kernels.LogSoftmaxBackward(gx, out.Grad.Data, out.Value.Data, rows, c)
		}
	})
	return out
}

// SoftmaxCrossEntropy returns the mean over rows of -log softmax(logits)[label]
// for logits [..., C] and one label per row (len(labels) = numel/C). Rows
// whose label equals ignore contribute nothing and are not counted in the
// mean (pass NoIgnore to use every row); if every row is ignored the loss is 0.
// A label outside [0, C) that is not ignore panics with a ShapeError naming
// the label and its row.
func (tp *Tape) SoftmaxCrossEntropy(logits *Var, labels []int, ignore int) *Var {
	const op = "SoftmaxCrossEntropy"
	rows, c := lastAxis(op, logits)
	if c == 0 {
		shapePanic(op, "logits %v have no classes", logits.Shape())
	}
	if len(labels) != rows {
		shapePanic(op, "logits %v have %d rows but %d labels were given", logits.Shape(), rows, len(labels))
	}
	count := 0
	for r, l := range labels {
		if l == ignore {
			continue
		}
		if l < 0 || l >= c {
			shapePanic(op, "label %d at row %d is outside [0, %d) for logits %v", l, r, c, logits.Shape())
		}
		count++
	}
	labels = tp.copyInts(labels) // the caller may reuse its slice before Backward
	// Ignored rows leave their probs unwritten, and the backward pass skips
	// them; every loss is written.
	probs := tp.allocUninit(len(logits.Value.Data))
	losses := tp.allocUninit(rows)
	kernels.CrossEntropyForward(probs, losses, logits.Value.Data, labels, ignore, rows, c)
	out := tp.newVar()
	if count > 0 {
		var s float64
		for _, l := range losses { // in row order: deterministic
			s += float64(l)
		}
		out.Value.Data[0] = float32(s / float64(count))
	}
	tp.record(op, out, []*Var{logits}, func() {
		if gl := grad(logits); gl != nil && count > 0 {
			scale := out.Grad.Data[0] / float32(count)
			kernels.CrossEntropyBackward(gl, probs, labels, ignore, rows, c, scale)
		}
	})
	return out
}
