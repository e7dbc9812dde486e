package autograd

import (
	"github.com/resnorm/resnorm/internal/kernels"
	"github.com/resnorm/resnorm/tensor"
)

// Pointwise activations. Each is a forward kernel and a backward kernel
// from internal/kernels; the backward reads the saved input or output.

// unary runs a pointwise op: fwd writes y from x, bwd accumulates dx from dy
// and the saved x and y.
func (tp *Tape) unary(name string, x *Var, fwd func(y, x []float32), bwd func(dx, dy, x, y []float32)) *Var {
	return tp.unarySet(name, x, fwd, bwd, nil)
}

// unarySet is unary with bwdSet, a backward kernel that writes dx rather
// than adding to it: used when x's gradient buffer is fresh, it spares
// zeroing the buffer and reading it back.
func (tp *Tape) unarySet(name string, x *Var, fwd func(y, x []float32), bwd, bwdSet func(dx, dy, x, y []float32)) *Var {
	out := tp.newVarUninit(x.Shape()...) // forward kernels write every element
	fwd(out.Value.Data, x.Value.Data)
	tp.record(name, out, []*Var{x}, func() {
		if bwdSet != nil {
			if gx, fresh := gradForWrite(x); fresh {
				bwdSet(gx, out.Grad.Data, x.Value.Data, out.Value.Data)
				return
			}
		}
		if gx := grad(x); gx != nil {
			bwd(gx, out.Grad.Data, x.Value.Data, out.Value.Data)
		}
	})
	return out
}

// ReLU returns max(x, 0).
func (tp *Tape) ReLU(x *Var) *Var {
	return tp.unarySet("ReLU", x, kernels.ReLUForward,
		func(dx, dy, x, _ []float32) { kernels.ReLUBackward(dx, dy, x) },
		func(dx, dy, x, _ []float32) { kernels.ReLUBackwardSet(dx, dy, x) })
}

// AddReLU returns ReLU(a + b) as one op, a residual block's last step:
// one pass forward, and one backward pass that writes the gradient into
// both operands. a and b must have the same shape (use ReLU(Add(a, b)) to
// broadcast). Values and gradients are bit for bit those of the two ops.
func (tp *Tape) AddReLU(a, b *Var) *Var {
	const op = "AddReLU"
	if !tensor.SameShape(a.Shape(), b.Shape()) {
		shapePanic(op, "shapes %v and %v differ (AddReLU does not broadcast)", a.Shape(), b.Shape())
	}
	out := tp.newVarUninit(a.Shape()...) // the kernel writes every element
	kernels.AddReLUForward(out.Value.Data, a.Value.Data, b.Value.Data)
	tp.record(op, out, []*Var{a, b}, func() {
		da, freshA := gradForWrite(a)
		var db []float32
		freshB := false
		if b == a {
			db = da // a + a: the second write adds to the first
		} else {
			db, freshB = gradForWrite(b)
		}
		kernels.AddReLUBackward(da, db, out.Grad.Data, out.Value.Data, freshA, freshB)
	})
	return out
}

// GELU returns the exact GELU, x·Φ(x) with Φ from erf.
func (tp *Tape) GELU(x *Var) *Var {
	return tp.unary("GELU", x, kernels.GELUForward, func(dx, dy, x, _ []float32) { kernels.GELUBackward(dx, dy, x) })
}

// GELUTanh returns the tanh approximation of GELU (BERT's original form).
func (tp *Tape) GELUTanh(x *Var) *Var {
	return tp.unary("GELUTanh", x, kernels.GELUTanhForward, func(dx, dy, x, _ []float32) { kernels.GELUTanhBackward(dx, dy, x) })
}

// Sigmoid returns 1/(1+exp(-x)).
func (tp *Tape) Sigmoid(x *Var) *Var {
	return tp.unary("Sigmoid", x, kernels.SigmoidForward, func(dx, dy, _, y []float32) { kernels.SigmoidBackward(dx, dy, y) })
}

// Tanh returns tanh(x).
func (tp *Tape) Tanh(x *Var) *Var {
	return tp.unary("Tanh", x, kernels.TanhForward, func(dx, dy, _, y []float32) { kernels.TanhBackward(dx, dy, y) })
}
