package kernels

import (
	"fmt"
	"sync"
)

// Batched SGEMM: many independent products of the same shape, such as the
// per-(batch, head) score and context products of attention (64 products
// of 128×128×64 in a BERT-mini layer). Each is too small to split across
// threads well (Sgemm would wake the pool twice per product and split a
// few tiles), so the batch is parallel over products instead and each
// product runs on one thread, through the same packing and micro-kernel as
// Sgemm: B packed once for all of K, A read in place (a ragged last panel
// packed), edge tiles through a scratch tile. With one K block (k at most
// gemmKC) every element sums in the same order as Sgemm's blocked path, and
// the result never depends on the thread count.

// Products are taken one per thread when they have one K block (k ≤
// gemmKC), a packed B that stays in L2, and less work than batchedMinWork
// (bigger ones split well across threads by Sgemm itself).
const (
	batchedMaxB    = 1 << 16 // floats of packed B
	batchedMinWork = 1 << 22 // m·n·k from which a product is split by Sgemm instead
)

// SgemmBatched computes, for i in [0, batch),
//
//	C_i = alpha*op(A_i)*op(B_i) + beta*C_i
//
// with A_i = a[i*strideA:], B_i = b[i*strideB:], C_i = c[i*strideC:], each
// as in Sgemm (strides may be 0 for an operand shared by all products, but
// the C_i must not overlap).
func SgemmBatched(batch int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int) {
	if batch <= 0 || m == 0 || n == 0 {
		return
	}
	if batch > 1 && strideC < (m-1)*ldc+n {
		panic(fmt.Sprintf("kernels.SgemmBatched: C items of %d×%d (row stride %d) overlap with batch stride %d", m, n, ldc, strideC))
	}
	if strideA < 0 || strideB < 0 {
		panic(fmt.Sprintf("kernels.SgemmBatched: negative batch stride (A %d, B %d)", strideA, strideB))
	}
	// Check the last product's operands (the furthest reach of each); the
	// others lie inside them.
	last := batch - 1
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, tail(a, last*strideA), lda)
	checkMatrix("B", br, bc, tail(b, last*strideB), ldb)
	checkMatrix("C", m, n, tail(c, last*strideC), ldc)
	item := func(i int) {
		Sgemm(transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, c[i*strideC:], ldc)
	}
	ar0 := gemmFor(m, n)
	work := m * n * k
	if batch == 1 || k == 0 || alpha == 0 || work <= gemmSmallWork || work >= batchedMinWork ||
		k > gemmKC || k*roundUp(n, ar0.nr) > batchedMaxB {
		for i := range batch {
			item(i)
		}
		return
	}
	ParallelFor(batch, Grain(work, 1<<20), func(lo, hi int) {
		w := batchedWorkPool.Get().(*batchedWork)
		for i := lo; i < hi; i++ {
			w.gemm(ar0, transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, c[i*strideC:], ldc)
		}
		batchedWorkPool.Put(w)
	})
}

// tail returns s[off:], or an empty slice past its end (so checkMatrix
// reports the size rather than the slice expression panicking).
func tail(s []float32, off int) []float32 {
	if off > len(s) {
		return nil
	}
	return s[off:]
}

// batchedWork is one thread's scratch: packed B, a packed ragged A panel
// and an edge tile.
type batchedWork struct {
	b, a []float32
	tile [maxTile]float32
}

var batchedWorkPool = sync.Pool{New: func() any { return new(batchedWork) }}

// gemm computes one product on the calling thread; k ≤ gemmKC (one K
// block).
func (w *batchedWork) gemm(ar *gemmArch, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := ar.mr, ar.nr
	nPanels := ceilDiv(n, nr)
	if need := k * nPanels * nr; cap(w.b) < need {
		w.b = make([]float32, need)
	}
	if cap(w.a) < k*mr {
		w.a = make([]float32, k*mr)
	}
	bp, ap := w.b[:k*nPanels*nr], w.a[:k*mr]
	for q := range nPanels {
		packB(transB, b, ldb, 0, k, q*nr, min(nr, n-q*nr), nr, bp[q*k*nr:(q+1)*k*nr])
	}
	load := 1
	if beta == 0 {
		load = 0
	}
	for i := 0; i < m; i += mr {
		rows := min(mr, m-i)
		var as []float32
		rsa, csa := 1, mr
		switch {
		case rows < mr:
			packA(transA, a, lda, i, rows, 0, k, mr, ap)
			as = ap
		case transA:
			as, rsa, csa = a[i:], 1, lda
		default:
			as, rsa, csa = a[i*lda:], lda, 1
		}
		for q := range nPanels {
			j := q * nr
			cols := min(nr, n-j)
			bq := bp[q*k*nr:]
			if rows == mr && cols == nr {
				runKernel(ar, k, as, rsa, csa, bq, c[i*ldc+j:], ldc, alpha, beta, load)
				continue
			}
			t := w.tile[:mr*nr]
			runKernel(ar, k, as, rsa, csa, bq, t, nr, 1, 0, 0)
			for r := range rows {
				crow := c[(i+r)*ldc+j : (i+r)*ldc+j+cols]
				trow := t[r*nr : r*nr+cols]
				if load == 0 {
					for x, v := range trow {
						crow[x] = alpha * v
					}
				} else {
					for x, v := range trow {
						crow[x] = alpha*v + beta*crow[x]
					}
				}
			}
		}
	}
}
