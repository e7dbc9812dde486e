package autograd

import (
	"slices"

	"github.com/resnorm/resnorm/internal/kernels"
	"github.com/resnorm/resnorm/tensor"
)

// Sum and Mean over axes. Forward sums into the reduced shape with the
// reduced axes' strides set to 0; backward broadcasts the gradient back.

// Sum adds over the given axes (nil: all axes, giving a scalar), keeping
// them as length-1 axes when keepDims. Negative axes count from the end.
func (tp *Tape) Sum(x *Var, axes []int, keepDims bool) *Var {
	return tp.reduce("Sum", x, axes, keepDims, false)
}

// Mean averages over the given axes (nil: all axes).
func (tp *Tape) Mean(x *Var, axes []int, keepDims bool) *Var {
	return tp.reduce("Mean", x, axes, keepDims, true)
}

func (tp *Tape) reduce(op string, x *Var, axes []int, keepDims, mean bool) *Var {
	s := x.Shape()
	red := make([]bool, len(s))
	if axes == nil {
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		p, err := tensor.NormalizeAxis(a, len(s))
		if err != nil || red[p] {
			shapePanic(op, "axes %v invalid for shape %v (out of range or repeated)", axes, s)
		}
		red[p] = true
	}
	// Strides into the kept shape, 0 on reduced axes.
	st := make([]int, len(s))
	var outShape []int
	count, stride := 1, 1
	for i := len(s) - 1; i >= 0; i-- {
		if red[i] {
			count *= s[i]
			continue
		}
		st[i] = stride
		stride *= s[i]
	}
	for i, d := range s {
		switch {
		case !red[i]:
			outShape = append(outShape, d)
		case keepDims:
			outShape = append(outShape, 1)
		}
	}
	if outShape == nil {
		outShape = []int{}
	}
	alpha := float32(1)
	if mean {
		alpha = 1 / float32(count)
	}
	shape := slices.Clone(s)
	out := tp.newVar(outShape...) // zeroed: SumInto adds into it
	kernels.SumInto(out.Value.Data, x.Value.Data, shape, st, alpha)
	tp.record(op, out, []*Var{x}, func() {
		if gx := grad(x); gx != nil {
			// gx += alpha·broadcast(g): a broadcast add onto itself.
			g := out.Grad.Data
			if alpha != 1 {
				g = tp.scratch(len(g)) // ScaleShift overwrites it
				defer tp.unscratch(g)
				kernels.ScaleShift(g, out.Grad.Data, alpha, 0)
			}
			kernels.Binary(kernels.OpAdd, gx, gx, g, shape, tensor.Strides(shape), st)
		}
	})
	return out
}
