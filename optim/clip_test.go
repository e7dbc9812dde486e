package optim

import (
	"math"
	"testing"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

func gradVar(name string, g ...float32) *autograd.Var {
	v := autograd.NewParam(tensor.New(len(g)), name)
	v.Grad = tensor.MustFromSlice(append([]float32(nil), g...), len(g))
	return v
}

func TestClipGlobalNorm(t *testing.T) {
	// Gradients (3, 4) and (12): global norm sqrt(9+16+144) = 13.
	a, b := gradVar("a", 3, 4), gradVar("b", 12)
	none := autograd.NewParam(tensor.New(2), "none") // no gradient: skipped
	frozen := gradVar("frozen", 100)
	frozen.SetRequiresGrad(false)
	ps := []*autograd.Var{a, none, b, frozen}
	if n := ClipGlobalNorm(ps, 26); n != 13 || a.Grad.Data[0] != 3 || b.Grad.Data[0] != 12 {
		t.Errorf("below the limit: norm %v, grads %v %v changed", n, a.Grad.Data, b.Grad.Data)
	}
	if n := ClipGlobalNorm(ps, 6.5); n != 13 {
		t.Errorf("norm %v, want 13", n)
	}
	want := []float32{1.5, 2, 6}
	got := []float32{a.Grad.Data[0], a.Grad.Data[1], b.Grad.Data[0]}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("clipped grads %v, want %v", got, want)
			break
		}
	}
	if frozen.Grad.Data[0] != 100 {
		t.Error("frozen parameter's gradient was scaled")
	}
	if n := GlobalNorm(ps); math.Abs(n-6.5) > 1e-6 {
		t.Errorf("norm after clipping %v, want 6.5", n)
	}
	// Non-finite norms leave gradients alone.
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		c := gradVar("c", 1, bad)
		n := ClipGlobalNorm([]*autograd.Var{a, c}, 1)
		if !math.IsNaN(n) && !math.IsInf(n, 1) {
			t.Errorf("norm with %v: %v", bad, n)
		}
		if a.Grad.Data[0] != 1.5 || c.Grad.Data[0] != 1 {
			t.Errorf("gradients changed despite a norm of %v", n)
		}
	}
	// A float32 sum of squares would overflow here; float64 does not.
	big := gradVar("big", 3e30, 4e30)
	if n := ClipGlobalNorm([]*autograd.Var{big}, 1); math.Abs(n/5e30-1) > 1e-6 {
		t.Errorf("norm %v, want 5e30", n)
	}
	defer func() {
		if recover() == nil {
			t.Error("ClipGlobalNorm(0) did not panic")
		}
	}()
	ClipGlobalNorm(ps, 0)
}

// The norm of a large gradient (summed in chunks) agrees with a plain
// float64 sum.
func TestGlobalNormLarge(t *testing.T) {
	rng := tensor.NewRNG(5)
	v := autograd.NewParam(tensor.New(100003), "w")
	v.Grad = tensor.RandNormal(rng, 0, 1, 100003)
	var s float64
	for _, g := range v.Grad.Data {
		s += float64(g) * float64(g)
	}
	if n := GlobalNorm([]*autograd.Var{v}); math.Abs(n-math.Sqrt(s)) > 1e-9*n {
		t.Errorf("norm %v, want %v", n, math.Sqrt(s))
	}
}
