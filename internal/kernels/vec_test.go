package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
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
		checkClose(t, "sumSqDev", float64(vSumSqDev(x, 0.5, false)), q)
		if a, b := vSumSqDev(x, 0.5, false), vSumSqDev(x, 0.5, true); math.Float32bits(a) != math.Float32bits(b) {
			t.Errorf("n=%d: prefetching sumSqDev %g, plain %g", n, b, a)
		}
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
		vNormAffine(y, x, g, b, m, rs, false)
		for j := range n {
			checkClose(t, "normAffine", float64(y[j]), (float64(x[j])-m)*rs*float64(g[j])+float64(b[j]))
		}
		for _, ys := range streamTargets(n) {
			vNormAffine(ys, x, g, b, m, rs, true)
			sameBits(t, "streamed normAffine", ys, y)
		}
		pg, pb := uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1)
		pg0, pb0 := append([]float32(nil), pg...), append([]float32(nil), pb...)
		pgs, pbs := append([]float32(nil), pg...), append([]float32(nil), pb...)
		sd, sdx := vNormBwdSums(pg, pb, dy, x, g, m, rs, false)
		sds, sdxs := vNormBwdSums(pgs, pbs, dy, x, g, m, rs, true) // prefetching: same bits
		sameBits(t, "prefetching backward sums", []float32{sds, sdxs}, []float32{sd, sdx})
		sameBits(t, "prefetching backward partials", append(pgs, pbs...), append(pg, pb...))
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
		vNormBwdDx(dx, dy, x, g, m, rs, c1, c2, false, true) // stream: ignored when adding
		for j := range n {
			xh := (float64(x[j]) - m) * rs
			want := float64(dx0[j]) + rs*(float64(g[j])*float64(dy[j])-c1-xh*c2)
			if math.Abs(float64(dx[j])-want) > 1e-5*(math.Abs(want)+3) {
				t.Errorf("n=%d: dx[%d] = %g, want %g", n, j, dx[j], want)
			}
		}
		dxSet := make([]float32, n)
		vNormBwdDx(dxSet, dy, x, g, m, rs, c1, c2, true, false)
		for j := range n {
			xh := (float64(x[j]) - m) * rs
			want := rs * (float64(g[j])*float64(dy[j]) - c1 - xh*c2)
			if math.Abs(float64(dxSet[j])-want) > 1e-5*(math.Abs(want)+3) {
				t.Errorf("n=%d: set dx[%d] = %g, want %g", n, j, dxSet[j], want)
			}
		}
		for _, ds := range streamTargets(n) {
			vNormBwdDx(ds, dy, x, g, m, rs, c1, c2, true, true)
			sameBits(t, "streamed set dx", ds, dxSet)
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
			vBNFwdRows(y, x, mean, a, b, rows, ld, n, false)
			dx := uniformSlice(r, size, -1, 1)
			dx0 := clone(dx)
			vBNBwdDxRows(dx, dy, x, mean, a, b, c0, rows, ld, n, false)
			dxSet := uniformSlice(r, size, -1, 1) // garbage inside the block
			dxSet0 := clone(dxSet)
			vBNBwdDxRows(dxSet, dy, x, mean, a, b, c0, rows, ld, n, true)
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
						if y[k] != y0[k] || dx[k] != dx0[k] || dxSet[k] != dxSet0[k] {
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
					wantSet := float64(a[c])*d + float64(b[c])*(v-mu) + float64(c0[c])
					if math.Abs(float64(dxSet[k])-wantSet) > 1e-5*(math.Abs(wantSet)+3) {
						t.Errorf("n=%d rows=%d: set dx[%d] = %g, want %g", n, rows, k, dxSet[k], wantSet)
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
		m, rs := vLayerNormRow(y, x, g, b, invD, 1e-5, false)
		m2, rs2 := layerNormRowGo(y2, x, g, b, invD, 1e-5, false)
		if m != m2 || rs != rs2 {
			t.Errorf("n=%d: fused mean, rstd %g %g; primitives %g %g", n, m, rs, m2, rs2)
		}
		for _, ys := range streamTargets(n) {
			ms, rss := vLayerNormRow(ys, x, g, b, invD, 1e-5, true)
			if ms != m || rss != rs {
				t.Errorf("n=%d: streamed mean, rstd %g %g; stored %g %g", n, ms, rss, m, rs)
			}
			sameBits(t, "streamed layer-norm row", ys, y)
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

// reluInput mixes random signs with the edge cases: ±0, NaN, ±Inf.
func reluInput(r *rand.Rand, n int) []float32 {
	x := uniformSlice(r, n, -1, 1)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for i := range x {
		if r.IntN(5) == 0 {
			x[i] = special[r.IntN(len(special))]
		}
	}
	return x
}

// TestVecReLU checks the dispatched ReLU kernels bit for bit against the
// Go versions and against the definition: y = x for x > 0 or NaN, else +0;
// dx += dy where x > 0, else += 0; the set variants dx = dy where x > 0,
// else +0.
func TestVecReLU(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	bits := math.Float32bits
	for _, n := range vecLengths {
		x, dy := reluInput(r, n), uniformSlice(r, n, -1, 1)
		dx0 := reluInput(r, n) // includes −0, which += 0 turns into +0
		y, yg := make([]float32, n), make([]float32, n)
		vReLUFwd(y, x)
		reluFwdGo(yg, x)
		dx, dxg := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
		vReLUBwd(dx, dy, x)
		reluBwdGo(dxg, dy, x)
		// The set variants overwrite whatever dx held (NaN here).
		dxs, dxsg := make([]float32, n), make([]float32, n)
		for i := range dxs {
			dxs[i], dxsg[i] = float32(math.NaN()), float32(math.NaN())
		}
		vReLUBwdSet(dxs, dy, x)
		reluBwdSetGo(dxsg, dy, x)
		for i, v := range x {
			want := float32(0)
			if v > 0 || v != v {
				want = v
			}
			if bits(y[i]) != bits(want) || bits(yg[i]) != bits(want) {
				t.Errorf("n=%d: relu(%g) = %g (Go %g), want %g", n, v, y[i], yg[i], want)
			}
			d := float32(0)
			if v > 0 {
				d = dy[i]
			}
			if w := dx0[i] + d; bits(dx[i]) != bits(w) && !(w != w && dx[i] != dx[i]) || bits(dxg[i]) != bits(dx[i]) {
				t.Errorf("n=%d: dx[%d] = %g (Go %g), want %g (x = %g)", n, i, dx[i], dxg[i], w, v)
			}
			if bits(dxs[i]) != bits(d) || bits(dxsg[i]) != bits(d) {
				t.Errorf("n=%d: set dx[%d] = %g (Go %g), want %g (x = %g)", n, i, dxs[i], dxsg[i], d, v)
			}
		}
	}
}

// TestVecGemmSmallK checks the small-K GEMM kernels (assembly where the
// CPU has it) against the Go versions, which round each product
// separately, so they agree to a tolerance; column counts exercise the
// 64- and 8-column loops, and the Go fallback for the rest.
func TestVecGemmSmallK(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{8, 24, 64, 72, 136, 5} {
		for _, k := range []int{1, 3, 9, 27} {
			for _, m := range []int{1, 2, 14} {
				a, w, b := uniformSlice(r, m*k, -1, 1), uniformSlice(r, k*n, -1, 1), uniformSlice(r, n, -1, 1)
				for _, relu := range []bool{false, true} {
					y, yg := make([]float32, m*n), make([]float32, m*n)
					vGemmSmallK(y, a, w, b, m, k, n, relu)
					gemmSmallKGo(yg, a, w, b, m, k, n, relu)
					for i := range y {
						if d := math.Abs(float64(y[i] - yg[i])); d > 1e-5 || (relu && yg[i] == 0 && y[i] != 0) {
							t.Fatalf("m=%d k=%d n=%d relu=%v: y[%d] = %g, Go %g", m, k, n, relu, i, y[i], yg[i])
						}
					}
				}
				dy := uniformSlice(r, m*n, -1, 1)
				dw0 := uniformSlice(r, k*n, -1, 1)
				dw, dwg := append([]float32(nil), dw0...), append([]float32(nil), dw0...)
				vGemmSmallKAccT(dw, a, dy, m, k, n)
				gemmSmallKAccTGo(dwg, a, dy, m, k, n)
				for i := range dw {
					if d := math.Abs(float64(dw[i] - dwg[i])); d > 1e-5 {
						t.Fatalf("m=%d k=%d n=%d: dw[%d] = %g, Go %g", m, k, n, i, dw[i], dwg[i])
					}
				}
				// A naive float64 check of the Go version.
				yg := make([]float32, m*n)
				gemmSmallKGo(yg, a, w, b, m, k, n, false)
				for i := range m {
					for j := range n {
						s := float64(b[j])
						for kk := range k {
							s += float64(a[i*k+kk]) * float64(w[kk*n+j])
						}
						if d := math.Abs(s - float64(yg[i*n+j])); d > 1e-5 {
							t.Fatalf("m=%d k=%d n=%d: Go y[%d,%d] = %g, want %g", m, k, n, i, j, yg[i*n+j], s)
						}
					}
				}
			}
		}
	}
}

// TestVecAdam: the dispatched Adam update equals the scalar Go update bit
// for bit (same operations in the same order), with and without L2 and
// decoupled weight decay, on lengths with and without a Go tail.
func TestVecAdam(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	params := []AdamParams{
		{StepSize: 1e-3 / 0.1, Beta1: 0.9, Beta2: 0.999, OneMinusB1: 0.1, OneMinusB2: 0.001, BC2Sqrt: 0.0316, Eps: 1e-8, Decay: 1},
		{StepSize: 0.01, Beta1: 0.8, Beta2: 0.99, OneMinusB1: 0.2, OneMinusB2: 0.01, BC2Sqrt: 0.5, Eps: 1e-6, WeightDecay: 0.01, Decay: 1},
		{StepSize: 0.003, Beta1: 0.9, Beta2: 0.999, OneMinusB1: 0.1, OneMinusB2: 0.001, BC2Sqrt: 0.9, Eps: 1e-8, Decay: 0.999},
	}
	bits := math.Float32bits
	for k, a := range params {
		for _, n := range vecLengths {
			p, g := uniformSlice(r, n, -1, 1), uniformSlice(r, n, -1, 1)
			m, v := uniformSlice(r, n, -0.1, 0.1), uniformSlice(r, n, 0, 0.01)
			for i := 0; i < n; i += 5 {
				g[i] = 0 // a zero gradient on a zero state: v = 0, denominator = eps
				m[i], v[i] = 0, 0
			}
			p2, g2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), g...), append([]float32(nil), m...), append([]float32(nil), v...)
			vAdam(p, g, m, v, a)
			adamUpdateGo(p2, g2, m2, v2, a)
			for i := range n {
				if bits(p[i]) != bits(p2[i]) || bits(m[i]) != bits(m2[i]) || bits(v[i]) != bits(v2[i]) {
					t.Fatalf("params %d n=%d i=%d: p, m, v = %g, %g, %g; Go %g, %g, %g", k, n, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
				}
			}
		}
	}
}

// TestAddF64: the vector fold of float32 partials into float64 sums gives
// the Go loop's bits, tails included.
func TestAddF64(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, n := range []int{0, 1, 3, 4, 7, 8, 9, 64, 67} {
		src := uniformSlice(r, n, -100, 100)
		dst := make([]float64, n)
		for i := range dst {
			dst[i] = r.NormFloat64() * 1e3
		}
		want := append([]float64(nil), dst...)
		addF64Go(want, src)
		vAddF64(dst, src)
		for i := range dst {
			if dst[i] != want[i] {
				t.Fatalf("n=%d: dst[%d] = %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}

// streamTargets gives two output slices of length n for the streaming
// (non-temporal) store paths: one on a 32-byte boundary, which they need
// and take, and one 4 bytes off it, where they must fall back to ordinary
// stores rather than fault. Both are filled with garbage.
func streamTargets(n int) [][]float32 {
	buf := make([]float32, n+16)
	off := int((32 - uintptr(unsafe.Pointer(&buf[0]))&31) & 31 / 4)
	out := [][]float32{buf[off : off+n], buf[off+1 : off+1+n]}
	for _, o := range out {
		for j := range o {
			o[j] = float32(math.NaN())
		}
	}
	return out
}

// TestVecStreamAdd: the bandwidth probe's non-temporal add adds, and
// declines what it cannot do (unaligned or ragged output) rather than fault.
func TestVecStreamAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	x, y := uniformSlice(r, 96, -1, 1), uniformSlice(r, 96, -1, 1)
	ts := streamTargets(96)
	if vStreamAdd(ts[1], x, y) || vStreamAdd(ts[0][:95], x, y) {
		t.Fatal("vStreamAdd took an unaligned or ragged output")
	}
	if !vStreamAdd(ts[0], x, y) {
		t.Skip("no non-temporal stores here")
	}
	for i := range x {
		if ts[0][i] != x[i]+y[i] {
			t.Fatalf("a[%d] = %g, want %g", i, ts[0][i], x[i]+y[i])
		}
	}
}
