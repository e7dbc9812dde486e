package autograd

import (
	"math"
	"testing"

	"github.com/resnorm/resnorm/internal/testutil"
	"github.com/resnorm/resnorm/tensor"
)

// Finite-difference gradient check, shared by every op's tests.
//
// The check differentiates L = Σ_i w_i·f(x)_i for fixed random weights w
// (so every output element matters and errors cannot cancel), summing L in
// float64. Central differences with step fdStep on each input element are
// compared with the analytic gradient; an element passes when
// |analytic − numeric| <= fdRTol·max(|analytic|, |numeric|) + fdATol.
// The step is large enough that float32 rounding in f (~1e-7 relative) stays
// well below the tolerance, and small enough that the O(h²) truncation error
// of smooth ops does too. Inputs for ops with kinks (ReLU, max-pool) must be
// chosen away from the kinks.
const (
	fdStep = 1e-3
	fdRTol = 2e-2
	fdATol = 2e-3
)

// gradCheck runs f on fresh Vars for inputs and checks every input's gradient.
func gradCheck(t *testing.T, name string, f func(tp *Tape, in []*Var) *Var, inputs ...*tensor.Tensor) {
	t.Helper()
	rng := tensor.NewRNG(99)
	var w []float64
	loss := func(ins []*tensor.Tensor) float64 {
		tp := NewInferenceTape()
		vars := make([]*Var, len(ins))
		for i, x := range ins {
			vars[i] = Const(x)
		}
		out := f(tp, vars)
		if w == nil {
			w = make([]float64, out.Value.Numel())
			for i := range w {
				w[i] = rng.Float64()*2 - 1
			}
		}
		s := 0.0
		for i, v := range out.Value.Data {
			s += w[i] * float64(v)
		}
		return s
	}
	loss(inputs) // fixes w

	tp := NewTape()
	vars := make([]*Var, len(inputs))
	for i, x := range inputs {
		vars[i] = Input(x.Clone())
	}
	out := f(tp, vars)
	wt := tensor.New(out.Value.Shape...)
	for i := range wt.Data {
		wt.Data[i] = float32(w[i])
	}
	if err := tp.BackwardWith(out, wt); err != nil {
		t.Fatalf("%s: backward: %v", name, err)
	}
	for k, x := range inputs {
		if vars[k].Grad == nil {
			t.Fatalf("%s: input %d got no gradient", name, k)
		}
		for i := range x.Data {
			orig := x.Data[i]
			x.Data[i] = orig + fdStep
			lp := loss(inputs)
			x.Data[i] = orig - fdStep
			lm := loss(inputs)
			x.Data[i] = orig
			num := (lp - lm) / (2 * fdStep)
			an := float64(vars[k].Grad.Data[i])
			if math.Abs(an-num) > fdRTol*math.Max(math.Abs(an), math.Abs(num))+fdATol {
				t.Errorf("%s: d/d input%d[%d]: analytic %.6g, numeric %.6g", name, k, i, an, num)
				return
			}
		}
	}
}

// golden loads a golden file or fails the test.
func golden(t *testing.T, name string) *testutil.Golden {
	t.Helper()
	g, err := testutil.LoadGolden(name)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// assertClose fails the test when got and want differ beyond rtol/atol.
func assertClose(t *testing.T, what string, got, want *tensor.Tensor, rtol, atol float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil", what)
	}
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	if !tensor.AllClose(got, want, rtol, atol) {
		d, i := tensor.MaxAbsDiff(got, want)
		t.Fatalf("%s: max |diff| %.3g at %d (got %g, want %g)", what, d, i, got.Data[i], want.Data[i])
	}
}
