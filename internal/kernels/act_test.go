package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Tests of the float32 GELU and softmax-row kernels: the dispatchers (the
// assembly where the CPU has it) and the Go twins, each against a float64
// evaluation of the same formula.

func geluRef(x float64) (y, d float64) {
	phi := 0.5 * math.Erfc(-x/math.Sqrt2)
	pdf := math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
	return x * phi, phi + x*pdf
}

var geluTanhC64 = math.Sqrt(2 / math.Pi)

func geluTanhRef(x float64) (y, d float64) {
	// (1+tanh u)/2 = 1/(1+exp(-2u)): no cancellation for negative u.
	c := geluTanhC64
	e := math.Exp(-2 * c * (x + 0.044715*x*x*x))
	s := 1 / (1 + e)
	return x * s, s + 2*x*s*(e*s)*c*(1+3*0.044715*x*x)
}

// actInputs covers the whole range densely, the tails, and special values.
func actInputs() []float32 {
	var xs []float32
	for x := -16.0; x <= 16; x += 1.0 / 512 {
		xs = append(xs, float32(x))
	}
	r := rand.New(rand.NewPCG(3, 0))
	for range 4000 {
		xs = append(xs, float32(r.NormFloat64()*3))
	}
	return append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-3, -1e-3, 30, -30, 1e6, -1e6, 1e30, -1e30)
}

// ulpErr is |got − want| measured in float32 ulps of max(|want|, floor).
func ulpErr(got float32, want, floor float64) float64 {
	a := math.Max(math.Abs(want), floor)
	ulp := math.Ldexp(1, math.Ilogb(a)-23)
	return math.Abs(float64(got)-want) / ulp
}

func TestGELUAccuracy(t *testing.T) {
	xs := actInputs()
	n := len(xs)
	y, dx, dy := make([]float32, n), make([]float32, n), make([]float32, n)
	forms := []struct {
		name          string
		ref           func(float64) (float64, float64)
		fwd, bwd      func(y, x []float32)
		goFwd         func(y, x []float32)
		goBwd, asmBwd func(dx, dy, x []float32)
	}{
		{name: "GELU", ref: geluRef, fwd: actGELUFwd, goFwd: geluFwdGo, asmBwd: actGELUBwd, goBwd: geluBwdGo},
		{name: "GELUTanh", ref: geluTanhRef, fwd: actGELUTanhFwd, goFwd: geluTanhFwdGo, asmBwd: actGELUTanhBwd, goBwd: geluTanhBwdGo},
	}
	for _, f := range forms {
		for _, impl := range []struct {
			name string
			fwd  func(y, x []float32)
			bwd  func(dx, dy, x []float32)
		}{{"dispatch", f.fwd, f.asmBwd}, {"go", f.goFwd, f.goBwd}} {
			impl.fwd(y, xs)
			for i := range dx {
				dx[i], dy[i] = 0.25, 1
			}
			impl.bwd(dx, dy, xs)
			var worstY, worstD float64
			for i, x := range xs {
				wy, wd := f.ref(float64(x))
				// Values are judged relative to max(|y|, 1e-30): that covers
				// the negative tail down to ~1e-30, where y is tiny.
				ey := ulpErr(y[i], wy, 1e-30)
				// The derivative is summed onto 0.25: judge it on that scale.
				ed := ulpErr(dx[i]-0.25, wd, 0.25)
				if math.IsInf(float64(x), 0) || math.Abs(float64(x)) > 1e5 {
					ed = 0 // (1e6)²-sized intermediates: only y is meaningful
				}
				if ey > worstY {
					worstY = ey
				}
				if ed > worstD {
					worstD = ed
				}
				tol := 8.0
				if f.name == "GELUTanh" && x < 0 {
					// exp(-2u) turns the float32 rounding of its argument
					// (a few ulps of |2u|, from x² and the constants) into
					// a relative error |2u| times as large: the form's own
					// conditioning in float32, not the kernel's.
					tol += 5 * math.Abs(2*geluTanhC64*(float64(x)+0.044715*math.Pow(float64(x), 3)))
				}
				if ey > tol || ed > 8 {
					t.Errorf("%s %s(%g): y %g (want %g, %.1f ulp), dy/dx %g (want %g, %.1f ulp)",
						f.name, impl.name, x, y[i], wy, ey, dx[i]-0.25, wd, ed)
					break
				}
			}
			t.Logf("%s %s: worst %.1f ulp (y), %.1f ulp (dy/dx)", f.name, impl.name, worstY, worstD)
		}
	}
}

// TestGELUTails checks that every length (the assembly's padded tail) and
// every position give the same bits as one element alone.
func TestGELUTails(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 0))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 33} {
		x := uniformSlice(r, n, -6, 6)
		y, one := make([]float32, n), make([]float32, 1)
		for _, k := range []struct {
			name string
			f    func(y, x []float32)
		}{{"GELU", actGELUFwd}, {"GELUTanh", actGELUTanhFwd}} {
			k.f(y, x)
			for i := range x {
				k.f(one, x[i:i+1])
				if one[0] != y[i] {
					t.Fatalf("%s n=%d: element %d is %g in the slice, %g alone", k.name, n, i, y[i], one[0])
				}
			}
		}
	}
}

func TestExpf(t *testing.T) {
	var worst float64
	for a := float64(expLo); a <= float64(expHi); a += 1.0 / 1024 {
		got := expf(float32(a))
		want := math.Exp(float64(float32(a)))
		if e := ulpErr(got, want, 0); e > worst {
			worst = e
		}
	}
	if worst > 2 {
		t.Fatalf("expf: worst error %.2f ulp", worst)
	}
	t.Logf("expf: worst %.2f ulp", worst)
}

