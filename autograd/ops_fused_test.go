package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// The fused ops (BatchNormReLU, AddReLU) against finite differences and,
// bit for bit, against the pairs of ops they replace.

func TestBatchNormReLUGradCheck(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 3, 8}, {6, 3}} {
		C := shape[len(shape)-1]
		x := tensor.RandNormal(tensor.NewRNG(11), 0.5, 2, shape...)
		gamma := tensor.RandNormal(tensor.NewRNG(12), 1, 0.5, C)
		beta := randT(13, C)
		for _, training := range []bool{true, false} {
			gradCheck(t, fmt.Sprintf("BatchNormReLU %v training=%v", shape, training), func(tp *Tape, v []*Var) *Var {
				tp.Training = training
				rm, rv := tensor.Full(0.3, C), tensor.Full(1.7, C)
				return tp.BatchNormReLU(v[0], v[1], v[2], rm, rv, KerasBatchNorm())
			}, x, gamma, beta)
		}
	}
}

func TestAddReLUGradCheck(t *testing.T) {
	for _, shape := range [][]int{{3, 5}, {2, 4, 4, 8}} {
		// Away from ReLU's kink: finite differences across it are meaningless.
		a, b := awayFromZero(randT(21, shape...)), awayFromZero(randT(22, shape...))
		gradCheck(t, fmt.Sprintf("AddReLU %v", shape), func(tp *Tape, v []*Var) *Var {
			return tp.AddReLU(v[0], v[1])
		}, a, b)
		gradCheck(t, fmt.Sprintf("AddReLU %v, a + a", shape), func(tp *Tape, v []*Var) *Var {
			return tp.AddReLU(v[0], v[0])
		}, a)
	}
	if err := Try(func() { NewTape().AddReLU(Input(tensor.New(2, 3)), Input(tensor.New(3))) }); err == nil {
		t.Error("AddReLU of shapes [2 3] and [3]: no error")
	}
}

// awayFromZero moves every value at least 0.05 from zero, keeping its sign.
func awayFromZero(x *tensor.Tensor) *tensor.Tensor {
	for i, v := range x.Data {
		x.Data[i] = v + float32(math.Copysign(0.05, float64(v)))
	}
	return x
}

func equalBits(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	for i := range want.Data {
		if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
			t.Fatalf("%s: element %d = %g, the unfused ops give %g", what, i, got.Data[i], want.Data[i])
		}
	}
}

// TestBatchNormReLUMatchesPair runs a seed-CNN-sized batch (several row
// chunks on two threads) through both forms, in training and inference,
// with x also feeding a second op so its gradient is accumulated.
func TestBatchNormReLUMatchesPair(t *testing.T) {
	const C = 64
	shape := []int{8, 14, 14, C}
	x := tensor.RandNormal(tensor.NewRNG(31), 0.2, 1.5, shape...)
	gammaT := tensor.RandNormal(tensor.NewRNG(32), 1, 0.5, C)
	betaT := randT(33, C)
	dy := randT(34, shape...)
	for _, training := range []bool{true, false} {
		type result struct{ y, dx, dg, db, rm, rv *tensor.Tensor }
		run := func(fused bool) result {
			tp := NewTape()
			tp.Training = training
			xv, g, b := Input(x.Clone()), NewParam(gammaT.Clone(), "gamma"), NewParam(betaT.Clone(), "beta")
			rm, rv := tensor.Full(0.1, C), tensor.Full(1.3, C)
			var y *Var
			if fused {
				y = tp.BatchNormReLU(xv, g, b, rm, rv, TorchBatchNorm())
			} else {
				y = tp.ReLU(tp.BatchNorm(xv, g, b, rm, rv, TorchBatchNorm()))
			}
			out := tp.Add(y, xv) // x's gradient gets a second contribution
			if err := tp.BackwardWith(out, dy); err != nil {
				t.Fatal(err)
			}
			return result{y.Value, xv.Grad, g.Grad, b.Grad, rm, rv}
		}
		f, p := run(true), run(false)
		for _, c := range []struct {
			name      string
			got, want *tensor.Tensor
		}{{"y", f.y, p.y}, {"dx", f.dx, p.dx}, {"dgamma", f.dg, p.dg}, {"dbeta", f.db, p.db},
			{"running mean", f.rm, p.rm}, {"running variance", f.rv, p.rv}} {
			equalBits(t, fmt.Sprintf("training=%v %s", training, c.name), c.got, c.want)
		}
	}
}

