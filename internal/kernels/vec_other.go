//go:build !amd64 || purego

package kernels

// Without the assembly the vector primitives are their Go versions.

func vSum(x []float32) float32                                { return sumGo(x) }
func vSumSqDev(x []float32, m float32, _ bool) float32        { return sumSqDevGo(x, m) }
func vNormAffine(y, x, g, b []float32, m, rs float32, _ bool) { normAffineGo(y, x, g, b, m, rs) }
func vNormBwdSums(pg, pb, dy, x, g []float32, m, rs float32, _ bool) (sd, sdx float32) {
	return normBwdSumsGo(pg, pb, dy, x, g, m, rs)
}
func vNormBwdDx(dx, dy, x, g []float32, m, rs, c1, c2 float32, set, _ bool) {
	normBwdDxGo(dx, dy, x, g, m, rs, c1, c2, set)
}
func vColSum(acc, x []float32, rows, ld, n int) { colSumGo(acc, x, rows, ld, n) }
func vColSumSqDev(acc, x, mean []float32, rows, ld, n int) {
	colSumSqDevGo(acc, x, mean, rows, ld, n)
}
func vColBwdSums(s1, s2, dy, x, mean []float32, rows, ld, n int) {
	colBwdSumsGo(s1, s2, dy, x, mean, rows, ld, n)
}
func vColBwdSumsMask(s1, s2, dy, x, mean, z []float32, rows, ld, n int) {
	colBwdSumsMaskGo(s1, s2, dy, x, mean, z, rows, ld, n)
}
func vBNFwdRows(y, x, mean, a, b []float32, rows, ld, n int, relu bool) {
	bnFwdRowsGo(y, x, mean, a, b, rows, ld, n, relu)
}
func vBNBwdDxRows(dx, dy, x, mean, a, b, c0 []float32, rows, ld, n int, set bool) {
	bnBwdDxRowsGo(dx, dy, x, mean, a, b, c0, rows, ld, n, set)
}
func vBNBwdDxRowsMask(dx, dy, x, mean, a, b, c0, z []float32, rows, ld, n int, set bool) {
	bnBwdDxRowsMaskGo(dx, dy, x, mean, a, b, c0, z, rows, ld, n, set)
}
func vAddReLUFwd(y, a, b []float32)                      { addReluFwdGo(y, a, b) }
func vReLUBwd2(da, db, dy, y []float32, addA, addB bool) { reluBwd2Go(da, db, dy, y, addA, addB) }

func vLayerNormRow(y, x, g, b []float32, invD, eps float32, _ bool) (m, rs float32) {
	return layerNormRowGo(y, x, g, b, invD, eps, false)
}

func vReLUFwd(y, x []float32)              { reluFwdGo(y, x) }
func vReLUBwd(dx, dy, x []float32)         { reluBwdGo(dx, dy, x) }
func vReLUBwdSet(dx, dy, x []float32)      { reluBwdSetGo(dx, dy, x) }
func vAddTo(dst, src []float32)            { addToGo(dst, src) }
func vAddF64(dst []float64, src []float32) { addF64Go(dst, src) }
func vGemmSmallK(y, a, w, b []float32, m, k, n int, relu bool) {
	gemmSmallKGo(y, a, w, b, m, k, n, relu)
}
func vGemmSmallKAccT(dw, a, dy []float32, m, k, n int) { gemmSmallKAccTGo(dw, a, dy, m, k, n) }
func smallKAsm(int) bool                               { return false }
func vAdam(p, g, m, v []float32, a AdamParams)         { adamUpdateGo(p, g, m, v, a) }

func vStreamAdd(a, x, y []float32) bool { return false }
