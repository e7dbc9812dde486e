package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The dispatched vector primitives (assembly where the CPU has it) against
// float64 references, on lengths that exercise every unrolled loop and the
// Go tails. Inputs are positive where a reduction is checked, so a dropped
// or doubled element moves the sum by far more than the tolerance.

func uniformSlice(r *rand.Rand, n int, lo, hi float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = lo + (hi-lo)*r.Float32()
	}
	return s
}

func checkClose(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-5*math.Abs(want)+1e-6 {
		t.Errorf("%s = %.9g, want %.9g", what, got, want)
	}
}

var vecLengths = []int{0, 1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 63, 64, 65, 100, 768, 1001}

func TestVecRowReductions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range vecLengths {
		x := uniformSlice(r, n, 1, 2)
		var s, q float64
		for _, v := range x {
			s += float64(v)
			q += (float64(v) - 0.5) * (float64(v) - 0.5)
		}
		checkClose(t, "sum", float64(vSum(x)), s)
		checkClose(t, "sumGo", float64(sumGo(x)), s)
		checkClose(t, "sumSqDev", float64(vSumSqDev(x, 0.5)), q)
		checkClose(t, "sumSqDevGo", float64(sumSqDevGo(x, 0.5)), q)
	}
}

func TestVecNormRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const m, rs, c1, c2 = 0.5, 1.25, 0.3, 0.7
	for _, n := range vecLengths {
		x, g, b := uniformSlice(r, n, 1, 2), uniformSlice(r, n, 0.5, 1.5), uniformSlice(r, n, -1, 1)
		dy := uniformSlice(r, n, 0.5, 1.5)
		y := make([]float32, n)
		vNormAffine(y, x, g, b, m, rs)
		for j := range n {
			checkClose(t, "normAffine", float64(y[j]), (float64(x[j])-m)*rs*float64(g[j])+float64(b[j]))
		}
		pg, pb := uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1)
		pg0, pb0 := append([]float32(nil), pg...), append([]float32(nil), pb...)
		sd, sdx := vNormBwdSums(pg, pb, dy, x, g, m, rs)
		var wsd, wsdx float64
		for j := range n {
			xh := (float64(x[j]) - m) * rs
			checkClose(t, "pg", float64(pg[j]), float64(pg0[j])+float64(dy[j])*xh)
			checkClose(t, "pb", float64(pb[j]), float64(pb0[j])+float64(dy[j]))
			wsd += float64(dy[j]) * float64(g[j])
			wsdx += float64(dy[j]) * float64(g[j]) * xh
		}
		checkClose(t, "sd", float64(sd), wsd)
		checkClose(t, "sdx", float64(sdx), wsdx)
		dx := uniformSlice(r, n, -1, 1)
		dx0 := append([]float32(nil), dx...)
		vNormBwdDx(dx, dy, x, g, m, rs, c1, c2)
		for j := range n {
			xh := (float64(x[j]) - m) * rs
			want := float64(dx0[j]) + rs*(float64(g[j])*float64(dy[j])-c1-xh*c2)
			if math.Abs(float64(dx[j])-want) > 1e-5*(math.Abs(want)+3) {
				t.Errorf("n=%d: dx[%d] = %g, want %g", n, j, dx[j], want)
			}
		}
	}
}

