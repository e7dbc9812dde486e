package autograd

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// Finite-difference gradient checks and shape-error checks for the ops of
// ops_elementwise.go, ops_activation.go, ops_loss.go, ops_matmul.go,
// ops_shape.go, ops_reduce.go and ops_misc.go.

func mtRandn(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandNormal(tensor.NewRNG(seed), 0, 1, shape...)
}

// mtAwayFromZero pushes every element at least gap away from 0 (ReLU's kink).
func mtAwayFromZero(t *tensor.Tensor, gap float32) *tensor.Tensor {
	for i, v := range t.Data {
		if v >= 0 && v < gap {
			t.Data[i] = v + gap
		} else if v < 0 && v > -gap {
			t.Data[i] = v - gap
		}
	}
	return t
}

func TestGradBinaryBroadcast(t *testing.T) {
	ops := []struct {
		name string
		f    func(tp *Tape, a, b *Var) *Var
	}{{"Add", (*Tape).Add}, {"Sub", (*Tape).Sub}, {"Mul", (*Tape).Mul}, {"Div", (*Tape).Div}}
	pairs := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}}, // same shape
		{{2, 3, 4}, {4}},       // trailing bias
		{{4}, {2, 3, 4}},       // bias on the left
		{{2, 1, 4}, {3, 1}},    // both broadcast
		{{2, 3, 4}, {1, 3, 1}}, // only the middle axis kept
		{{3, 4}, {}},           // scalar
		{{2, 1, 3, 1}, {1, 4, 1, 5}},
	}
	for _, op := range ops {
		for _, p := range pairs {
			a := mtRandn(1, p[0]...)
			b := mtRandn(2, p[1]...)
			if op.name == "Div" { // keep the denominator away from 0
				b = tensor.RandUniform(tensor.NewRNG(2), 0.5, 1.5, p[1]...)
			}
			name := fmt.Sprintf("%s%v%v", op.name, p[0], p[1])
			gradCheck(t, name, func(tp *Tape, in []*Var) *Var { return op.f(tp, in[0], in[1]) }, a, b)
		}
	}
}

