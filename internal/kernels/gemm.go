package kernels

import (
	"runtime"
	"sync"
)

// SGEMM, BLIS style. B is packed into panels of NR columns (KC rows each)
// shared by all threads; A is packed into panels of MR rows per thread, or
// read in place when it is not transposed and C is narrow (packing would
// cost more than it saves). A register-tiled micro-kernel (assembly on
// amd64, Go elsewhere) computes each MR×NR tile of C. K is split into
// blocks that depend only on k, and a thread always owns whole tiles of C,
// so every element of C is summed in the same order for any GOMAXPROCS.

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
	if k == 0 || alpha == 0 {
		sgemmScale(m, n, beta, c, ldc)
		return
	}
	if m*n*k <= gemmSmallWork {
		sgemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmBlocked(gemmBest, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Blocking parameters, tuned on a 2-core AVX-512 machine (48 KiB L1d,
// 1 MiB L2 per core): a KC×NR panel of B stays in L1 while the MC×KC block
// of A streams from L2.
var (
	gemmKC            = 256  // depth of a K block (upper bound)
	gemmMC            = 504  // rows of A per block (upper bound)
	gemmNC            = 4096 // columns of B per packed block (upper bound)
	gemmSmallWork     = 8192 // m*n*k at or below this: plain loops, no packing
	gemmDirectN       = 128  // read untransposed A in place when n is at most this
	gemmDirectJrOuter = false
	gemmPackedIrOuter = false
	gemmBest          = gemmArchs()[0]
)

type kernKind int

const (
	kernGo kernKind = iota
	kernAVX512
	kernAVX2
)

// gemmArch is a micro-kernel and its tile shape.
type gemmArch struct {
	name   string
	mr, nr int
	kind   kernKind
}

var gemmGo = &gemmArch{name: "go-4x16", mr: 4, nr: 16, kind: kernGo}

const maxTile = 16 * 32 // largest MR*NR of any kernel

// runKernel computes one tile with ar's kernel (see gemmKernelGo).
func runKernel(ar *gemmArch, kc int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32, load int) {
	if !runKernelAsm(ar, kc, a, rsa, csa, b, c, ldc, alpha, beta, load) {
		gemmKernelGo(ar.mr, ar.nr, kc, a, rsa, csa, b, c, ldc, alpha, beta, load)
	}
}

// gemmWork is a reusable per-thread buffer: packed A and an edge tile.
type gemmWork struct {
	a    []float32
	tile [maxTile]float32
}

var gemmWorkPool = sync.Pool{New: func() any { return new(gemmWork) }}

func getWork(n int) *gemmWork {
	w := gemmWorkPool.Get().(*gemmWork)
	if cap(w.a) < n {
		w.a = make([]float32, n)
	}
	w.a = w.a[:n]
	return w
}

// gemmCall holds one Sgemm call's arguments and blocking for the tasks.
type gemmCall struct {
	ar                   *gemmArch
	transA, transB       bool
	m, n, k              int
	alpha, beta          float32
	a, b, c              []float32
	lda, ldb, ldc        int
	directA              bool
	chunkPanels, mChunks int // row chunks: chunkPanels panels of MR rows
	chunkQ, nChunks      int // column chunks within a block: chunkQ panels of NR
	// current block
	jc, nb, pc, kb int
	bp             []float32 // packed B block: ceil(nb/NR) panels of kb×NR
	load           int
	betaNow        float32
}

func sgemmBlocked(ar *gemmArch, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := ar.mr, ar.nr
	g := &gemmCall{ar: ar, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	g.directA = n <= gemmDirectN && m >= mr

	nkb := ceilDiv(k, gemmKC)
	kc := ceilDiv(k, nkb) // equal K blocks, a function of k only
	nc := min(roundUp(n, nr), max(nr, gemmNC/nr*nr))

	// Split rows into chunks of whole panels, a multiple of the thread
	// count when there is enough work. (The split never changes a result:
	// every tile is computed the same way whichever thread runs it.)
	procs := runtime.GOMAXPROCS(0)
	mPanels := ceilDiv(m, mr)
	mChunks := ceilDiv(mPanels, max(1, gemmMC/mr))
	if procs > 1 {
		mChunks = min(mPanels, roundUp(mChunks, procs))
	}
	g.chunkPanels = ceilDiv(mPanels, mChunks)
	g.mChunks = ceilDiv(mPanels, g.chunkPanels)
	ncPanels := ceilDiv(nc, nr)
	g.nChunks = 1
	if g.mChunks < 2*procs && procs > 1 {
		g.nChunks = min(ncPanels, ceilDiv(2*procs, g.mChunks))
	}
	g.chunkQ = ceilDiv(ncPanels, g.nChunks)

	bw := gemmBPool.Get().(*gemmWork)
	if need := kc * roundUp(nc, nr); cap(bw.a) < need {
		bw.a = make([]float32, need)
	}
	for jc := 0; jc < n; jc += nc {
		g.jc, g.nb = jc, min(nc, n-jc)
		nPanels := ceilDiv(g.nb, nr)
		for pc := 0; pc < k; pc += kc {
			g.pc, g.kb = pc, min(kc, k-pc)
			g.bp = bw.a[:g.kb*nPanels*nr]
			g.load, g.betaNow = 1, 1
			if pc == 0 {
				g.betaNow = beta
				if beta == 0 {
					g.load = 0
				}
			}
			ParallelFor(nPanels, Grain(g.kb*nr, 1<<15), g.packBPanels)
			nq := ceilDiv(nPanels, g.chunkQ)
			ParallelFor(g.mChunks*nq, 1, g.runTasks)
		}
	}
	gemmBPool.Put(bw)
}

var gemmBPool = sync.Pool{New: func() any { return new(gemmWork) }}

func (g *gemmCall) packBPanels(lo, hi int) {
	nr := g.ar.nr
	for q := lo; q < hi; q++ {
		j0 := g.jc + q*nr
		packB(g.transB, g.b, g.ldb, g.pc, g.kb, j0, min(nr, g.jc+g.nb-j0), nr, g.bp[q*g.kb*nr:(q+1)*g.kb*nr])
	}
}

// runTasks computes tasks [lo, hi): task t covers row chunk t/nq and
// column chunk t%nq of the current block.
func (g *gemmCall) runTasks(lo, hi int) {
	mr, nr := g.ar.mr, g.ar.nr
	nPanels := ceilDiv(g.nb, nr)
	nq := ceilDiv(nPanels, g.chunkQ)
	w := getWork(g.chunkPanels * mr * g.kb)
	for t := lo; t < hi; t++ {
		im, jq := t/nq, t%nq
		i0 := im * g.chunkPanels * mr
		i1 := min(g.m, i0+g.chunkPanels*mr)
		q0 := jq * g.chunkQ
		q1 := min(nPanels, q0+g.chunkQ)
		np := ceilDiv(i1-i0, mr)
		if g.directA {
			// Full panels are read in place; only a ragged last panel is
			// copied (zero-padded) so the kernel never reads past A.
			if rows := (i1 - i0) % mr; rows != 0 {
				last := i0 + (np-1)*mr
				packA(g.transA, g.a, g.lda, last, rows, g.pc, g.kb, mr, w.a[:mr*g.kb])
			}
		} else {
			for ip := 0; ip < np; ip++ {
				i := i0 + ip*mr
				packA(g.transA, g.a, g.lda, i, min(mr, i1-i), g.pc, g.kb, mr, w.a[ip*mr*g.kb:(ip+1)*mr*g.kb])
			}
		}
		if (g.directA && !gemmDirectJrOuter) || (!g.directA && gemmPackedIrOuter) {
			for ip := 0; ip < np; ip++ {
				as, rsa, csa, i, rows := g.panelA(w, i0, i1, ip)
				for q := q0; q < q1; q++ {
					g.tile(w, as, rsa, csa, q, i, rows)
				}
			}
			continue
		}
		for q := q0; q < q1; q++ {
			for ip := 0; ip < np; ip++ {
				as, rsa, csa, i, rows := g.panelA(w, i0, i1, ip)
				g.tile(w, as, rsa, csa, q, i, rows)
			}
		}
	}
	gemmWorkPool.Put(w)
}

// panelA locates panel ip of the row chunk [i0, i1): the slice and strides
// the kernel reads it with, its first row and its number of rows.
func (g *gemmCall) panelA(w *gemmWork, i0, i1, ip int) (as []float32, rsa, csa, i, rows int) {
	mr := g.ar.mr
	i = i0 + ip*mr
	rows = min(mr, i1-i)
	switch {
	case !g.directA:
		return w.a[ip*mr*g.kb:], 1, mr, i, rows
	case rows < mr:
		return w.a, 1, mr, i, rows
	case g.transA:
		return g.a[g.pc*g.lda+i:], 1, g.lda, i, rows
	default:
		return g.a[i*g.lda+g.pc:], g.lda, 1, i, rows
	}
}

// tile computes the rows×(up to NR) tile of C at row i, B panel q.
func (g *gemmCall) tile(w *gemmWork, as []float32, rsa, csa, q, i, rows int) {
	mr, nr := g.ar.mr, g.ar.nr
	j := g.jc + q*nr
	cols := min(nr, g.jc+g.nb-j)
	bp := g.bp[q*g.kb*nr:]
	if rows == mr && cols == nr {
		runKernel(g.ar, g.kb, as, rsa, csa, bp, g.c[i*g.ldc+j:], g.ldc, g.alpha, g.betaNow, g.load)
		return
	}
	t := w.tile[:mr*nr]
	runKernel(g.ar, g.kb, as, rsa, csa, bp, t, nr, 1, 0, 0)
	alpha, beta := g.alpha, g.betaNow
	for r := 0; r < rows; r++ {
		crow := g.c[(i+r)*g.ldc+j : (i+r)*g.ldc+j+cols]
		trow := t[r*nr : r*nr+cols]
		if g.load == 0 {
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

// sgemmScale sets C = beta*C (C = 0 when beta == 0, without reading C).
func sgemmScale(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(crow)
		} else if beta != 1 {
			for j := range crow {
				crow[j] *= beta
			}
		}
	}
}

// sgemmSmall handles tiny products with plain loops: packing and threads
// would cost more than the arithmetic.
func sgemmSmall(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ai, ap := lda, 1 // strides of A along i and p
	if transA {
		ai, ap = 1, lda
	}
	bp, bj := ldb, 1 // strides of B along p and j
	if transB {
		bp, bj = 1, ldb
	}
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for j := range crow {
			var s float32
			ia, ib := i*ai, j*bj
			for p := 0; p < k; p++ {
				s += a[ia] * b[ib]
				ia += ap
				ib += bp
			}
			if beta == 0 {
				crow[j] = alpha * s
			} else {
				crow[j] = alpha*s + beta*crow[j]
			}
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
func roundUp(a, b int) int { return ceilDiv(a, b) * b }

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
