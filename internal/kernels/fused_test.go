package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The fused ReLU kernels must give exactly the bits of the unfused pair
// they replace, in the assembly and in the Go versions alike.

// reluInputs returns n values of mixed sign with zeros of both signs and
// (if nan) NaNs among them.
func reluInputs(r *rand.Rand, n int, nan bool) []float32 {
	v := uniformSlice(r, n, -1, 1)
	for i := range v {
		switch r.IntN(8) {
		case 0:
			v[i] = 0
		case 1:
			v[i] = float32(math.Copysign(0, -1))
		case 2:
			if nan {
				v[i] = float32(math.NaN())
			}
		}
	}
	return v
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestFusedBatchNormReLUBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	clone := func(s []float32) []float32 { return append([]float32(nil), s...) }
	for _, n := range []int{1, 7, 8, 13, 32, 64, 67} {
		for _, rows := range []int{1, 2, 5, 67} {
			ld := n + 3
			size := rows * ld
			x, dy := reluInputs(r, size, true), uniformSlice(r, size, -1, 1)
			z := reluInputs(r, size, true)
			mean := uniformSlice(r, n, -0.5, 0.5)
			a, b, c0 := uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1)

			// Forward: BN then ReLU, row by row (the block has stride ld).
			want, got := make([]float32, size), make([]float32, size)
			vBNFwdRows(want, x, mean, a, b, rows, ld, n, false)
			for i := range rows {
				vReLUFwd(want[i*ld:][:n], want[i*ld:][:n])
			}
			vBNFwdRows(got, x, mean, a, b, rows, ld, n, true)
			sameBits(t, "BN+ReLU forward", got, want)
			bnFwdRowsGo(want, x, mean, a, b, rows, ld, n, false)
			for i := range rows {
				reluFwdGo(want[i*ld:][:n], want[i*ld:][:n])
			}
			bnFwdRowsGo(got, x, mean, a, b, rows, ld, n, true)
			sameBits(t, "BN+ReLU forward (Go)", got, want)

			// Backward: the masked gradient written out, then the plain kernels.
			masked := make([]float32, size)
			vReLUBwdSet(masked, dy, z)
			s1, s2 := uniformSlice(r, n, 0, 1), uniformSlice(r, n, 0, 1)
			m1, m2 := clone(s1), clone(s2)
			g1, g2 := clone(s1), clone(s2)
			vColBwdSums(s1, s2, masked, x, mean, rows, ld, n)
			vColBwdSumsMask(m1, m2, dy, x, mean, z, rows, ld, n)
			sameBits(t, "masked sums s1", m1, s1)
			sameBits(t, "masked sums s2", m2, s2)
			h1, h2 := clone(g1), clone(g2)
			colBwdSumsGo(g1, g2, masked, x, mean, rows, ld, n)
			colBwdSumsMaskGo(h1, h2, dy, x, mean, z, rows, ld, n)
			sameBits(t, "masked sums s1 (Go)", h1, g1)
			sameBits(t, "masked sums s2 (Go)", h2, g2)
			for _, set := range []bool{false, true} {
				dx := uniformSlice(r, size, -1, 1)
				dxm := clone(dx)
				vBNBwdDxRows(dx, masked, x, mean, a, b, c0, rows, ld, n, set)
				vBNBwdDxRowsMask(dxm, dy, x, mean, a, b, c0, z, rows, ld, n, set)
				sameBits(t, "masked dx", dxm, dx)
				bnBwdDxRowsGo(dx, masked, x, mean, a, b, c0, rows, ld, n, set)
				bnBwdDxRowsMaskGo(dxm, dy, x, mean, a, b, c0, z, rows, ld, n, set)
				sameBits(t, "masked dx (Go)", dxm, dx)
			}
		}
	}
}

func TestFusedAddReLUBits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	clone := func(s []float32) []float32 { return append([]float32(nil), s...) }
	for _, n := range []int{1, 7, 8, 31, 32, 33, 100, 1000} {
		a, b := reluInputs(r, n, true), reluInputs(r, n, true)
		sum := make([]float32, n)
		for i := range sum {
			sum[i] = a[i] + b[i]
		}
		want, got, gotGo := make([]float32, n), make([]float32, n), make([]float32, n)
		vReLUFwd(want, sum)
		vAddReLUFwd(got, a, b)
		addReluFwdGo(gotGo, a, b)
		sameBits(t, "AddReLU forward", got, want)
		sameBits(t, "AddReLU forward (Go)", gotGo, want)

		dy, y := uniformSlice(r, n, -1, 1), got
		for _, addA := range []bool{false, true} {
			for _, addB := range []bool{false, true} {
				da, db := uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1)
				wa, wb := clone(da), clone(db)
				for _, p := range []struct {
					dst []float32
					add bool
				}{{wa, addA}, {wb, addB}} {
					if p.add {
						vReLUBwd(p.dst, dy, y)
					} else {
						vReLUBwdSet(p.dst, dy, y)
					}
				}
				ga, gb := clone(da), clone(db)
				vReLUBwd2(ga, gb, dy, y, addA, addB)
				sameBits(t, "AddReLU backward da", ga, wa)
				sameBits(t, "AddReLU backward db", gb, wb)
				ha, hb := clone(da), clone(db)
				reluBwd2Go(ha, hb, dy, y, addA, addB)
				sameBits(t, "AddReLU backward da (Go)", ha, wa)
				sameBits(t, "AddReLU backward db (Go)", hb, wb)
			}
		}
		// a + a: one buffer takes the gradient twice.
		d := uniformSlice(r, n, -1, 1)
		w := clone(d)
		vReLUBwd(w, dy, y)
		vReLUBwd(w, dy, y)
		AddReLUBackward(d, d, dy, y, false, false)
		sameBits(t, "AddReLU backward, aliased", d, w)
	}
}