func TestBroadcastForward(t *testing.T) {
	tp := NewTape()
	a := Const(tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b := Const(tensor.MustFromSlice([]float32{10, 20}, 2, 1))
	got := tp.Add(a, b).Value
	want := tensor.MustFromSlice([]float32{11, 12, 13, 24, 25, 26}, 2, 3)
	assertClose(t, "Add [2,3]+[2,1]", got, want, 0, 0)
	got = tp.Div(a, Const(tensor.MustFromSlice([]float32{1, 2, 4}, 3))).Value
	want = tensor.MustFromSlice([]float32{1, 1, 0.75, 4, 2.5, 1.5}, 2, 3)
	assertClose(t, "Div [2,3]/[3]", got, want, 0, 0)
}

func TestGradScalarOps(t *testing.T) {
	x := mtRandn(3, 2, 5)
	gradCheck(t, "AddScalar", func(tp *Tape, in []*Var) *Var { return tp.AddScalar(in[0], 1.5) }, x)
	gradCheck(t, "MulScalar", func(tp *Tape, in []*Var) *Var { return tp.MulScalar(in[0], -2.5) }, x)
}

func TestGradActivations(t *testing.T) {
	x := mtRandn(4, 3, 7)
	gradCheck(t, "ReLU", func(tp *Tape, in []*Var) *Var { return tp.ReLU(in[0]) }, mtAwayFromZero(mtRandn(4, 3, 7), 0.05))
	// ReLU of an intermediate h that is also used elsewhere: its backward
	// writes h's fresh gradient when it runs first, and adds to it when it
	// runs second.
	h := func(tp *Tape, x *Var) *Var { return tp.MulScalar(x, 1.5) }
	gradCheck(t, "ReLU/writes-then-other-adds", func(tp *Tape, in []*Var) *Var {
		hv := h(tp, in[0])
		return tp.Add(tp.MulScalar(hv, 2), tp.ReLU(hv))
	}, mtAwayFromZero(mtRandn(5, 3, 7), 0.05))
	gradCheck(t, "ReLU/other-writes-then-adds", func(tp *Tape, in []*Var) *Var {
		hv := h(tp, in[0])
		return tp.Add(tp.ReLU(hv), tp.MulScalar(hv, 2))
	}, mtAwayFromZero(mtRandn(6, 3, 7), 0.05))
	gradCheck(t, "GELU", func(tp *Tape, in []*Var) *Var { return tp.GELU(in[0]) }, x)
	gradCheck(t, "GELUTanh", func(tp *Tape, in []*Var) *Var { return tp.GELUTanh(in[0]) }, x)
	gradCheck(t, "Sigmoid", func(tp *Tape, in []*Var) *Var { return tp.Sigmoid(in[0]) }, x)
	gradCheck(t, "Tanh", func(tp *Tape, in []*Var) *Var { return tp.Tanh(in[0]) }, x)
}

func TestActivationsExtremeInputs(t *testing.T) {
	x := Const(tensor.MustFromSlice([]float32{-100, -20, 0, 20, 100}, 5))
	tp := NewInferenceTape()
	for name, y := range map[string]*Var{
		"Sigmoid": tp.Sigmoid(x), "Tanh": tp.Tanh(x), "GELU": tp.GELU(x), "GELUTanh": tp.GELUTanh(x),
	} {
		if y.Value.HasNaNOrInf() {
			t.Errorf("%s of %v = %v", name, x.Value.Data, y.Value.Data)
		}
	}
	if s := tp.Sigmoid(x).Value.Data; !(s[0] >= 0 && s[0] < 1e-40) || s[4] != 1 || s[2] != 0.5 {
		t.Errorf("Sigmoid(%v) = %v", x.Value.Data, s)
	}
}

func TestGradSoftmax(t *testing.T) {
	x := mtRandn(5, 2, 3, 6)
	gradCheck(t, "Softmax", func(tp *Tape, in []*Var) *Var { return tp.Softmax(in[0]) }, x)
	gradCheck(t, "LogSoftmax", func(tp *Tape, in []*Var) *Var { return tp.LogSoftmax(in[0]) }, x)
}

func TestSoftmaxLargeLogitsStable(t *testing.T) {
	tp := NewInferenceTape()
	x := Const(tensor.MustFromSlice([]float32{1000, 1001, 1002, -1000, 0, 1000}, 2, 3))
	y := tp.Softmax(x).Value
	ly := tp.LogSoftmax(x).Value
	if y.HasNaNOrInf() || ly.HasNaNOrInf() {
		t.Fatalf("softmax %v, log-softmax %v", y, ly)
	}
	// Row 0 is softmax([0,1,2]).
	e := []float64{1, math.E, math.E * math.E}
	s := e[0] + e[1] + e[2]
	for j := range 3 {
		if d := math.Abs(float64(y.Data[j]) - e[j]/s); d > 1e-6 {
			t.Errorf("softmax[0][%d] = %g, want %g", j, y.Data[j], e[j]/s)
		}
	}
	if d := math.Abs(float64(ly.Data[3]) + 2000 + math.Log(1+math.Exp(-1000))); d > 1e-3 {
		t.Errorf("log-softmax[1][0] = %g, want -2000", ly.Data[3])
	}
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	x := mtRandn(6, 2, 3, 5)
	labels := []int{0, 4, -100, 2, 1, -100}
	gradCheck(t, "SoftmaxCrossEntropy", func(tp *Tape, in []*Var) *Var {
		return tp.SoftmaxCrossEntropy(in[0], labels, -100)
	}, x)
	gradCheck(t, "SoftmaxCrossEntropy/NoIgnore", func(tp *Tape, in []*Var) *Var {
		return tp.SoftmaxCrossEntropy(in[0], []int{0, 4, 3, 2, 1, 0}, NoIgnore)
	}, x)
}

func TestSoftmaxCrossEntropyValues(t *testing.T) {
	tp := NewTape()
	x := Input(tensor.MustFromSlice([]float32{0, 0, 0, 0, 1, 2, 5, 5, 5}, 3, 3))
	loss := tp.SoftmaxCrossEntropy(x, []int{1, -1, 2}, -1)
	// Rows 0 and 2 are uniform: loss log 3 each; row 1 is ignored.
	if d := math.Abs(float64(loss.Value.Item()) - math.Log(3)); d > 1e-6 {
		t.Fatalf("loss %g, want log 3 = %g", loss.Value.Item(), math.Log(3))
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	third := float32(1.0 / 3 / 2)
	want := tensor.MustFromSlice([]float32{third, third - 0.5, third, 0, 0, 0, third, third, third - 0.5}, 3, 3)
	assertClose(t, "dlogits", x.Grad, want, 1e-6, 1e-7)

	// Every row ignored: loss 0 and gradient 0.
	tp = NewTape()
	x = Input(mtRandn(1, 2, 4))
	loss = tp.SoftmaxCrossEntropy(x, []int{7, 7}, 7)
	if loss.Value.Item() != 0 {
		t.Fatalf("all-ignored loss %g, want 0", loss.Value.Item())
	}
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	if d, _ := tensor.MaxAbsDiff(x.Grad, tensor.New(2, 4)); d != 0 {
		t.Fatalf("all-ignored gradient %v, want 0", x.Grad)
	}
}

func TestGradMatMul(t *testing.T) {
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		ta, tb := tr[0], tr[1]
		shape := func(batch []int, r, c int, trans bool) []int {
			if trans {
				r, c = c, r
			}
			return append(append([]int{}, batch...), r, c)
		}
		m, k, n := 3, 4, 5
		cases := []struct {
			name   string
			as, bs []int
		}{
			{"2D", shape(nil, m, k, ta), shape(nil, k, n, tb)},
			{"batched", shape([]int{2, 2}, m, k, ta), shape([]int{2, 2}, k, n, tb)},
			{"shared", shape([]int{2, 3}, m, k, ta), shape(nil, k, n, tb)},
		}
		for _, c := range cases {
			a, b := mtRandn(7, c.as...), mtRandn(8, c.bs...)
			name := fmt.Sprintf("MatMulT/%s/transA=%v/transB=%v", c.name, ta, tb)
			gradCheck(t, name, func(tp *Tape, in []*Var) *Var { return tp.MatMulT(in[0], in[1], ta, tb) }, a, b)
		}
	}
}

func TestGradLinear(t *testing.T) {
	x2, x3 := mtRandn(3, 5, 4), mtRandn(4, 2, 3, 4)
	w, b := mtRandn(5, 4, 6), mtRandn(6, 6)
	gradCheck(t, "Linear/2D", func(tp *Tape, in []*Var) *Var { return tp.Linear(in[0], in[1], in[2]) }, x2, w, b)
	gradCheck(t, "Linear/3D", func(tp *Tape, in []*Var) *Var { return tp.Linear(in[0], in[1], in[2]) }, x3, w, b)
	gradCheck(t, "Linear/nobias", func(tp *Tape, in []*Var) *Var { return tp.Linear(in[0], in[1], nil) }, x3, w)
	// x used twice (as the input and, through a residual, again): its
	// gradient from Linear must add to the other path's, not overwrite it.
	sq := mtRandn(6, 4, 4)
	gradCheck(t, "Linear/residual", func(tp *Tape, in []*Var) *Var {
		return tp.Add(in[0], tp.Linear(in[0], in[1], nil))
	}, x3, sq)
	// K = 0: the output is the bias alone.
	tp := NewInferenceTape()
	y := tp.Linear(Const(tensor.New(3, 0)), Const(tensor.New(0, 2)), Const(tensor.MustFromSlice([]float32{1, -2}, 2)))
	assertClose(t, "Linear K=0", y.Value, tensor.MustFromSlice([]float32{1, -2, 1, -2, 1, -2}, 3, 2), 0, 0)
	// x == w: both gradients land in one buffer.
	gradCheck(t, "Linear/self", func(tp *Tape, in []*Var) *Var { return tp.Linear(in[0], in[0], nil) }, sq)
}

func TestMatMulValues(t *testing.T) {
	tp := NewInferenceTape()
	a := Const(tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b := Const(tensor.MustFromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2))
	assertClose(t, "a·b", tp.MatMul(a, b).Value, tensor.MustFromSlice([]float32{4, 5, 10, 11}, 2, 2), 0, 0)
	// aᵀ·aᵀᵀ = aᵀ·a: [3,3]
	want := tensor.MustFromSlice([]float32{17, 22, 27, 22, 29, 36, 27, 36, 45}, 3, 3)
	assertClose(t, "aᵀ·a", tp.MatMulT(a, a, true, false).Value, want, 0, 0)
}

func TestGradShapeOps(t *testing.T) {
	x := mtRandn(9, 2, 3, 4)
	gradCheck(t, "Reshape", func(tp *Tape, in []*Var) *Var { return tp.Reshape(in[0], 4, -1) }, x)
	gradCheck(t, "Permute", func(tp *Tape, in []*Var) *Var { return tp.Permute(in[0], 2, 0, 1) }, x)
	gradCheck(t, "Transpose", func(tp *Tape, in []*Var) *Var { return tp.Transpose(in[0], -1, 0) }, x)
	y := mtRandn(10, 2, 1, 4)
	gradCheck(t, "Concat", func(tp *Tape, in []*Var) *Var { return tp.Concat(1, in[0], in[1], in[0]) }, x, y)
	gradCheck(t, "Split", func(tp *Tape, in []*Var) *Var {
		p := tp.Split(in[0], -1, 1, 0, 3)
		// weight the pieces differently so each piece's gradient path matters
		return tp.Concat(-1, tp.MulScalar(p[2], 2), p[0], p[1])
	}, x)
}

func TestShapeOpsValues(t *testing.T) {
	tp := NewInferenceTape()
	x := Const(tensor.MustFromSlice([]float32{0, 1, 2, 3, 4, 5}, 1, 2, 3))
	assertClose(t, "Permute", tp.Permute(x, 2, 0, 1).Value, tensor.MustFromSlice([]float32{0, 3, 1, 4, 2, 5}, 3, 1, 2), 0, 0)
	c := tp.Concat(-1, x, x).Value
	assertClose(t, "Concat", c, tensor.MustFromSlice([]float32{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}, 1, 2, 6), 0, 0)
	p := tp.Split(x, 2, 2, 1)
	assertClose(t, "Split[0]", p[0].Value, tensor.MustFromSlice([]float32{0, 1, 3, 4}, 1, 2, 2), 0, 0)
	assertClose(t, "Split[1]", p[1].Value, tensor.MustFromSlice([]float32{2, 5}, 1, 2, 1), 0, 0)
	r := tp.Reshape(x, 3, 2)
	if &r.Value.Data[0] != &x.Value.Data[0] {
		t.Error("Reshape copied its data")
	}
}

func TestGradReduce(t *testing.T) {
	x := mtRandn(11, 2, 3, 4)
	for _, axes := range [][]int{nil, {0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1}, {}} {
		for _, keep := range []bool{false, true} {
			gradCheck(t, fmt.Sprintf("Sum%v/keep=%v", axes, keep), func(tp *Tape, in []*Var) *Var { return tp.Sum(in[0], axes, keep) }, x)
			gradCheck(t, fmt.Sprintf("Mean%v/keep=%v", axes, keep), func(tp *Tape, in []*Var) *Var { return tp.Mean(in[0], axes, keep) }, x)
		}
	}
}

func TestReduceShapesAndValues(t *testing.T) {
	tp := NewInferenceTape()
	x := Const(tensor.MustFromSlice([]float32{0, 1, 2, 3, 4, 5}, 2, 3))
	cases := []struct {
		y    *Var
		want *tensor.Tensor
	}{
		{tp.Sum(x, nil, false), tensor.Scalar(15)},
		{tp.Sum(x, nil, true), tensor.MustFromSlice([]float32{15}, 1, 1)},
		{tp.Sum(x, []int{0}, false), tensor.MustFromSlice([]float32{3, 5, 7}, 3)},
		{tp.Sum(x, []int{-1}, true), tensor.MustFromSlice([]float32{3, 12}, 2, 1)},
		{tp.Mean(x, []int{1}, false), tensor.MustFromSlice([]float32{1, 4}, 2)},
		{tp.Mean(x, nil, false), tensor.Scalar(2.5)},
	}
	for i, c := range cases {
		assertClose(t, fmt.Sprint("reduce case ", i), c.y.Value, c.want, 1e-7, 0)
	}
}

// TestResidualGradientSumsBothPaths checks y = x + f(x) with f(x) = x·w (w a
// scalar-like broadcast) and loss Σ y: d loss/dx = 1 + w on every element,
// which only comes out right when the identity path and the f path add up.
func TestResidualGradientSumsBothPaths(t *testing.T) {
	tp := NewTape()
	x := Input(tensor.MustFromSlice([]float32{1, -2, 3, 0.5, -1, 2}, 2, 3))
	w := NewParam(tensor.MustFromSlice([]float32{0.5, -3, 2}, 3), "w")
	y := tp.Add(x, tp.Mul(x, w))
	if err := tp.Backward(tp.Sum(y, nil, false)); err != nil {
		t.Fatal(err)
	}
	want := tensor.MustFromSlice([]float32{1.5, -2, 3, 1.5, -2, 3}, 2, 3)
	assertClose(t, "dx", x.Grad, want, 0, 0)
	// dw = Σ over rows of x.
	assertClose(t, "dw", w.Grad, tensor.MustFromSlice([]float32{1.5, -3, 5}, 3), 0, 0)

	// The same through a nonlinear f (ReLU of a matmul), by finite differences.
	wm := mtRandn(12, 3, 3)
	gradCheck(t, "residual", func(tp *Tape, in []*Var) *Var {
		return tp.Add(in[0], tp.ReLU(tp.MatMul(in[0], in[1])))
	}, mtRandn(13, 4, 3), wm)
}

func TestDropout(t *testing.T) {
	x := Input(tensor.Ones(1000))
	if y := NewInferenceTape().Dropout(x, 0.5, tensor.NewRNG(1)); y != x {
		t.Error("inference Dropout is not the identity")
	}
	if y := NewTape().Dropout(x, 0, nil); y != x {
		t.Error("Dropout with rate 0 is not the identity")
	}
	tp := NewTape()
	y := tp.Dropout(x, 0.25, tensor.NewRNG(1))
	zeros := 0
	for _, v := range y.Value.Data {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("Dropout output %g is neither 0 nor 1/(1-rate)", v)
		}
	}
	if zeros < 200 || zeros > 300 { // Binomial(1000, 0.25): mean 250, sd 13.7
		t.Errorf("Dropout zeroed %d of 1000 at rate 0.25", zeros)
	}
	y2 := NewTape().Dropout(x, 0.25, tensor.NewRNG(1))
	assertClose(t, "same seed, same mask", y2.Value, y.Value, 0, 0)
	if err := tp.Backward(tp.Sum(y, nil, false)); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "dx is the mask", x.Grad, y.Value, 0, 0)
	// Finite differences through a fixed mask: a fresh RNG with the same seed
	// each call gives the same mask.
	gradCheck(t, "Dropout", func(tp *Tape, in []*Var) *Var {
		tp.Training = true
		return tp.Dropout(in[0], 0.4, tensor.NewRNG(5))
	}, mtRandn(14, 3, 4))
}

