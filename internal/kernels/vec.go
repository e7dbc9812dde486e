package kernels

import (
	"math"
	"sync"
	"sync/atomic"
)

// Vector primitives for the norm kernels, over float32 rows. Each has a
// pure-Go version here (the *Go functions, used on other architectures,
// with the purego tag, without AVX2/FMA, and for the tails the assembly
// leaves) and an AVX2/FMA version in vec_amd64.s; the v* dispatchers in
// vec_amd64.go / vec_other.go pick one. A reduction's lane and summation
// order depends only on the length, so results are the same bits for any
// thread count (the Go and assembly versions differ by rounding).
//
// Row primitives work on len(x) elements. Column primitives work on a
// [rows, n] block of a row-major matrix with row stride ld: acc[c] and
// the per-column coefficients are indexed by column c < n.

// sumGo returns Σ x.
func sumGo(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSqDevGo returns Σ (x − m)².
func sumSqDevGo(x []float32, m float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := x[i]-m, x[i+1]-m, x[i+2]-m, x[i+3]-m
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := x[i] - m
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// normAffineGo writes y = (x − m)·rs·g + b.
func normAffineGo(y, x, g, b []float32, m, rs float32) {
	y, g, b = y[:len(x)], g[:len(x)], b[:len(x)]
	for j, v := range x {
		y[j] = (v-m)*rs*g[j] + b[j]
	}
}

// layerNormRowGo normalises one row with the primitives: y = (x − m)·rs·g
// + b, m = mean(x), rs = 1/sqrt(mean((x − m)²) + eps); invD = 1/len(x).
func layerNormRowGo(y, x, g, b []float32, invD, eps float32, stream bool) (m, rs float32) {
	m = vSum(x) * invD
	v := vSumSqDev(x, m, false) * invD
	rs = float32(1 / math.Sqrt(float64(v+eps)))
	vNormAffine(y, x, g, b, m, rs, stream)
	return m, rs
}

// normBwdSumsGo accumulates, with x̂ = (x − m)·rs, pg += dy·x̂ and
// pb += dy, and returns Σ dy·g and Σ dy·g·x̂.
func normBwdSumsGo(pg, pb, dy, x, g []float32, m, rs float32) (sd, sdx float32) {
	pg, pb, x, g = pg[:len(dy)], pb[:len(dy)], x[:len(dy)], g[:len(dy)]
	for j, d := range dy {
		xh := (x[j] - m) * rs
		pg[j] += d * xh
		pb[j] += d
		dg := d * g[j]
		sd += dg
		sdx += dg * xh
	}
	return sd, sdx
}

// normBwdDxGo accumulates dx += rs·(g·dy − c1 − x̂·c2), x̂ = (x − m)·rs;
// with set it writes dx = that (dx's old contents unread).
func normBwdDxGo(dx, dy, x, g []float32, m, rs, c1, c2 float32, set bool) {
	dy, x, g = dy[:len(dx)], x[:len(dx)], g[:len(dx)]
	for j := range dx {
		xh := (x[j] - m) * rs
		v := rs * (g[j]*dy[j] - c1 - xh*c2)
		if set {
			dx[j] = v
		} else {
			dx[j] += v
		}
	}
}

// colSumGo accumulates acc[c] += Σ_r x[r·ld + c].
func colSumGo(acc, x []float32, rows, ld, n int) {
	acc = acc[:n]
	for r := range rows {
		xr := x[r*ld:][:n]
		for c, v := range xr {
			acc[c] += v
		}
	}
}

// colSumSqDevGo accumulates acc[c] += Σ_r (x[r·ld + c] − mean[c])².
func colSumSqDevGo(acc, x, mean []float32, rows, ld, n int) {
	acc, mean = acc[:n], mean[:n]
	for r := range rows {
		xr := x[r*ld:][:n]
		for c, v := range xr {
			d := v - mean[c]
			acc[c] += d * d
		}
	}
}

// colBwdSumsGo accumulates s1[c] += Σ_r dy and s2[c] += Σ_r dy·(x − mean[c]).
func colBwdSumsGo(s1, s2, dy, x, mean []float32, rows, ld, n int) {
	s1, s2, mean = s1[:n], s2[:n], mean[:n]
	for r := range rows {
		dr, xr := dy[r*ld:][:n], x[r*ld:][:n]
		for c, d := range dr {
			s1[c] += d
			s2[c] += d * (xr[c] - mean[c])
		}
	}
}

// bnFwdRowsGo writes y = (x − mean[c])·a[c] + b[c], then ReLU'd (as
// reluFwdGo) when relu.
func bnFwdRowsGo(y, x, mean, a, b []float32, rows, ld, n int, relu bool) {
	mean, a, b = mean[:n], a[:n], b[:n]
	for r := range rows {
		yr, xr := y[r*ld:][:n], x[r*ld:][:n]
		for c, v := range xr {
			v = (v-mean[c])*a[c] + b[c]
			if relu && v <= 0 {
				v = 0
			}
			yr[c] = v
		}
	}
}

// reluMask is dy where 0 < z, else 0: the gradient through a ReLU whose
// output is z.
func reluMask(dy, z float32) float32 {
	if !(z > 0) {
		return 0
	}
	return dy
}

// colBwdSumsMaskGo is colBwdSumsGo of dy masked by reluMask with z.
func colBwdSumsMaskGo(s1, s2, dy, x, mean, z []float32, rows, ld, n int) {
	s1, s2, mean = s1[:n], s2[:n], mean[:n]
	for r := range rows {
		dr, xr, zr := dy[r*ld:][:n], x[r*ld:][:n], z[r*ld:][:n]
		for c, d := range dr {
			d = reluMask(d, zr[c])
			s1[c] += d
			s2[c] += d * (xr[c] - mean[c])
		}
	}
}

// bnBwdDxRowsMaskGo is bnBwdDxRowsGo of dy masked by reluMask with z.
func bnBwdDxRowsMaskGo(dx, dy, x, mean, a, b, c0, z []float32, rows, ld, n int, set bool) {
	mean, a, b, c0 = mean[:n], a[:n], b[:n], c0[:n]
	for r := range rows {
		dxr, dr, xr, zr := dx[r*ld:][:n], dy[r*ld:][:n], x[r*ld:][:n], z[r*ld:][:n]
		for c, d := range dr {
			v := a[c]*reluMask(d, zr[c]) + b[c]*(xr[c]-mean[c]) + c0[c]
			if set {
				dxr[c] = v
			} else {
				dxr[c] += v
			}
		}
	}
}

// addReluFwdGo writes y = ReLU(a + b).
func addReluFwdGo(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	for i, v := range a {
		v += b[i]
		if v <= 0 {
			v = 0
		}
		y[i] = v
	}
}

// reluBwd2Go writes (addA: adds) g = reluMask(dy, y) into da and likewise
// (addB) into db; da and db may be the same buffer.
func reluBwd2Go(da, db, dy, y []float32, addA, addB bool) {
	db, dy, y = db[:len(da)], dy[:len(da)], y[:len(da)]
	for i, d := range dy {
		g := reluMask(d, y[i])
		if addA {
			da[i] += g
		} else {
			da[i] = g
		}
		if addB {
			db[i] += g
		} else {
			db[i] = g
		}
	}
}

// bnBwdDxRowsGo accumulates dx += a[c]·dy + b[c]·(x − mean[c]) + c0[c],
// or with set writes dx = that (dx's old contents unread).
func bnBwdDxRowsGo(dx, dy, x, mean, a, b, c0 []float32, rows, ld, n int, set bool) {
	mean, a, b, c0 = mean[:n], a[:n], b[:n], c0[:n]
	for r := range rows {
		dxr, dr, xr := dx[r*ld:][:n], dy[r*ld:][:n], x[r*ld:][:n]
		if set {
			for c, d := range dr {
				dxr[c] = a[c]*d + b[c]*(xr[c]-mean[c]) + c0[c]
			}
			continue
		}
		for c, d := range dr {
			dxr[c] += a[c]*d + b[c]*(xr[c]-mean[c]) + c0[c]
		}
	}
}

// span returns the length of a [rows, n] block with row stride ld.
func span(rows, ld, n int) int {
	if rows == 0 {
		return 0
	}
	return (rows-1)*ld + n
}

// Read-only rows of ones and zeros stand in for a nil gamma or beta, so
// each kernel needs one assembly version. They only grow; readers keep
// whatever slice they loaded.
var onesRow, zerosRow atomic.Pointer[[]float32]

func constRow(p *atomic.Pointer[[]float32], n int, v float32) []float32 {
	if s := p.Load(); s != nil && len(*s) >= n {
		return (*s)[:n]
	}
	s := make([]float32, max(n, 1024))
	for i := range s {
		s[i] = v
	}
	p.Store(&s)
	return s[:n]
}

// orOnes returns g, or n ones if g is nil.
func orOnes(g []float32, n int) []float32 {
	if g != nil {
		return g
	}
	return constRow(&onesRow, n, 1)
}

// orZeros returns b, or n zeros if b is nil.
func orZeros(b []float32, n int) []float32 {
	if b != nil {
		return b
	}
	return constRow(&zerosRow, n, 0)
}

// scratchPool recycles the per-chunk partial buffers of the norm kernels.
var scratchPool sync.Pool

// getScratch returns a zeroed buffer of n float32s; give it back with
// putScratch.
func getScratch(n int) *[]float32 {
	if p, ok := scratchPool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		clear(*p)
		return p
	}
	s := make([]float32, n)
	return &s
}

func putScratch(p *[]float32) { scratchPool.Put(p) }

// reluFwdGo writes y = x where !(x <= 0) (NaN propagates, as in PyTorch),
// else +0.
func reluFwdGo(y, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		if v <= 0 {
			v = 0
		}
		y[i] = v
	}
}

