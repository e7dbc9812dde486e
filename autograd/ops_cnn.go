package autograd

import (
	"fmt"

	"github.com/resnorm/resnorm/internal/kernels"
)

// Window ops over NHWC images: convolution and pooling. The kernels live in
// internal/kernels (conv.go, pool.go); this file checks shapes, resolves the
// padding and records the backward pass.

// Padding selects how a window op pads its input.
type Padding int

const (
	// Valid uses no padding: windows stay inside the input.
	Valid Padding = iota
	// Same pads so that out = ceil(in/stride), TensorFlow's rule: when the
	// total padding is odd, the extra row/column goes at the bottom/right.
	Same
)

// String names the padding as Keras does.
func (p Padding) String() string {
	switch p {
	case Valid:
		return "valid"
	case Same:
		return "same"
	}
	return "Padding(?)"
}

// padOut resolves one spatial axis: output size and padding before the
// input. VALID: out = floor((in−k)/s)+1, which is < 1 when k > in. SAME
// (TensorFlow): out = ceil(in/s), total = max((out−1)·s + k − in, 0), before
// = total/2, so an odd total puts the extra cell after the input.
func padOut(in, k, s int, pad Padding) (out, before int) {
	if pad == Same {
		out = (in + s - 1) / s
		total := max((out-1)*s+k-in, 0)
		return out, total / 2
	}
	if in < k {
		return 0, 0
	}
	return (in-k)/s + 1, 0
}

// window checks a window op's geometry and resolves it; what names the
// window's own shape in errors (the conv kernel's shape, or the pool size).
// It is a function so that the message is only formatted for an error.
func window(op string, xs []int, k, strides [2]int, pad Padding, what func() string) kernels.Window {
	if len(xs) != 4 {
		shapePanic(op, "input %v is not NHWC (rank 4); %s", xs, what())
	}
	if strides[0] < 1 || strides[1] < 1 {
		shapePanic(op, "strides %v must be positive (input %v, %s)", strides, xs, what())
	}
	if k[0] < 1 || k[1] < 1 {
		shapePanic(op, "window %v must be positive (input %v, %s)", k, xs, what())
	}
	if pad != Valid && pad != Same {
		shapePanic(op, "unknown padding %d (input %v, %s)", int(pad), xs, what())
	}
	g := kernels.Window{N: xs[0], H: xs[1], W: xs[2], C: xs[3], KH: k[0], KW: k[1], SH: strides[0], SW: strides[1]}
	g.OH, g.PadTop = padOut(g.H, g.KH, g.SH, pad)
	g.OW, g.PadLeft = padOut(g.W, g.KW, g.SW, pad)
	if g.OH < 1 || g.OW < 1 {
		shapePanic(op, "%s larger than the input %v with %s padding", what(), xs, pad)
	}
	return g
}

// Conv2D convolves x [N,H,W,Cin] (NHWC) with kernel w [KH,KW,Cin,Cout] (HWIO)
// and adds bias b [Cout] when b is not nil.
func (tp *Tape) Conv2D(x, w, b *Var, strides [2]int, pad Padding) *Var {
	return tp.conv2D("Conv2D", x, w, b, strides, pad, false)
}

// Conv2DReLU is ReLU(Conv2D(x, w, b, ...)) as one op, a Keras Conv2D with
// activation "relu": the ReLU is fused into the convolution's output where
// the kernel allows (a first layer's few input channels), and its backward
// mask is applied inside the weight-gradient kernel there, so neither the
// pre-activation nor its gradient is written out.
func (tp *Tape) Conv2DReLU(x, w, b *Var, strides [2]int, pad Padding) *Var {
	return tp.conv2D("Conv2DReLU", x, w, b, strides, pad, true)
}

