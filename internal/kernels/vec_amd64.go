//go:build amd64 && !purego

package kernels

import "unsafe"

// AVX2/FMA versions of the vector primitives (vec_amd64.s). Each handles a
// multiple of 8 elements (or columns); the dispatchers below check lengths
// (the assembly trusts them) and finish the rest with the Go versions.

var vecAVX2 = cpu.AVX2 && cpu.FMA

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func sumSqDevAVX2(x *float32, n int, m float32, pf int) float32

//go:noescape
func normAffineAVX2(y, x, gm, b *float32, n int, m, rs float32, nt int)

//go:noescape
func normBwdSumsAVX2(pg, pb, dy, x, gm *float32, n int, m, rs float32, pf int) (sd, sdx float32)

//go:noescape
func normBwdDxAVX2(dx, dy, x, gm *float32, n int, m, rs, c1, c2 float32, set int)

//go:noescape
func lnRowAVX2(y, x, gm, b *float32, n int, invD, eps float32, nt int) (m, rs float32)

//go:noescape
func colSumAVX2(acc, x *float32, rows, ld, n int)

//go:noescape
func colSumSqDevAVX2(acc, x, mean *float32, rows, ld, n int)

//go:noescape
func colBwdSumsAVX2(s1, s2, dy, x, mean *float32, rows, ld, n int)

//go:noescape
func colBwdSumsMaskAVX2(s1, s2, dy, x, mean, z *float32, rows, ld, n int)

//go:noescape
func bnFwdRowsAVX2(y, x, mean, a, b *float32, rows, ld, n, relu int)

//go:noescape
func bnBwdDxRowsMaskAVX2(dx, dy, x, mean, a, b, c0, z *float32, rows, ld, n, set int)

//go:noescape
func addReluFwdAVX2(y, a, b *float32, n int)

//go:noescape
func reluBwd2AVX2(da, db, dy, y *float32, n, addA, addB int)

//go:noescape
func bnBwdDxRowsAVX2(dx, dy, x, mean, a, b, c0 *float32, rows, ld, n int)

//go:noescape
func bnBwdDxRowsSetAVX2(dx, dy, x, mean, a, b, c0 *float32, rows, ld, n int)

//go:noescape
func reluFwdAVX2(y, x *float32, n int)

//go:noescape
func reluBwdAVX2(dx, dy, x *float32, n int)

//go:noescape
func reluBwdSetAVX2(dx, dy, x *float32, n int)

//go:noescape
func gemmSmallKAVX2(y, a, w, b *float32, m, k, n, relu int)

//go:noescape
func gemmSmallKAccTAVX2(dw, a, dy *float32, m, k, n int)

// vGemmSmallK is gemmSmallKGo; the assembly needs n to be a multiple of 8
// (callers check smallKOK).
func vGemmSmallK(y, a, w, b []float32, m, k, n int, relu bool) {
	if !vecAVX2 || n&7 != 0 || m == 0 {
		gemmSmallKGo(y, a, w, b, m, k, n, relu)
		return
	}
	y, a, w, b = y[:m*n], a[:m*k], w[:k*n], b[:n]
	r := 0
	if relu {
		r = 1
	}
	gemmSmallKAVX2(&y[0], &a[0], &w[0], &b[0], m, k, n, r)
}

// vGemmSmallKAccT is gemmSmallKAccTGo.
func vGemmSmallKAccT(dw, a, dy []float32, m, k, n int) {
	if !vecAVX2 || n&7 != 0 || m == 0 {
		gemmSmallKAccTGo(dw, a, dy, m, k, n)
		return
	}
	dw, a, dy = dw[:k*n], a[:m*k], dy[:m*n]
	gemmSmallKAccTAVX2(&dw[0], &a[0], &dy[0], m, k, n)
}

// smallKAsm reports whether the small-K GEMM runs as assembly for n
// columns.
func smallKAsm(n int) bool { return vecAVX2 && n&7 == 0 }

//go:noescape
func adamAVX2(p, gr, m, v *float32, n int, a *AdamParams, wd int)