func TestGradEmbedding(t *testing.T) {
	ids := []int{3, 0, 3, 1, 3, 2}
	gradCheck(t, "Embedding", func(tp *Tape, in []*Var) *Var { return tp.Embedding(in[0], ids, []int{2, 3}) }, mtRandn(15, 5, 4))
	tp := NewTape()
	table := NewParam(mtRandn(15, 5, 4), "emb")
	y := tp.Embedding(table, ids, []int{2, 3})
	if !tensor.SameShape(y.Shape(), []int{2, 3, 4}) {
		t.Fatalf("Embedding shape %v, want [2 3 4]", y.Shape())
	}
	if err := tp.Backward(tp.Sum(y, nil, false)); err != nil {
		t.Fatal(err)
	}
	// Row 3 was used three times, row 4 never.
	for j := range 4 {
		if table.Grad.Data[3*4+j] != 3 || table.Grad.Data[4*4+j] != 0 || table.Grad.Data[j] != 1 {
			t.Fatalf("Embedding grad %v", table.Grad)
		}
	}
}

// TestShapeErrors checks that every op's bad input panics with a ShapeError
// naming the op and the shapes (or the offending value).
func TestShapeErrors(t *testing.T) {
	v := func(shape ...int) *Var { return Const(tensor.New(shape...)) }
	cases := []struct {
		name  string
		f     func(tp *Tape)
		wants []string
	}{
		{"Add", func(tp *Tape) { tp.Add(v(2, 3), v(4)) }, []string{"Add", "[2 3]", "[4]"}},
		{"Sub", func(tp *Tape) { tp.Sub(v(2, 3), v(2, 2)) }, []string{"Sub", "[2 3]", "[2 2]"}},
		{"Mul", func(tp *Tape) { tp.Mul(v(3, 2), v(2, 2, 3)) }, []string{"Mul", "[3 2]", "[2 2 3]"}},
		{"Div", func(tp *Tape) { tp.Div(v(5), v(4)) }, []string{"Div", "[5]", "[4]"}},
		{"MatMul inner", func(tp *Tape) { tp.MatMul(v(2, 3), v(4, 5)) }, []string{"MatMulT", "[2 3]", "[4 5]"}},
		{"MatMul transB", func(tp *Tape) { tp.MatMulT(v(2, 3), v(3, 5), false, true) }, []string{"MatMulT", "[2 3]", "[3 5]"}},
		{"MatMul batch", func(tp *Tape) { tp.MatMul(v(2, 2, 3), v(3, 3, 4)) }, []string{"MatMulT", "[2 2 3]", "[3 3 4]"}},
		{"MatMul rank", func(tp *Tape) { tp.MatMul(v(3), v(3, 4)) }, []string{"MatMulT", "[3]", "[3 4]"}},
		{"MatMul b rank", func(tp *Tape) { tp.MatMul(v(2, 3), v(2, 3, 4)) }, []string{"MatMulT", "[2 3]", "[2 3 4]"}},
		{"Linear inner", func(tp *Tape) { tp.Linear(v(2, 3), v(4, 5), nil) }, []string{"Linear", "[2 3]", "[4 5]"}},
		{"Linear bias", func(tp *Tape) { tp.Linear(v(2, 4), v(4, 5), v(4)) }, []string{"Linear", "[4]", "[4 5]"}},
		{"Linear kernel rank", func(tp *Tape) { tp.Linear(v(2, 4), v(4), nil) }, []string{"Linear", "[2 4]", "[4]"}},
		{"Reshape", func(tp *Tape) { tp.Reshape(v(2, 3), 4, -1) }, []string{"Reshape", "[2 3]", "[4 -1]"}},
		{"Permute", func(tp *Tape) { tp.Permute(v(2, 3, 4), 0, 0, 1) }, []string{"Permute", "[0 0 1]", "[2 3 4]"}},
		{"Permute rank", func(tp *Tape) { tp.Permute(v(2, 3, 4), 1, 0) }, []string{"Permute", "[1 0]", "[2 3 4]"}},
		{"Transpose", func(tp *Tape) { tp.Transpose(v(2, 3), 0, 2) }, []string{"Transpose", "2", "[2 3]"}},
		{"Concat", func(tp *Tape) { tp.Concat(0, v(2, 3), v(2, 4)) }, []string{"Concat", "[2 3]", "[2 4]"}},
		{"Concat axis", func(tp *Tape) { tp.Concat(2, v(2, 3), v(2, 3)) }, []string{"Concat", "axis 2", "[2 3]"}},
		{"Concat rank", func(tp *Tape) { tp.Concat(0, v(2, 3), v(2)) }, []string{"Concat", "[2 3]", "[2]"}},
		{"Split sizes", func(tp *Tape) { tp.Split(v(2, 5), 1, 2, 2) }, []string{"Split", "[2 2]", "[2 5]"}},
		{"Split axis", func(tp *Tape) { tp.Split(v(2, 5), -3, 1, 1) }, []string{"Split", "-3", "[2 5]"}},
		{"Sum axis", func(tp *Tape) { tp.Sum(v(2, 3), []int{2}, false) }, []string{"Sum", "[2]", "[2 3]"}},
		{"Sum repeated", func(tp *Tape) { tp.Sum(v(2, 3), []int{1, -1}, false) }, []string{"Sum", "[1 -1]", "[2 3]"}},
		{"Mean axis", func(tp *Tape) { tp.Mean(v(2, 3), []int{-3}, true) }, []string{"Mean", "[-3]", "[2 3]"}},
		{"Softmax scalar", func(tp *Tape) { tp.Softmax(Const(tensor.Scalar(1))) }, []string{"Softmax", "[]"}},
		{"LogSoftmax scalar", func(tp *Tape) { tp.LogSoftmax(Const(tensor.Scalar(1))) }, []string{"LogSoftmax", "[]"}},
		{"CE label", func(tp *Tape) { tp.SoftmaxCrossEntropy(v(3, 4), []int{0, 4, 1}, -100) }, []string{"SoftmaxCrossEntropy", "label 4", "row 1", "[3 4]"}},
		{"CE negative label", func(tp *Tape) { tp.SoftmaxCrossEntropy(v(3, 4), []int{0, 1, -1}, NoIgnore) }, []string{"SoftmaxCrossEntropy", "label -1", "row 2"}},
		{"CE count", func(tp *Tape) { tp.SoftmaxCrossEntropy(v(3, 4), []int{0, 1}, NoIgnore) }, []string{"SoftmaxCrossEntropy", "[3 4]", "2 labels"}},
		{"Dropout rate", func(tp *Tape) { tp.Dropout(v(3), 1, tensor.NewRNG(1)) }, []string{"Dropout", "rate 1"}},
		{"Dropout negative", func(tp *Tape) { tp.Dropout(v(3), -0.1, tensor.NewRNG(1)) }, []string{"Dropout", "rate -0.1"}},
		{"Embedding id", func(tp *Tape) { tp.Embedding(v(5, 2), []int{1, 5}, []int{2}) }, []string{"Embedding", "id 5", "position 1", "[5 2]"}},
		{"Embedding negative id", func(tp *Tape) { tp.Embedding(v(5, 2), []int{-1}, []int{1}) }, []string{"Embedding", "id -1"}},
		{"Embedding table", func(tp *Tape) { tp.Embedding(v(5), []int{1}, []int{1}) }, []string{"Embedding", "[5]"}},
		{"Embedding ids shape", func(tp *Tape) { tp.Embedding(v(5, 2), []int{1, 2}, []int{3}) }, []string{"Embedding", "[3]"}},
		{"Embedding negative ids shape", func(tp *Tape) { tp.Embedding(v(5, 2), []int{1, 2}, []int{-1, -2}) }, []string{"Embedding", "[-1 -2]"}},
	}
	for _, c := range cases {
		err := Try(func() { c.f(NewTape()) })
		var se *ShapeError
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want a *ShapeError", c.name, err)
			continue
		}
		for _, w := range c.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestEmptyTensors(t *testing.T) {
	tp := NewTape()
	x := Input(tensor.New(0, 3))
	b := Input(tensor.Ones(3))
	y := tp.Add(tp.Permute(tp.Mul(x, b), 1, 0), Const(tensor.New(3, 1)))
	s := tp.Sum(y, []int{1}, false)
	if !tensor.SameShape(s.Shape(), []int{3}) || s.Value.Data[0] != 0 {
		t.Fatalf("Sum over an empty axis = %v", s.Value)
	}
	if err := tp.Backward(tp.Sum(s, nil, false)); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "db", b.Grad, tensor.New(3), 0, 0)
}

func TestInferenceTapeRecordsNothing(t *testing.T) {
	tp := NewInferenceTape()
	x := Input(mtRandn(1, 2, 3))
	w := NewParam(mtRandn(2, 3, 4), "w")
	y := tp.Softmax(tp.GELU(tp.MatMul(x, w)))
	_ = tp.SoftmaxCrossEntropy(y, []int{0, 1}, NoIgnore)
	if len(tp.Records()) != 0 || y.RequiresGrad() {
		t.Fatalf("inference tape kept %d records", len(tp.Records()))
	}
}
