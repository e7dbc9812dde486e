package autograd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

func randT(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandNormal(tensor.NewRNG(seed), 0, 1, shape...)
}

// distinctT holds a shuffled ramp with steps of 0.05, so max-pool's argmax
// cannot change under the gradient check's ±1e-3 steps.
func distinctT(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i, p := range tensor.NewRNG(seed).Perm(t.Numel()) {
		t.Data[i] = float32(p)*0.05 - 1
	}
	return t
}

func TestConv2DGradCheck(t *testing.T) {
	cases := []struct {
		name    string
		x, w    []int
		strides [2]int
		pad     Padding
		bias    bool
	}{
		{"valid s1 odd", []int{2, 5, 5, 2}, []int{3, 3, 2, 3}, [2]int{1, 1}, Valid, true},
		{"valid s2 even", []int{1, 6, 6, 2}, []int{3, 3, 2, 2}, [2]int{2, 2}, Valid, false},
		{"same s1 odd", []int{1, 5, 5, 2}, []int{3, 3, 2, 2}, [2]int{1, 1}, Same, true},
		{"same s2 even", []int{2, 6, 6, 2}, []int{3, 3, 2, 3}, [2]int{2, 2}, Same, true},
		{"same s2 odd", []int{1, 5, 7, 3}, []int{2, 4, 3, 2}, [2]int{2, 2}, Same, false},
		{"1x1", []int{2, 3, 4, 3}, []int{1, 1, 3, 4}, [2]int{1, 1}, Valid, true},
		{"1x1 s2 same", []int{1, 5, 4, 3}, []int{1, 1, 3, 2}, [2]int{2, 2}, Same, false},
	}
	for i, c := range cases {
		in := []*tensor.Tensor{randT(uint64(10*i+1), c.x...), tensor.RandNormal(tensor.NewRNG(uint64(10*i+2)), 0, 0.5, c.w...)}
		if c.bias {
			in = append(in, randT(uint64(10*i+3), c.w[3]))
		}
		gradCheck(t, "Conv2D "+c.name, func(tp *Tape, v []*Var) *Var {
			var b *Var
			if c.bias {
				b = v[2]
			}
			return tp.Conv2D(v[0], v[1], b, c.strides, c.pad)
		}, in...)
	}
}

func TestConv2DOutputShapes(t *testing.T) {
	cases := []struct {
		x, w    []int
		strides [2]int
		pad     Padding
		want    []int
	}{
		{[]int{1, 6, 6, 1}, []int{3, 3, 1, 1}, [2]int{2, 2}, Same, []int{1, 3, 3, 1}},
		{[]int{1, 7, 7, 1}, []int{3, 3, 1, 1}, [2]int{2, 2}, Same, []int{1, 4, 4, 1}},
		{[]int{1, 7, 6, 1}, []int{3, 3, 1, 2}, [2]int{2, 2}, Valid, []int{1, 3, 2, 2}},
		{[]int{1, 2, 2, 1}, []int{5, 5, 1, 1}, [2]int{1, 1}, Same, []int{1, 2, 2, 1}},
		{[]int{1, 3, 3, 1}, []int{3, 3, 1, 1}, [2]int{1, 1}, Valid, []int{1, 1, 1, 1}},
	}
	for _, c := range cases {
		y := NewInferenceTape().Conv2D(Const(tensor.New(c.x...)), Const(tensor.New(c.w...)), nil, c.strides, c.pad)
		if !tensor.SameShape(y.Shape(), c.want) {
			t.Errorf("Conv2D x %v w %v strides %v %v: shape %v, want %v", c.x, c.w, c.strides, c.pad, y.Shape(), c.want)
		}
	}
}