func TestAddReLUMatchesPair(t *testing.T) {
	shape := []int{8, 7, 7, 64}
	a, b, dy := randT(41, shape...), randT(42, shape...), randT(43, shape...)
	run := func(fused bool) (y, da, db *tensor.Tensor) {
		tp := NewTape()
		av, bv := Input(a.Clone()), Input(b.Clone())
		// a also feeds a Mul, so its gradient buffer exists (is added to)
		// when the AddReLU's backward runs; b's is fresh.
		m := tp.Mul(av, av)
		var out *Var
		if fused {
			out = tp.AddReLU(av, bv)
		} else {
			out = tp.ReLU(tp.Add(av, bv))
		}
		if err := tp.BackwardWith(tp.Add(out, m), dy); err != nil {
			t.Fatal(err)
		}
		return out.Value, av.Grad, bv.Grad
	}
	fy, fa, fb := run(true)
	py, pa, pb := run(false)
	equalBits(t, "y", fy, py)
	equalBits(t, "da", fa, pa)
	equalBits(t, "db", fb, pb)
}

func TestConv2DReLUGradCheck(t *testing.T) {
	cases := []struct {
		name string
		x, w []int
	}{
		{"small K (one channel, 8 filters)", []int{2, 6, 6, 1}, []int{3, 3, 1, 8}},
		{"GEMM path", []int{1, 5, 5, 4}, []int{3, 3, 4, 3}},
	}
	for i, c := range cases {
		x := randT(uint64(50+i), c.x...)
		w := tensor.RandNormal(tensor.NewRNG(uint64(60+i)), 0, 0.5, c.w...)
		b := randT(uint64(70+i), c.w[3])
		gradCheck(t, "Conv2DReLU "+c.name, func(tp *Tape, v []*Var) *Var {
			return tp.Conv2DReLU(v[0], v[1], v[2], [2]int{2, 2}, Same)
		}, x, w, b)
		// With x a constant the small-K path masks inside the weight-gradient kernel.
		gradCheck(t, "Conv2DReLU "+c.name+", constant input", func(tp *Tape, v []*Var) *Var {
			return tp.Conv2DReLU(Const(x), v[0], v[1], [2]int{2, 2}, Same)
		}, w, b)
	}
}

// TestConv2DReLUMatchesPair compares the fused op with ReLU(Conv2D) on the
// seed CNN's first layer (28×28×1 → 14×14×64, a constant input): the same
// output and kernel gradient bits; the bias gradient is summed in another
// order, so it is compared to rounding.
func TestConv2DReLUMatchesPair(t *testing.T) {
	x := randT(81, 8, 28, 28, 1)
	wT := tensor.RandNormal(tensor.NewRNG(82), 0, 0.3, 3, 3, 1, 64)
	bT := randT(83, 64)
	dy := randT(84, 8, 14, 14, 64)
	run := func(fused bool) (y, dw, db *tensor.Tensor) {
		tp := NewTape()
		w, b := NewParam(wT.Clone(), "w"), NewParam(bT.Clone(), "b")
		var out *Var
		if fused {
			out = tp.Conv2DReLU(Const(x), w, b, [2]int{2, 2}, Same)
		} else {
			out = tp.ReLU(tp.Conv2D(Const(x), w, b, [2]int{2, 2}, Same))
		}
		if err := tp.BackwardWith(out, dy); err != nil {
			t.Fatal(err)
		}
		return out.Value, w.Grad, b.Grad
	}
	fy, fw, fb := run(true)
	py, pw, pb := run(false)
	equalBits(t, "y", fy, py)
	equalBits(t, "dw", fw, pw)
	assertClose(t, "db", fb, pb, 1e-5, 1e-5)
}