// reluBwdGo accumulates dx += dy where x > 0, else dx += 0 (the subgradient
// at 0 is 0, as in PyTorch). Adding a zero rather than skipping keeps the
// bits equal to the assembly's (−0 becomes +0).
func reluBwdGo(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, v := range x {
		d := dy[i]
		if !(v > 0) {
			d = 0
		}
		dx[i] += d
	}
}

func reluBwdSetGo(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, v := range x {
		d := dy[i]
		if !(v > 0) {
			d = 0
		}
		dx[i] = d
	}
}

// addToGo accumulates dst += src.
func addToGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// Zero sets every element of x to 0, in parallel chunks when x is long
// (zeroing a fresh gradient buffer of a megabyte or more is memory-bound
// work the second core halves).
func Zero(x []float32) {
	ParallelFor(len(x), zeroGrain, func(lo, hi int) { clear(x[lo:hi]) })
}

// zeroGrain is Zero's chunk: 256 KB.
const zeroGrain = 1 << 16

// addF64Go accumulates dst += float64(src).
func addF64Go(dst []float64, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += float64(v)
	}
}

// gemmSmallKGo writes y[r, j] = b[j] + Σ_kk a[r·k + kk]·w[kk·n + j] for
// r < m, j < n, summed in kk order, then ReLU (as reluFwdGo) if relu: a
// GEMM with a short inner dimension (a one-channel convolution's 3×3
// window) and its bias and activation fused, without packing.
func gemmSmallKGo(y, a, w, b []float32, m, k, n int, relu bool) {
	for r := range m {
		yr, ar := y[r*n:][:n], a[r*k:][:k]
		copy(yr, b[:n])
		for kk, av := range ar {
			wr := w[kk*n:][:n]
			for j, wv := range wr {
				yr[j] += av * wv
			}
		}
		if relu {
			reluFwdGo(yr, yr)
		}
	}
}

// gemmSmallKAccTGo accumulates dw[kk, j] += Σ_r a[r·k + kk]·dy[r·n + j]
// for kk < k, j < n, summed in r order: gemmSmallKGo's weight gradient.
func gemmSmallKAccTGo(dw, a, dy []float32, m, k, n int) {
	for kk := range k {
		dr := dw[kk*n:][:n]
		for r := range m {
			av := a[r*k+kk]
			for j, d := range dy[r*n:][:n] {
				dr[j] += av * d
			}
		}
	}
}
