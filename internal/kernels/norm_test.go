package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestBatchNormStats(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, C := range []int{3, 64, 67} { // Go columns only; assembly; both
		testBatchNormStats(t, r, 5000, C)
	}
}

func testBatchNormStats(t *testing.T, r *rand.Rand, M, C int) {
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
		BatchNormBackward(dx, dg, db, dy, x, mean, rstd, gamma, M, C, true, false)
		lm, lr := make([]float32, M), make([]float32, M)
		ly := make([]float32, M*C)
		LayerNormForward(ly, lm, lr, x, gamma, nil, M, C, 1e-5)
		ldg, ldb := make([]float32, C), make([]float32, C)
		LayerNormBackward(nil, ldg, ldb, dy, x, lm, lr, gamma, M, C, false)
		ldx := make([]float32, M*C)
		LayerNormBackward(ldx, ldg, ldb, dy, x, lm, lr, gamma, M, C, true)
		rdx, rdg := make([]float32, M*C), make([]float32, C)
		RMSNormForward(ly, lr, x, gamma, M, C, 1e-5)
		RMSNormBackward(rdx, rdg, dy, x, lr, gamma, M, C, true)
		return [][]float32{mean, v, dx, dg, db, ldg, ldb, ldx, ly, rdx, rdg}
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

// TestRowNormsReference checks layer and RMS norm, forward and backward,
// against float64 formulas at a row length with an assembly tail
// (D = 771), with and without gamma/beta, and that the backward passes
// accumulate.
func TestRowNormsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const R, D, eps = 5, 771, 1e-5
	x, dy := randSlice(r, R*D), randSlice(r, R*D)
	for i := range x {
		x[i] += 3
	}
	for _, affine := range []bool{true, false} {
		var gamma, beta []float32
		g64 := func(j int) float64 { return 1 }
		b64 := func(j int) float64 { return 0 }
		if affine {
			gamma, beta = randSlice(r, D), randSlice(r, D)
			g64 = func(j int) float64 { return float64(gamma[j]) }
			b64 = func(j int) float64 { return float64(beta[j]) }
		}
		for _, rms := range []bool{false, true} {
			y, mean, rstd := make([]float32, R*D), make([]float32, R), make([]float32, R)
			dx, dg, db := make([]float32, R*D), make([]float32, D), make([]float32, D)
			for i := range dx {
				dx[i] = 1 // backward accumulates onto this
			}
			if rms {
				RMSNormForward(y, rstd, x, gamma, R, D, eps)
				RMSNormBackward(dx, dg, dy, x, rstd, gamma, R, D, false)
			} else {
				LayerNormForward(y, mean, rstd, x, gamma, beta, R, D, eps)
				LayerNormBackward(dx, dg, db, dy, x, mean, rstd, gamma, R, D, false)
			}
			wdg, wdb := make([]float64, D), make([]float64, D)
			for i := range R {
				xr, dr := x[i*D:i*D+D], dy[i*D:i*D+D]
				mu, q := 0.0, 0.0
				if !rms {
					for _, v := range xr {
						mu += float64(v)
					}
					mu /= D
				}
				for _, v := range xr {
					q += (float64(v) - mu) * (float64(v) - mu)
				}
				rs := 1 / math.Sqrt(q/D+eps)
				sd, sdx := 0.0, 0.0
				for j := range D {
					xh := (float64(xr[j]) - mu) * rs
					sd += float64(dr[j]) * g64(j)
					sdx += float64(dr[j]) * g64(j) * xh
					wdg[j] += float64(dr[j]) * xh
					wdb[j] += float64(dr[j])
				}
				if rms {
					sd = 0
				}
				for j := range D {
					xh := (float64(xr[j]) - mu) * rs
					wy := xh * g64(j)
					if !rms {
						wy += b64(j)
					}
					wdx := 1 + rs*(float64(dr[j])*g64(j)-sd/D-xh*sdx/D)
					if math.Abs(float64(y[i*D+j])-wy) > 1e-4*(1+math.Abs(wy)) || math.Abs(float64(dx[i*D+j])-wdx) > 1e-4*(1+math.Abs(wdx)) {
						t.Fatalf("affine=%v rms=%v row %d col %d: y %g dx %g, want %g %g", affine, rms, i, j, y[i*D+j], dx[i*D+j], wy, wdx)
					}
				}
			}
			for j := range D {
				if math.Abs(float64(dg[j])-wdg[j]) > 1e-4*(1+math.Abs(wdg[j])) || (!rms && math.Abs(float64(db[j])-wdb[j]) > 1e-4*(1+math.Abs(wdb[j]))) {
					t.Fatalf("affine=%v rms=%v: dgamma[%d] %g dbeta %g, want %g %g", affine, rms, j, dg[j], db[j], wdg[j], wdb[j])
				}
			}
		}
	}
}

// TestNormBackwardSetDx: with setDx the row-norm backward passes overwrite
// a garbage dx with exactly what they add to a zero one.
func TestNormBackwardSetDx(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, D := range []int{7, 64, 768} {
		R := 37
		x, dy, gamma := randSlice(r, R*D), randSlice(r, R*D), randSlice(r, D)
		y, mean, rstd := make([]float32, R*D), make([]float32, R), make([]float32, R)
		LayerNormForward(y, mean, rstd, x, gamma, nil, R, D, 1e-5)
		for _, rms := range []bool{false, true} {
			run := func(dx []float32, set bool) {
				if rms {
					RMSNormBackward(dx, nil, dy, x, rstd, gamma, R, D, set)
				} else {
					LayerNormBackward(dx, nil, nil, dy, x, mean, rstd, gamma, R, D, set)
				}
			}
			want := make([]float32, R*D)
			run(want, false)
			got := randSlice(r, R*D)
			run(got, true)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("D=%d rms=%v: set dx[%d] = %g, added to zeros %g", D, rms, i, got[i], want[i])
				}
			}
		}
	}
}

// TestRowNormsStreamed: with every output over the streaming threshold
// (non-temporal stores), the row norms give the same bits as with ordinary
// stores, on two threads, for row lengths that do and do not keep the rows
// on the 32-byte boundaries the streaming stores need.
func TestRowNormsStreamed(t *testing.T) {
	defer func(v int) { streamMinFloats = v }(streamMinFloats)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	r := rand.New(rand.NewPCG(53, 54))
	for _, D := range []int{12, 64, 768} {
		R := 41
		x, dy, gamma, beta := randSlice(r, R*D), randSlice(r, R*D), randSlice(r, D), randSlice(r, D)
		run := func(stream bool) [][]float32 {
			streamMinFloats = math.MaxInt
			if stream {
				streamMinFloats = 0
			}
			y, mean, rstd, dx := randSlice(r, R*D), make([]float32, R), make([]float32, R), randSlice(r, R*D)
			ry, rrstd, rdx := randSlice(r, R*D), make([]float32, R), randSlice(r, R*D)
			LayerNormForward(y, mean, rstd, x, gamma, beta, R, D, 1e-5)
			LayerNormBackward(dx, nil, nil, dy, x, mean, rstd, gamma, R, D, true)
			RMSNormForward(ry, rrstd, x, gamma, R, D, 1e-5)
			RMSNormBackward(rdx, nil, dy, x, rrstd, gamma, R, D, true)
			return [][]float32{y, mean, rstd, dx, ry, rrstd, rdx}
		}
		want, got := run(false), run(true)
		for k := range want {
			sameBits(t, fmt.Sprintf("D=%d output %d", D, k), got[k], want[k])
		}
	}
}
