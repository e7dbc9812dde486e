package autograd

import (
	"github.com/resnorm/resnorm/internal/kernels"
	"github.com/resnorm/resnorm/tensor"
)

// Elementwise arithmetic with NumPy broadcasting, and scalar ops.
//
// Broadcasting aligns shapes at their last axis; two dimensions agree when
// equal or when one is 1 (missing leading axes count as 1). The backward
// pass sums each operand's gradient over the axes it was broadcast along,
// so a bias [C] added to [N, T, C] receives the sum over N and T.

// broadcastShapes returns the shape that a and b broadcast to, or false.
func broadcastShapes(a, b []int) ([]int, bool) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 1; i <= n; i++ {
		da, db := 1, 1
		if i <= len(a) {
			da = a[len(a)-i]
		}
		if i <= len(b) {
			db = b[len(b)-i]
		}
		switch {
		case da == db, db == 1:
			out[n-i] = da
		case da == 1:
			out[n-i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// broadcastStrides returns, for each axis of out, the stride with which an
// operand of shape s is read: its row-major stride, or 0 where s has a
// length-1 or missing axis.
func broadcastStrides(s, out []int) []int {
	st := make([]int, len(out))
	stride := 1
	for i := 1; i <= len(s); i++ {
		d := s[len(s)-i]
		if d != 1 {
			st[len(out)-i] = stride
		}
		stride *= d
	}
	return st
}

// Add returns a + b with NumPy broadcasting (e.g. a bias [C] onto [N, C]).
func (tp *Tape) Add(a, b *Var) *Var { return tp.binary("Add", kernels.OpAdd, a, b) }

// Sub returns a - b with broadcasting.
func (tp *Tape) Sub(a, b *Var) *Var { return tp.binary("Sub", kernels.OpSub, a, b) }

// Mul returns a * b elementwise with broadcasting.
func (tp *Tape) Mul(a, b *Var) *Var { return tp.binary("Mul", kernels.OpMul, a, b) }

// Div returns a / b elementwise with broadcasting.
func (tp *Tape) Div(a, b *Var) *Var { return tp.binary("Div", kernels.OpDiv, a, b) }

func (tp *Tape) binary(name string, op kernels.BinaryOp, a, b *Var) *Var {
	os, ok := broadcastShapes(a.Shape(), b.Shape())
	if !ok {
		shapePanic(name, "shapes %v and %v do not broadcast", a.Shape(), b.Shape())
	}
	sa, sb := broadcastStrides(a.Shape(), os), broadcastStrides(b.Shape(), os)
	out := tp.newVarUninit(os...) // Binary writes every element
	kernels.Binary(op, out.Value.Data, a.Value.Data, b.Value.Data, os, sa, sb)
	tp.record(name, out, []*Var{a, b}, func() {
		g := out.Grad.Data
		if op == kernels.OpAdd || op == kernels.OpSub {
			// An operand of the output's shape with no gradient yet takes a
			// copy (the residual branches, a matmul output under its bias).
			alpha := float32(1)
			if op == kernels.OpSub {
				alpha = -1
			}
			for i, v := range [2]*Var{a, b} {
				s, sign := sa, float32(1)
				if i == 1 {
					s, sign = sb, alpha
				}
				if len(v.Value.Data) == len(g) {
					if gv, fresh := gradForWrite(v); fresh {
						if sign == 1 {
							kernels.Copy(gv, g)
						} else {
							kernels.ScaleShift(gv, g, sign, 0)
						}
						continue
					}
				}
				if gv := grad(v); gv != nil {
					kernels.SumInto(gv, g, os, s, sign)
				}
			}
			return
		}
		ga, gb := grad(a), grad(b)
		switch op {
		case kernels.OpMul:
			full := len(a.Value.Data) == len(g) && len(b.Value.Data) == len(g)
			if full { // same shapes: no broadcast to undo
				if ga != nil {
					kernels.MulAcc(ga, g, b.Value.Data)
				}
				if gb != nil {
					kernels.MulAcc(gb, g, a.Value.Data)
				}
				return
			}
			so := tensor.Strides(os)
			tmp := tp.scratch(len(g)) // each Binary below overwrites it in full
			defer tp.unscratch(tmp)
			if ga != nil { // da = Σ g·b over a's broadcast axes
				kernels.Binary(kernels.OpMul, tmp, g, b.Value.Data, os, so, sb)
				kernels.SumInto(ga, tmp, os, sa, 1)
			}
			if gb != nil {
				kernels.Binary(kernels.OpMul, tmp, g, a.Value.Data, os, so, sa)
				kernels.SumInto(gb, tmp, os, sb, 1)
			}
		case kernels.OpDiv:
			// da = g/b; db = −g·a/b² = −(g/b)·out.
			so := tensor.Strides(os)
			tmp := tp.scratch(len(g)) // overwritten in full by the Binary below
			defer tp.unscratch(tmp)
			kernels.Binary(kernels.OpDiv, tmp, g, b.Value.Data, os, so, sb)
			if ga != nil {
				kernels.SumInto(ga, tmp, os, sa, 1)
			}
			if gb != nil {
				kernels.Binary(kernels.OpMul, tmp, tmp, out.Value.Data, os, so, so)
				kernels.SumInto(gb, tmp, os, sb, -1)
			}
		}
	})
	return out
}

// AddScalar returns x + s.
func (tp *Tape) AddScalar(x *Var, s float32) *Var {
	out := tp.newVarUninit(x.Shape()...)
	kernels.ScaleShift(out.Value.Data, x.Value.Data, 1, s)
	tp.record("AddScalar", out, []*Var{x}, func() {
		if gx := grad(x); gx != nil {
			kernels.Axpy(gx, 1, out.Grad.Data)
		}
	})
	return out
}

// MulScalar returns x * s.
func (tp *Tape) MulScalar(x *Var, s float32) *Var {
	out := tp.newVarUninit(x.Shape()...)
	kernels.ScaleShift(out.Value.Data, x.Value.Data, s, 0)
	tp.record("MulScalar", out, []*Var{x}, func() {
		if gx, fresh := gradForWrite(x); fresh {
			kernels.ScaleShift(gx, out.Grad.Data, s, 0)
		} else if gx != nil {
			kernels.Axpy(gx, s, out.Grad.Data)
		}
	})
	return out
}

// gradForWrite is grad for a backward pass that can overwrite: when v is an
// op output whose gradient buffer does not exist yet, it returns a new,
// uninitialised one and fresh = true, and the caller must write every
// element (saving the zeroing and a read of the buffer); otherwise it
// returns grad(v) for accumulation.
func gradForWrite(v *Var) (g []float32, fresh bool) {
	if v == nil || !v.requiresGrad {
		return nil, false
	}
	if v.Grad == nil && v.tape != nil {
		v.gr = tensor.Tensor{Shape: v.Value.Shape, Data: v.tape.allocUninit(v.Value.Numel())}
		v.Grad = &v.gr
		return v.gr.Data, true
	}
	return grad(v), false
}