func TestSoftmaxRowPrimitives(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 0))
	for _, n := range []int{1, 3, 8, 13, 16, 64, 128, 131} {
		x := uniformSlice(r, n, -20, 20)
		if n > 2 {
			x[n/2] = float32(math.Inf(-1)) // a masked logit
		}
		y, yGo := make([]float32, n), make([]float32, n)
		m, mGo := actMax(x), maxGo(x)
		s, sGo := actExpSubSum(y, x, m), expSubSumGo(yGo, x, mGo)
		var want float64
		for i, v := range x {
			e := math.Exp(float64(v - m)) // x − max is rounded to float32 first, as in PyTorch
			want += e
			if ulpErr(y[i], e, 1e-30) > 2 || ulpErr(yGo[i], e, 1e-30) > 2 {
				t.Fatalf("n=%d: exp(x[%d]-max) = %g (Go %g), want %g", n, i, y[i], yGo[i], e)
			}
		}
		if m != mGo || math.Abs(float64(s)-want) > 1e-6*want || math.Abs(float64(sGo)-want) > 1e-6*want {
			t.Fatalf("n=%d: max %g (Go %g), Σexp %g (Go %g), want %g", n, m, mGo, s, sGo, want)
		}
		g := uniformSlice(r, n, -1, 1)
		var dot float64
		for i := range g {
			dot += float64(g[i]) * float64(y[i])
		}
		if d := actDot(g, y); math.Abs(float64(d)-dot) > 1e-6*(1+math.Abs(dot))*want {
			t.Fatalf("n=%d: dot %g, want %g", n, d, dot)
		}
		dx, dxGo := make([]float32, n), make([]float32, n)
		for i := range dx {
			dx[i], dxGo[i] = 1, 1
		}
		actSoftmaxBwd(dx, g, y, 0.5)
		softmaxBwdGo(dxGo, g, y, 0.5)
		ls := make([]float32, n)
		for i := range ls {
			ls[i] = float32(float64(x[i]) - float64(m) - math.Log(want))
		}
		dl, dlGo := make([]float32, n), make([]float32, n)
		actLogSoftmaxBwd(dl, g, ls, 0.75)
		logSoftmaxBwdGo(dlGo, g, ls, 0.75)
		for i := range dx {
			wsb := 1 + float64(y[i])*(float64(g[i])-0.5)
			wlb := float64(g[i]) - math.Exp(float64(ls[i]))*0.75
			if math.Abs(float64(dx[i])-wsb) > 1e-6 || math.Abs(float64(dxGo[i])-wsb) > 1e-6 ||
				math.Abs(float64(dl[i])-wlb) > 1e-6 || math.Abs(float64(dlGo[i])-wlb) > 1e-6 {
				t.Fatalf("n=%d i=%d: softmax bwd %g (Go %g) want %g; log-softmax bwd %g (Go %g) want %g",
					n, i, dx[i], dxGo[i], wsb, dl[i], dlGo[i], wlb)
			}
		}
		ys := append([]float32(nil), y...)
		actScale(ys, 0.5)
		for i := range ys {
			if ys[i] != y[i]*0.5 {
				t.Fatalf("n=%d: scale %g, want %g", n, ys[i], y[i]*0.5)
			}
		}
	}
}

func TestScaleShiftVector(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 0))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 17, 31, 40} {
		x := uniformSlice(r, n, -3, 3)
		got := make([]float32, n)
		actScaleShift(got, x, -1.5, 0.25)
		for i, v := range x {
			want := float64(v)*-1.5 + 0.25
			if math.Abs(float64(got[i])-want) > 1e-6 {
				t.Fatalf("n=%d: dst[%d] = %g, want %g", n, i, got[i], want)
			}
		}
	}
}

func TestBinaryVector(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 0))
	for _, n := range []int{1, 7, 8, 9, 16, 17, 31, 40} {
		a, b := uniformSlice(r, n, -3, 3), uniformSlice(r, n, -3, 3)
		for _, op := range []BinaryOp{OpAdd, OpMul} {
			got := make([]float32, n)
			if !actBinary(op, got, a, b) {
				return // no vector kernel on this build
			}
			for i := range got {
				want := a[i] + b[i]
				if op == OpMul {
					want = a[i] * b[i]
				}
				if got[i] != want {
					t.Fatalf("op %d n=%d: dst[%d] = %g, want %g", op, n, i, got[i], want)
				}
			}
		}
	}
}

// BenchmarkActivations times GELU on a BERT-mini intermediate activation
// ([16·128, 1024]) and softmax on its attention scores ([16·4·128, 128]).
func BenchmarkActivations(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 0))
	const n, rows, c = 16 * 128 * 1024, 16 * 4 * 128, 128
	x, y, dy, dx := uniformSlice(r, n, -4, 4), make([]float32, n), uniformSlice(r, n, -1, 1), make([]float32, n)
	for _, k := range []struct {
		name string
		f    func()
	}{
		{"GELU/forward", func() { GELUForward(y, x) }},
		{"GELU/backward", func() { GELUBackward(dx, dy, x) }},
		{"GELUTanh/forward", func() { GELUTanhForward(y, x) }},
		{"GELUTanh/backward", func() { GELUTanhBackward(dx, dy, x) }},
		{"Softmax/forward", func() { SoftmaxForward(y[:rows*c], x[:rows*c], rows, c) }},
		{"Softmax/backward", func() { SoftmaxBackward(dx[:rows*c], dy[:rows*c], y[:rows*c], rows, c) }},
	} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				k.f()
			}
		})
	}
}
