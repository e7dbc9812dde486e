package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestBatchNormStats(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	M, C := 5000, 3
	x := randSlice(r, M*C)
	for i := range x {
		x[i] = x[i]*2 + 1000 // a large mean: a one-pass E[x²]−E[x]² would lose the variance
	}
	mean, variance := make([]float32, C), make([]float32, C)
	BatchNormStats(mean, variance, x, M, C)
	for c := range C {
		var s, s2 float64
		for i := range M {
			s += float64(x[i*C+c])
		}
		m := s / float64(M)
		for i := range M {
			d := float64(x[i*C+c]) - m
			s2 += d * d
		}
		if math.Abs(float64(mean[c])-m) > 1e-3 || math.Abs(float64(variance[c])-s2/float64(M)) > 1e-3 {
			t.Errorf("channel %d: mean %g var %g, want %g %g", c, mean[c], variance[c], m, s2/float64(M))
		}
	}
}

// TestNormDeterministic: the cross-row reductions give the same bits for
// GOMAXPROCS 1 and 4.
func TestNormDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	M, C := 20000, 8
	x, dy, gamma := randSlice(r, M*C), randSlice(r, M*C), randSlice(r, C)
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		mean, v, rstd := make([]float32, C), make([]float32, C), make([]float32, C)
		BatchNormStats(mean, v, x, M, C)
		for c := range rstd {
			rstd[c] = 1 / float32(math.Sqrt(float64(v[c])+1e-3))
		}
		dx, dg, db := make([]float32, M*C), make([]float32, C), make([]float32, C)
		BatchNormBackward(dx, dg, db, dy, x, mean, rstd, gamma, M, C, true)
		lm, lr := make([]float32, M), make([]float32, M)
		ly := make([]float32, M*C)
		LayerNormForward(ly, lm, lr, x, gamma, nil, M, C, 1e-5)
		ldg, ldb := make([]float32, C), make([]float32, C)
		LayerNormBackward(nil, ldg, ldb, dy, x, lm, lr, gamma, M, C)
		return [][]float32{mean, v, dx, dg, db, ldg, ldb}
	}
	a, b := run(1), run(4)
	for k := range a {
		for j := range a[k] {
			if a[k][j] != b[k][j] {
				t.Fatalf("result %d[%d]: %g with 1 thread, %g with 4", k, j, a[k][j], b[k][j])
			}
		}
	}
}