// vAdam is adamUpdateGo, bit for bit.
func vAdam(p, g, m, v []float32, a AdamParams) {
	n := len(p) &^ 7
	if !vecAVX2 || n == 0 {
		adamUpdateGo(p, g, m, v, a)
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	wd := 0
	if a.WeightDecay != 0 {
		wd = 1
	}
	adamAVX2(&p[0], &g[0], &m[0], &v[0], n, &a, wd)
	adamUpdateGo(p[n:], g[n:], m[n:], v[n:], a)
}

//go:noescape
func addToAVX2(dst, src *float32, n int)

//go:noescape
func streamAddAVX2(a, x, y *float32, n int)

//go:noescape
func addF64AVX2(dst *float64, src *float32, n int)

// vAddF64 accumulates dst += float64(src), the fold of a float32 partial
// sum into a float64 one (the same bits as the Go loop).
func vAddF64(dst []float64, src []float32) {
	n := len(dst) &^ 3
	if !vecAVX2 || n == 0 {
		addF64Go(dst, src)
		return
	}
	src = src[:len(dst)]
	addF64AVX2(&dst[0], &src[0], n)
	addF64Go(dst[n:], src[n:])
}

func vAddTo(dst, src []float32) {
	n := len(dst) &^ 7
	if !vecAVX2 || n == 0 {
		addToGo(dst, src)
		return
	}
	src = src[:len(dst)]
	addToAVX2(&dst[0], &src[0], n)
	addToGo(dst[n:], src[n:])
}

func vReLUFwd(y, x []float32) {
	n := len(y) &^ 7
	if !vecAVX2 || n == 0 {
		reluFwdGo(y, x)
		return
	}
	x = x[:len(y)]
	reluFwdAVX2(&y[0], &x[0], n)
	reluFwdGo(y[n:], x[n:])
}

func vReLUBwd(dx, dy, x []float32) {
	n := len(dx) &^ 7
	if !vecAVX2 || n == 0 {
		reluBwdGo(dx, dy, x)
		return
	}
	dy, x = dy[:len(dx)], x[:len(dx)]
	reluBwdAVX2(&dx[0], &dy[0], &x[0], n)
	reluBwdGo(dx[n:], dy[n:], x[n:])
}

func vReLUBwdSet(dx, dy, x []float32) {
	n := len(dx) &^ 7
	if !vecAVX2 || n == 0 {
		reluBwdSetGo(dx, dy, x)
		return
	}
	dy, x = dy[:len(dx)], x[:len(dx)]
	reluBwdSetAVX2(&dx[0], &dy[0], &x[0], n)
	reluBwdSetGo(dx[n:], dy[n:], x[n:])
}

func vSum(x []float32) float32 {
	n := len(x) &^ 7
	if !vecAVX2 || n == 0 {
		return sumGo(x)
	}
	return sumAVX2(&x[0], n) + sumGo(x[n:])
}

func vSumSqDev(x []float32, m float32, stream bool) float32 {
	n := len(x) &^ 7
	if !vecAVX2 || n == 0 {
		return sumSqDevGo(x, m)
	}
	return sumSqDevAVX2(&x[0], n, m, b2i(stream)) + sumSqDevGo(x[n:], m)
}

func vNormAffine(y, x, g, b []float32, m, rs float32, stream bool) {
	n := len(x) &^ 7
	if !vecAVX2 || n == 0 {
		normAffineGo(y, x, g, b, m, rs)
		return
	}
	y, g, b = y[:len(x)], g[:len(x)], b[:len(x)]
	normAffineAVX2(&y[0], &x[0], &g[0], &b[0], n, m, rs, ntStores(stream, y))
	normAffineGo(y[n:], x[n:], g[n:], b[n:], m, rs)
}

func vNormBwdSums(pg, pb, dy, x, g []float32, m, rs float32, stream bool) (sd, sdx float32) {
	n := len(dy) &^ 7
	if !vecAVX2 || n == 0 {
		return normBwdSumsGo(pg, pb, dy, x, g, m, rs)
	}
	k := len(dy)
	pg, pb, x, g = pg[:k], pb[:k], x[:k], g[:k]
	sd, sdx = normBwdSumsAVX2(&pg[0], &pb[0], &dy[0], &x[0], &g[0], n, m, rs, b2i(stream))
	td, tdx := normBwdSumsGo(pg[n:], pb[n:], dy[n:], x[n:], g[n:], m, rs)
	return sd + td, sdx + tdx
}

func vNormBwdDx(dx, dy, x, g []float32, m, rs, c1, c2 float32, set, stream bool) {
	n := len(dx) &^ 7
	if !vecAVX2 || n == 0 {
		normBwdDxGo(dx, dy, x, g, m, rs, c1, c2, set)
		return
	}
	k := len(dx)
	dy, x, g = dy[:k], x[:k], g[:k]
	mode := b2i(set)
	if set {
		mode += ntStores(stream, dx)
	}
	normBwdDxAVX2(&dx[0], &dy[0], &x[0], &g[0], n, m, rs, c1, c2, mode)
	normBwdDxGo(dx[n:], dy[n:], x[n:], g[n:], m, rs, c1, c2, set)
}

func vColSum(acc, x []float32, rows, ld, n int) {
	n8 := n &^ 7
	if !vecAVX2 || n8 == 0 || rows == 0 {
		colSumGo(acc, x, rows, ld, n)
		return
	}
	acc, x = acc[:n], x[:span(rows, ld, n)]
	colSumAVX2(&acc[0], &x[0], rows, ld, n8)
	if n8 < n {
		colSumGo(acc[n8:], x[n8:], rows, ld, n-n8)
	}
}

func vColSumSqDev(acc, x, mean []float32, rows, ld, n int) {
	n8 := n &^ 7
	if !vecAVX2 || n8 == 0 || rows == 0 {
		colSumSqDevGo(acc, x, mean, rows, ld, n)
		return
	}
	acc, mean, x = acc[:n], mean[:n], x[:span(rows, ld, n)]
	colSumSqDevAVX2(&acc[0], &x[0], &mean[0], rows, ld, n8)
	if n8 < n {
		colSumSqDevGo(acc[n8:], x[n8:], mean[n8:], rows, ld, n-n8)
	}
}

func vColBwdSums(s1, s2, dy, x, mean []float32, rows, ld, n int) {
	n8 := n &^ 7
	if !vecAVX2 || n8 == 0 || rows == 0 {
		colBwdSumsGo(s1, s2, dy, x, mean, rows, ld, n)
		return
	}
	s1, s2, mean = s1[:n], s2[:n], mean[:n]
	dy, x = dy[:span(rows, ld, n)], x[:span(rows, ld, n)]
	colBwdSumsAVX2(&s1[0], &s2[0], &dy[0], &x[0], &mean[0], rows, ld, n8)
	if n8 < n {
		colBwdSumsGo(s1[n8:], s2[n8:], dy[n8:], x[n8:], mean[n8:], rows, ld, n-n8)
	}
}

func vColBwdSumsMask(s1, s2, dy, x, mean, z []float32, rows, ld, n int) {
	n8 := n &^ 7
	if !vecAVX2 || n8 == 0 || rows == 0 {
		colBwdSumsMaskGo(s1, s2, dy, x, mean, z, rows, ld, n)
		return
	}
	s1, s2, mean = s1[:n], s2[:n], mean[:n]
	sp := span(rows, ld, n)
	dy, x, z = dy[:sp], x[:sp], z[:sp]
	colBwdSumsMaskAVX2(&s1[0], &s2[0], &dy[0], &x[0], &mean[0], &z[0], rows, ld, n8)
	if n8 < n {
		colBwdSumsMaskGo(s1[n8:], s2[n8:], dy[n8:], x[n8:], mean[n8:], z[n8:], rows, ld, n-n8)
	}
}

func vBNFwdRows(y, x, mean, a, b []float32, rows, ld, n int, relu bool) {
	n8 := n &^ 7
	if !vecAVX2 || n8 == 0 || rows == 0 {
		bnFwdRowsGo(y, x, mean, a, b, rows, ld, n, relu)
		return
	}
	mean, a, b = mean[:n], a[:n], b[:n]
	y, x = y[:span(rows, ld, n)], x[:span(rows, ld, n)]
	bnFwdRowsAVX2(&y[0], &x[0], &mean[0], &a[0], &b[0], rows, ld, n8, b2i(relu))
	if n8 < n {
		bnFwdRowsGo(y[n8:], x[n8:], mean[n8:], a[n8:], b[n8:], rows, ld, n-n8, relu)
	}
}

func vBNBwdDxRowsMask(dx, dy, x, mean, a, b, c0, z []float32, rows, ld, n int, set bool) {
	n8 := n &^ 7
	if !vecAVX2 || n8 == 0 || rows == 0 {
		bnBwdDxRowsMaskGo(dx, dy, x, mean, a, b, c0, z, rows, ld, n, set)
		return
	}
	mean, a, b, c0 = mean[:n], a[:n], b[:n], c0[:n]
	sp := span(rows, ld, n)
	dx, dy, x, z = dx[:sp], dy[:sp], x[:sp], z[:sp]
	bnBwdDxRowsMaskAVX2(&dx[0], &dy[0], &x[0], &mean[0], &a[0], &b[0], &c0[0], &z[0], rows, ld, n8, b2i(set))
	if n8 < n {
		bnBwdDxRowsMaskGo(dx[n8:], dy[n8:], x[n8:], mean[n8:], a[n8:], b[n8:], c0[n8:], z[n8:], rows, ld, n-n8, set)
	}
}

func vAddReLUFwd(y, a, b []float32) {
	n := len(y) &^ 7
	if !vecAVX2 || n == 0 {
		addReluFwdGo(y, a, b)
		return
	}
	a, b = a[:len(y)], b[:len(y)]
	addReluFwdAVX2(&y[0], &a[0], &b[0], n)
	addReluFwdGo(y[n:], a[n:], b[n:])
}

func vReLUBwd2(da, db, dy, y []float32, addA, addB bool) {
	n := len(da) &^ 7
	if !vecAVX2 || n == 0 {
		reluBwd2Go(da, db, dy, y, addA, addB)
		return
	}
	db, dy, y = db[:len(da)], dy[:len(da)], y[:len(da)]
	reluBwd2AVX2(&da[0], &db[0], &dy[0], &y[0], n, b2i(addA), b2i(addB))
	reluBwd2Go(da[n:], db[n:], dy[n:], y[n:], addA, addB)
}

// b2i is 1 for true, 0 for false: a flag for the assembly.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func vBNBwdDxRows(dx, dy, x, mean, a, b, c0 []float32, rows, ld, n int, set bool) {
	n8 := n &^ 7
	if !vecAVX2 || n8 == 0 || rows == 0 {
		bnBwdDxRowsGo(dx, dy, x, mean, a, b, c0, rows, ld, n, set)
		return
	}
	mean, a, b, c0 = mean[:n], a[:n], b[:n], c0[:n]
	sp := span(rows, ld, n)
	dx, dy, x = dx[:sp], dy[:sp], x[:sp]
	if set {
		bnBwdDxRowsSetAVX2(&dx[0], &dy[0], &x[0], &mean[0], &a[0], &b[0], &c0[0], rows, ld, n8)
	} else {
		bnBwdDxRowsAVX2(&dx[0], &dy[0], &x[0], &mean[0], &a[0], &b[0], &c0[0], rows, ld, n8)
	}
	if n8 < n {
		bnBwdDxRowsGo(dx[n8:], dy[n8:], x[n8:], mean[n8:], a[n8:], b[n8:], c0[n8:], rows, ld, n-n8, set)
	}
}