// TestConv2DSamePadsBottomRight pins TensorFlow's rule on a case small
// enough to check by hand: a 2x2 ones kernel, stride 1, SAME on a 2x2 input
// pads one row/column after the input only, so y[0,0] sums all four inputs
// and y[1,1] only x[1,1].
func TestConv2DSamePadsBottomRight(t *testing.T) {
	x := tensor.MustFromSlice([]float32{1, 2, 3, 4}, 1, 2, 2, 1)
	y := NewInferenceTape().Conv2D(Const(x), Const(tensor.Ones(2, 2, 1, 1)), nil, [2]int{1, 1}, Same)
	assertClose(t, "y", y.Value, tensor.MustFromSlice([]float32{10, 6, 7, 4}, 1, 2, 2, 1), 0, 0)
}

func convGolden(t *testing.T, name string) {
	g := golden(t, name)
	var strides [2]int
	var padding string
	g.Attr("strides", &strides)
	g.Attr("padding", &padding)
	pad := Valid
	if padding == "same" {
		pad = Same
	}
	tp := NewTape()
	x, w := Input(g.T("x")), NewParam(g.T("w"), "w")
	var b *Var
	if g.Has("b") {
		b = NewParam(g.T("b"), "b")
	}
	y := tp.Conv2D(x, w, b, strides, pad)
	assertClose(t, name+" y", y.Value, g.T("y"), 1e-4, 1e-5)
	if err := tp.BackwardWith(y, g.T("dy")); err != nil {
		t.Fatal(err)
	}
	assertClose(t, name+" dx", x.Grad, g.T("dx"), 1e-4, 1e-5)
	assertClose(t, name+" dw", w.Grad, g.T("dw"), 1e-4, 1e-5)
	if b != nil {
		assertClose(t, name+" db", b.Grad, g.T("db"), 1e-4, 1e-5)
	}
}

func TestConv2DGolden(t *testing.T) {
	for _, name := range []string{"conv2d_same_s2_even", "conv2d_same_k4", "conv2d_valid"} {
		t.Run(name, func(t *testing.T) { convGolden(t, name) })
	}
}

func TestMaxPool2DGradCheck(t *testing.T) {
	cases := []struct {
		name          string
		x             []int
		pool, strides [2]int
		pad           Padding
	}{
		{"valid 2x2 s2", []int{2, 4, 4, 2}, [2]int{2, 2}, [2]int{2, 2}, Valid},
		{"valid 3x3 s2 overlapping", []int{1, 7, 5, 2}, [2]int{3, 3}, [2]int{2, 2}, Valid},
		{"same 3x3 s1", []int{1, 4, 5, 2}, [2]int{3, 3}, [2]int{1, 1}, Same},
		{"same 2x2 s2 odd", []int{2, 5, 5, 1}, [2]int{2, 2}, [2]int{2, 2}, Same},
	}
	for i, c := range cases {
		gradCheck(t, "MaxPool2D "+c.name, func(tp *Tape, v []*Var) *Var {
			return tp.MaxPool2D(v[0], c.pool, c.strides, c.pad)
		}, distinctT(uint64(i+1), c.x...))
	}
}

// TestMaxPool2DPaddingNeverWins: with all-negative inputs a padded cell
// counted as 0 would win; it must not.
func TestMaxPool2DPaddingNeverWins(t *testing.T) {
	x := tensor.MustFromSlice([]float32{-4, -3, -2, -1}, 1, 2, 2, 1)
	y := NewInferenceTape().MaxPool2D(Const(x), [2]int{2, 2}, [2]int{1, 1}, Same)
	assertClose(t, "y", y.Value, tensor.MustFromSlice([]float32{-1, -1, -1, -1}, 1, 2, 2, 1), 0, 0)
}

func TestMaxPool2DGolden(t *testing.T) {
	for _, name := range []string{"maxpool2d_valid", "maxpool2d_same"} {
		t.Run(name, func(t *testing.T) {
			g := golden(t, name)
			var pool, strides [2]int
			var padding string
			g.Attr("pool", &pool)
			g.Attr("strides", &strides)
			g.Attr("padding", &padding)
			pad := Valid
			if padding == "same" {
				pad = Same
			}
			tp := NewTape()
			x := Input(g.T("x"))
			y := tp.MaxPool2D(x, pool, strides, pad)
			assertClose(t, "y", y.Value, g.T("y"), 0, 0)
			if err := tp.BackwardWith(y, g.T("dy")); err != nil {
				t.Fatal(err)
			}
			assertClose(t, "dx", x.Grad, g.T("dx"), 1e-6, 1e-6)
		})
	}
}