func (tp *Tape) conv2D(op string, x, w, b *Var, strides [2]int, pad Padding, relu bool) *Var {
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(ws) != 4 {
		shapePanic(op, "kernel %v is not HWIO (rank 4); input %v", ws, xs)
	}
	g := window(op, xs, [2]int{ws[0], ws[1]}, strides, pad, func() string { return fmt.Sprintf("kernel %v", ws) })
	if ws[2] != g.C {
		shapePanic(op, "input %v has %d channels but kernel %v expects %d", xs, g.C, ws, ws[2])
	}
	cout := ws[3]
	if b != nil && (len(b.Value.Shape) != 1 || b.Value.Shape[0] != cout) {
		shapePanic(op, "bias %v does not match kernel %v (want [%d]); input %v", b.Value.Shape, ws, cout, xs)
	}
	var bd []float32
	inputs := append(make([]*Var, 0, 3), x, w)
	if b != nil {
		bd = b.Value.Data
		inputs = append(inputs, b)
	}
	out := tp.newVarUninit(g.N, g.OH, g.OW, cout) // bias or beta = 0 GEMM sets every element
	// Keep the column matrix for the weight gradient rather than building
	// it again in the backward pass (Im2col writes all of it).
	var cols []float32
	if n := kernels.ConvColsLen(g, cout); n > 0 && tp.Recording() && w.requiresGrad {
		cols = tp.allocUninit(n)
	}
	if relu {
		kernels.Conv2DReLUForwardSave(out.Value.Data, cols, x.Value.Data, w.Value.Data, bd, g, cout)
	} else {
		kernels.Conv2DForwardSave(out.Value.Data, cols, x.Value.Data, w.Value.Data, bd, g, cout)
	}
	tp.record(op, out, inputs, func() {
		// A fresh input gradient is written, not added to, unless x is
		// also the kernel (then both gradients share one buffer).
		var dx []float32
		fresh := false
		if x == w {
			dx = grad(x)
		} else {
			dx, fresh = gradForWrite(x)
		}
		if relu {
			kernels.Conv2DReLUBackwardSaved(dx, grad(w), grad(b), out.Grad.Data, out.Value.Data, x.Value.Data, cols, w.Value.Data, g, cout, fresh)
			return
		}
		kernels.Conv2DBackwardSaved(dx, grad(w), grad(b), out.Grad.Data, x.Value.Data, cols, w.Value.Data, g, cout, fresh)
	})
	return out
}

// MaxPool2D takes the maximum over pool windows of x [N,H,W,C]. With Same
// padding the padded cells never win (they count as -Inf).
func (tp *Tape) MaxPool2D(x *Var, pool, strides [2]int, pad Padding) *Var {
	const op = "MaxPool2D"
	g := window(op, x.Value.Shape, pool, strides, pad, func() string { return fmt.Sprintf("pool %v", pool) })
	out := tp.newVarUninit(g.N, g.OH, g.OW, g.C) // every window writes its max and argmax
	arg := tp.allocInt32(out.Value.Numel())
	kernels.MaxPool2DForward(out.Value.Data, arg, x.Value.Data, g)
	tp.record(op, out, []*Var{x}, func() {
		if dx := grad(x); dx != nil {
			kernels.MaxPool2DBackward(dx, out.Grad.Data, arg, g)
		}
	})
	return out
}

// GlobalAvgPool2D averages x [N,H,W,C] over H and W, giving [N,C].
func (tp *Tape) GlobalAvgPool2D(x *Var) *Var {
	const op = "GlobalAvgPool2D"
	xs := x.Value.Shape
	if len(xs) != 4 || xs[1]*xs[2] == 0 {
		shapePanic(op, "input %v is not a non-empty NHWC tensor", xs)
	}
	n, hw, c := xs[0], xs[1]*xs[2], xs[3]
	out := tp.newVarUninit(n, c) // the kernel clears each row before summing
	kernels.GlobalAvgPoolForward(out.Value.Data, x.Value.Data, n, hw, c)
	tp.record(op, out, []*Var{x}, func() {
		if dx := grad(x); dx != nil {
			kernels.GlobalAvgPoolBackward(dx, out.Grad.Data, n, hw, c)
		}
	})
	return out
}