// TestVecColumns runs the column primitives on a block inside a wider
// matrix (row stride ld > n) and checks that the columns outside it are
// left alone.
func TestVecColumns(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	clone := func(s []float32) []float32 { return append([]float32(nil), s...) }
	for _, n := range []int{1, 3, 8, 13, 32, 40, 64, 67} {
		for _, rows := range []int{0, 1, 2, 5, 67} {
			ld := n + 5
			size := rows * ld
			x, dy := uniformSlice(r, size, 1, 2), uniformSlice(r, size, 0.5, 1.5)
			mean := uniformSlice(r, n, 0, 0.5)
			a, b, c0 := uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1)
			acc0, acc1 := uniformSlice(r, n, 0, 1), uniformSlice(r, n, 0, 1)
			sum, sq, s1, s2 := clone(acc0), clone(acc0), clone(acc0), clone(acc1)
			vColSum(sum, x, rows, ld, n)
			vColSumSqDev(sq, x, mean, rows, ld, n)
			vColBwdSums(s1, s2, dy, x, mean, rows, ld, n)
			y := uniformSlice(r, size, -1, 1)
			y0 := clone(y)
			vBNFwdRows(y, x, mean, a, b, rows, ld, n)
			dx := uniformSlice(r, size, -1, 1)
			dx0 := clone(dx)
			vBNBwdDxRows(dx, dy, x, mean, a, b, c0, rows, ld, n)
			for c := range n {
				ws, wq, w1, w2 := float64(acc0[c]), float64(acc0[c]), float64(acc0[c]), float64(acc1[c])
				mu := float64(mean[c])
				for i := range rows {
					v, d := float64(x[i*ld+c]), float64(dy[i*ld+c])
					ws += v
					wq += (v - mu) * (v - mu)
					w1 += d
					w2 += d * (v - mu)
				}
				checkClose(t, "colSum", float64(sum[c]), ws)
				checkClose(t, "colSumSqDev", float64(sq[c]), wq)
				checkClose(t, "colBwdSums s1", float64(s1[c]), w1)
				checkClose(t, "colBwdSums s2", float64(s2[c]), w2)
			}
			for i := range rows {
				for c := range ld {
					k := i*ld + c
					if c >= n {
						if y[k] != y0[k] || dx[k] != dx0[k] {
							t.Fatalf("n=%d rows=%d: column %d outside the block was written", n, rows, c)
						}
						continue
					}
					v, d, mu := float64(x[k]), float64(dy[k]), float64(mean[c])
					checkClose(t, "bnFwdRows", float64(y[k]), (v-mu)*float64(a[c])+float64(b[c]))
					want := float64(dx0[k]) + float64(a[c])*d + float64(b[c])*(v-mu) + float64(c0[c])
					if math.Abs(float64(dx[k])-want) > 1e-5*(math.Abs(want)+3) {
						t.Errorf("n=%d rows=%d: dx[%d] = %g, want %g", n, rows, k, dx[k], want)
					}
				}
			}
		}
	}
}

// TestVecLayerNormRow: the fused row (one assembly call) gives the same
// bits as the separate primitives and matches a float64 layer norm.
func TestVecLayerNormRow(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range vecLengths[1:] {
		x, g, b := uniformSlice(r, n, 999, 1001), uniformSlice(r, n, 0.5, 1.5), uniformSlice(r, n, -1, 1)
		y, y2 := make([]float32, n), make([]float32, n)
		invD := 1 / float32(n)
		m, rs := vLayerNormRow(y, x, g, b, invD, 1e-5)
		m2, rs2 := layerNormRowGo(y2, x, g, b, invD, 1e-5)
		if m != m2 || rs != rs2 {
			t.Errorf("n=%d: fused mean, rstd %g %g; primitives %g %g", n, m, rs, m2, rs2)
		}
		var s, q float64
		for _, v := range x {
			s += float64(v)
		}
		mu := s / float64(n)
		for _, v := range x {
			q += (float64(v) - mu) * (float64(v) - mu)
		}
		wrs := 1 / math.Sqrt(q/float64(n)+1e-5)
		checkClose(t, "mean", float64(m), mu)
		if math.Abs(float64(rs)-wrs) > 1e-4*wrs {
			t.Errorf("n=%d: rstd %g, want %g", n, rs, wrs)
		}
		for j := range n {
			if y[j] != y2[j] {
				t.Fatalf("n=%d: y[%d] fused %g, primitives %g", n, j, y[j], y2[j])
			}
			want := (float64(x[j])-mu)*wrs*float64(g[j]) + float64(b[j])
			if math.Abs(float64(y[j])-want) > 1e-3 {
				t.Errorf("n=%d: y[%d] = %g, want %g", n, j, y[j], want)
			}
		}
	}
}
