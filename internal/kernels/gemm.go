package kernels

// Sgemm computes C = alpha*op(A)*op(B) + beta*C, BLAS-style, row-major:
// op(A) is m×k, op(B) is k×n, C is m×n with row stride ldc. With transA,
// A is stored k×m (row stride lda); otherwise m×k. Likewise transB: B stored
// n×k, otherwise k×n. beta == 0 overwrites C without reading it (so C may
// hold garbage or NaN).
//
// Each element of C is computed by one goroutine with a fixed summation
// order, so results do not depend on GOMAXPROCS.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	sgemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmRef is the simple reference implementation: rows of C in parallel,
// an i-p-j loop over a row so the inner loop streams B and C.
func sgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ParallelFor(m, Grain(n*k, 1<<16), func(lo, hi int) {
		var bt []float32
		if transB { // gather B^T once per chunk so the inner loop is contiguous
			bt = make([]float32, k*n)
			for j := 0; j < n; j++ {
				for p := 0; p < k; p++ {
					bt[p*n+j] = b[j*ldb+p]
				}
			}
		}
		for i := lo; i < hi; i++ {
			crow := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(crow)
			} else if beta != 1 {
				for j := range crow {
					crow[j] *= beta
				}
			}
			for p := 0; p < k; p++ {
				var av float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				av *= alpha
				var brow []float32
				if transB {
					brow = bt[p*n : p*n+n]
				} else {
					brow = b[p*ldb : p*ldb+n]
				}
				for j, bv := range brow {
					crow[j] += av * bv
				}
			}
		}
	})
}