func TestGlobalAvgPool2D(t *testing.T) {
	gradCheck(t, "GlobalAvgPool2D", func(tp *Tape, v []*Var) *Var { return tp.GlobalAvgPool2D(v[0]) }, randT(5, 2, 3, 4, 3))
	g := golden(t, "gap2d")
	tp := NewTape()
	x := Input(g.T("x"))
	y := tp.GlobalAvgPool2D(x)
	assertClose(t, "y", y.Value, g.T("y"), 1e-5, 1e-6)
	if err := tp.BackwardWith(y, g.T("dy")); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "dx", x.Grad, g.T("dx"), 1e-5, 1e-6)
}

// wantShapeError runs fn and checks it fails with a *ShapeError whose
// message names op and contains every string in want (the shapes).
func wantShapeError(t *testing.T, op string, fn func(), want ...string) {
	t.Helper()
	err := Try(fn)
	se, ok := err.(*ShapeError)
	if !ok {
		t.Fatalf("%s: got %v, want a *ShapeError", op, err)
	}
	if se.Op != op || !strings.Contains(err.Error(), op) {
		t.Errorf("error %q does not name op %s", err, op)
	}
	for _, s := range want {
		if !strings.Contains(se.Msg, s) {
			t.Errorf("%s error %q does not mention %s", op, err, s)
		}
	}
}

func TestWindowShapeErrors(t *testing.T) {
	tp := NewInferenceTape()
	c := func(s ...int) *Var { return Const(tensor.New(s...)) }
	s1 := [2]int{1, 1}
	wantShapeError(t, "Conv2D", func() { tp.Conv2D(c(1, 3, 3, 2), c(5, 5, 2, 4), nil, s1, Valid) }, "[1 3 3 2]", "[5 5 2 4]")
	wantShapeError(t, "Conv2D", func() { tp.Conv2D(c(1, 3, 8, 2), c(4, 1, 2, 4), nil, [2]int{1, 2}, Valid) }, "[1 3 8 2]", "[4 1 2 4]")
	wantShapeError(t, "Conv2D", func() { tp.Conv2D(c(1, 5, 5, 3), c(3, 3, 2, 4), nil, s1, Same) }, "[1 5 5 3]", "[3 3 2 4]")
	wantShapeError(t, "Conv2D", func() { tp.Conv2D(c(1, 5, 5, 2), c(3, 3, 2, 4), c(3), s1, Same) }, "[3]", "[3 3 2 4]")
	wantShapeError(t, "Conv2D", func() { tp.Conv2D(c(1, 5, 5, 2), c(3, 3, 2, 4), nil, [2]int{0, 1}, Same) }, "[1 5 5 2]", "[3 3 2 4]")
	wantShapeError(t, "Conv2D", func() { tp.Conv2D(c(5, 5, 2), c(3, 3, 2, 4), nil, s1, Same) }, "[5 5 2]", "[3 3 2 4]")
	wantShapeError(t, "MaxPool2D", func() { tp.MaxPool2D(c(1, 2, 2, 1), [2]int{3, 3}, s1, Valid) }, "[1 2 2 1]", "[3 3]")
	wantShapeError(t, "GlobalAvgPool2D", func() { tp.GlobalAvgPool2D(c(2, 3)) }, "[2 3]")
}

