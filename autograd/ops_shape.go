package autograd

import (
	"github.com/resnorm/resnorm/internal/kernels"
	"github.com/resnorm/resnorm/tensor"
)

// Shape ops: reshape (a free view), permute / transpose (a copy), and concat
// / split along one axis (block copies).

// Reshape returns x with a new shape (one dimension may be -1). The result
// shares x's data; its gradient is added back unchanged.
func (tp *Tape) Reshape(x *Var, shape ...int) *Var {
	t, err := x.Value.Reshape(shape...)
	if err != nil {
		shapePanic("Reshape", "cannot reshape %v to %v", x.Shape(), shape)
	}
	out := &Var{Value: t, tape: tp} // shares x's buffer; its gradient is the tape's
	tp.record("Reshape", out, []*Var{x}, func() {
		if gx, fresh := gradForWrite(x); fresh {
			kernels.Copy(gx, out.Grad.Data) // (the buffers stay apart: see TestResetTakesSharedBuffersOnce)
		} else if gx != nil {
			kernels.Axpy(gx, 1, out.Grad.Data)
		}
	})
	return out
}

// Permute reorders the axes of x: output axis i is input axis axes[i]
// (negative axes count from the end).
func (tp *Tape) Permute(x *Var, axes ...int) *Var {
	s := x.Shape()
	if len(axes) != len(s) {
		shapePanic("Permute", "axes %v do not permute the %d axes of %v", axes, len(s), s)
	}
	perm := make([]int, len(axes))
	seen := make([]bool, len(axes))
	for i, a := range axes {
		p, err := tensor.NormalizeAxis(a, len(s))
		if err != nil || seen[p] {
			shapePanic("Permute", "axes %v are not a permutation of the axes of %v", axes, s)
		}
		seen[p] = true
		perm[i] = p
	}
	shape := append([]int(nil), s...)
	outShape := make([]int, len(perm))
	for i, p := range perm {
		outShape[i] = shape[p]
	}
	out := tp.newVarUninit(outShape...) // a permutation writes every element
	kernels.Permute(out.Value.Data, x.Value.Data, shape, perm)
	tp.record("Permute", out, []*Var{x}, func() {
		if gx, fresh := gradForWrite(x); fresh {
			kernels.PermuteInverse(gx, out.Grad.Data, shape, perm)
		} else if gx != nil {
			kernels.PermuteBackward(gx, out.Grad.Data, shape, perm)
		}
	})
	return out
}

// Transpose swaps axes i and j (negative axes count from the end).
func (tp *Tape) Transpose(x *Var, i, j int) *Var {
	s := x.Shape()
	pi, err1 := tensor.NormalizeAxis(i, len(s))
	pj, err2 := tensor.NormalizeAxis(j, len(s))
	if err1 != nil || err2 != nil {
		shapePanic("Transpose", "axes %d and %d out of range for %v", i, j, s)
	}
	perm := make([]int, len(s))
	for k := range perm {
		perm[k] = k
	}
	perm[pi], perm[pj] = pj, pi
	return tp.Permute(x, perm...)
}

// axisView returns the [outer, len, inner] view of shape around axis.
func axisView(shape []int, axis int) (outer, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, inner
}

// Concat joins xs along axis (negative counts from the end); all other
// dimensions must agree.
func (tp *Tape) Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		shapePanic("Concat", "nothing to concatenate")
	}
	shapes := make([][]int, len(xs))
	for i, x := range xs {
		shapes[i] = x.Shape()
	}
	s0 := shapes[0]
	ax, err := tensor.NormalizeAxis(axis, len(s0))
	if err != nil {
		shapePanic("Concat", "axis %d out of range for shapes %v", axis, shapes)
	}
	total := 0
	for _, s := range shapes {
		if len(s) != len(s0) {
			shapePanic("Concat", "ranks differ among shapes %v", shapes)
		}
		for k := range s {
			if k != ax && s[k] != s0[k] {
				shapePanic("Concat", "shapes %v differ off axis %d", shapes, axis)
			}
		}
		total += s[ax]
	}
	outShape := append([]int(nil), s0...)
	outShape[ax] = total
	out := tp.newVarUninit(outShape...) // the slabs tile the output
	outer, inner := axisView(s0, ax)
	off := 0
	offs := make([]int, len(xs))
	for i, x := range xs {
		offs[i] = off
		kernels.PlaceSlab(out.Value.Data, x.Value.Data, outer, total, off, shapes[i][ax], inner, false)
		off += shapes[i][ax]
	}
	tp.record("Concat", out, xs, func() {
		for i, x := range xs {
			if gx := grad(x); gx != nil {
				kernels.TakeSlab(gx, out.Grad.Data, outer, total, offs[i], shapes[i][ax], inner, true)
			}
		}
	})
	return out
}

// Split cuts x along axis (negative counts from the end) into pieces of the
// given sizes, which must sum to the axis length.
func (tp *Tape) Split(x *Var, axis int, sizes ...int) []*Var {
	s := x.Shape()
	ax, err := tensor.NormalizeAxis(axis, len(s))
	if err != nil {
		shapePanic("Split", "axis %d out of range for %v", axis, s)
	}
	sum := 0
	for _, n := range sizes {
		if n < 0 {
			shapePanic("Split", "negative size in %v for %v", sizes, s)
		}
		sum += n
	}
	if sum != s[ax] {
		shapePanic("Split", "sizes %v sum to %d, but axis %d of %v has length %d", sizes, sum, axis, s, s[ax])
	}
	outer, inner := axisView(s, ax)
	total := s[ax]
	outs := make([]*Var, len(sizes))
	off := 0
	for i, n := range sizes {
		shape := append([]int(nil), s...)
		shape[ax] = n
		out := tp.newVarUninit(shape...)
		kernels.TakeSlab(out.Value.Data, x.Value.Data, outer, total, off, n, inner, false)
		o := off
		tp.record("Split", out, []*Var{x}, func() {
			if gx := grad(x); gx != nil {
				kernels.PlaceSlab(gx, out.Grad.Data, outer, total, o, n, inner, true)
			}
		})
		outs[i] = out
		off += n
	}
	return outs
}