// vLayerNormRow normalises one row: y = (x − m)·rs·g + b with the row's
// mean m and rs = 1/sqrt(var + eps); one assembly call when len(x) is a
// multiple of 8.
func vLayerNormRow(y, x, g, b []float32, invD, eps float32, stream bool) (m, rs float32) {
	if !vecAVX2 || len(x)&7 != 0 || len(x) == 0 {
		return layerNormRowGo(y, x, g, b, invD, eps, stream)
	}
	n := len(x)
	y, g, b = y[:n], g[:n], b[:n]
	return lnRowAVX2(&y[0], &x[0], &g[0], &b[0], n, invD, eps, ntStores(stream, y))
}

// ntStores is 1 when the assembly should store out non-temporally: the
// caller asked for streaming and out starts on a 32-byte boundary, as
// VMOVNTPS on a ymm register requires.
func ntStores(stream bool, out []float32) int {
	if stream && uintptr(unsafe.Pointer(&out[0]))&31 == 0 {
		return 1
	}
	return 0
}

// vStreamAdd writes a = x + y with non-temporal stores and reports whether
// it could (AVX2, a 32-byte aligned, a length that is a multiple of 32).
func vStreamAdd(a, x, y []float32) bool {
	n := len(a)
	if !vecAVX2 || n == 0 || n%32 != 0 || ntStores(true, a) == 0 {
		return false
	}
	x, y = x[:n], y[:n]
	streamAddAVX2(&a[0], &x[0], &y[0], n)
	return true
}