// TestBackwardAccumulates: every op's backward adds into existing
// gradients (a value used twice sums its paths) rather than overwriting.
func TestBackwardAccumulates(t *testing.T) {
	ops := map[string]struct {
		f  func(tp *Tape, v []*Var) *Var
		in []*tensor.Tensor
	}{
		"Conv2D 3x3": {func(tp *Tape, v []*Var) *Var { return tp.Conv2D(v[0], v[1], v[2], [2]int{2, 2}, Same) },
			[]*tensor.Tensor{randT(1, 2, 5, 5, 2), randT(2, 3, 3, 2, 3), randT(3, 3)}},
		"Conv2D 1x1": {func(tp *Tape, v []*Var) *Var { return tp.Conv2D(v[0], v[1], v[2], [2]int{1, 1}, Valid) },
			[]*tensor.Tensor{randT(1, 2, 3, 3, 2), randT(2, 1, 1, 2, 3), randT(3, 3)}},
		"MaxPool2D": {func(tp *Tape, v []*Var) *Var { return tp.MaxPool2D(v[0], [2]int{2, 2}, [2]int{1, 1}, Valid) },
			[]*tensor.Tensor{distinctT(1, 1, 3, 3, 2)}},
		"GlobalAvgPool2D": {func(tp *Tape, v []*Var) *Var { return tp.GlobalAvgPool2D(v[0]) },
			[]*tensor.Tensor{randT(1, 2, 2, 3, 2)}},
		"BatchNorm": {func(tp *Tape, v []*Var) *Var {
			return tp.BatchNorm(v[0], v[1], v[2], tensor.New(2), tensor.Ones(2), KerasBatchNorm())
		}, []*tensor.Tensor{randT(1, 3, 2), randT(2, 2), randT(3, 2)}},
		"LayerNorm": {func(tp *Tape, v []*Var) *Var { return tp.LayerNorm(v[0], v[1], v[2], 1, 1e-5) },
			[]*tensor.Tensor{randT(1, 3, 4), randT(2, 4), randT(3, 4)}},
		"RMSNorm": {func(tp *Tape, v []*Var) *Var { return tp.RMSNorm(v[0], v[1], 1, 1e-5) },
			[]*tensor.Tensor{randT(1, 3, 4), randT(2, 4)}},
	}
	for name, c := range ops {
		grads := func(preset float32) []*tensor.Tensor {
			tp := NewTape()
			vars := make([]*Var, len(c.in))
			for i, x := range c.in {
				vars[i] = Input(x.Clone())
				vars[i].Grad = tensor.Full(preset, x.Shape...)
			}
			y := c.f(tp, vars)
			if err := tp.BackwardWith(y, randT(9, y.Shape()...)); err != nil {
				t.Fatal(err)
			}
			out := make([]*tensor.Tensor, len(vars))
			for i, v := range vars {
				out[i] = v.Grad
				for j := range v.Grad.Data {
					v.Grad.Data[j] -= preset
				}
			}
			return out
		}
		fresh, added := grads(0), grads(1)
		for i := range fresh {
			assertClose(t, fmt.Sprintf("%s input %d", name, i), added[i], fresh[i], 1e-5, 1e-5)
		}
	}
}

// TestBackwardMisuse: Backward of something that is not a scalar loss of
// this tape is an error, not a panic.
func TestBackwardMisuse(t *testing.T) {
	tp := NewTape()
	x := NewParam(tensor.Ones(2, 3), "x")
	y := tp.Mul(x, x)
	if err := tp.Backward(nil); err == nil {
		t.Error("Backward(nil) accepted")
	}
	if err := tp.Backward(y); err == nil || !strings.Contains(err.Error(), "scalar") {
		t.Errorf("Backward of a [2 3] output: %v", err)
	}
	if err := tp.BackwardWith(y, nil); err == nil {
		t.Error("BackwardWith(y, nil) accepted")
	}
	if err := tp.BackwardWith(y, tensor.Ones(3, 2)); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("BackwardWith of a [3 2] gradient for a [2 3] output: %v", err)
	}
	if err := NewInferenceTape().BackwardWith(y, tensor.Ones(2, 3)); err == nil {
		t.Error("BackwardWith on an inference tape accepted")
	}
}
