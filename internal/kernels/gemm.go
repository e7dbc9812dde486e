package kernels

import (
	"fmt"
	"runtime"
	"sync"
)

// SGEMM, BLIS style. For each block of columns, B is packed once for all
// of K into panels of NR columns, shared by all threads; then each thread
// takes chunks of whole MR-row panels of C and runs the K blocks over them
// in order, so threads never wait for each other inside the K loop. A is
// read in place where it can be (untransposed, or C is narrow) and packed
// into MR-row panels otherwise. A register-tiled micro-kernel (assembly on
// amd64, chosen from the CPU's features; Go elsewhere) computes each MR×NR
// tile of C. The K blocks depend only on k and a thread always owns whole
// tiles, so every element of C is summed in the same order for any
// GOMAXPROCS.

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
	// The assembly kernels do not bounds-check: check the operands once.
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
	if k == 0 || alpha == 0 {
		sgemmScale(m, n, beta, c, ldc)
		return
	}
	if m*n*k <= gemmSmallWork {
		sgemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmBlocked(gemmFor(m, n), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmFor picks the micro-kernel for an m×n product: the one that takes
// the least time for its padded tiles, roundUp(m, MR)·roundUp(n, NR)/speed
// (ties go to the first, the widest). Where AVX-512 runs at full width its
// kernel wins on nearly every shape; where it is split in halves (Zen 4)
// it is only ~12% faster than AVX2, and the 6×16 AVX2 tile wins when it
// pads much less — a classifier's 10 outputs fill 10 of the AVX-512 tile's
// 32 columns but 10 of 16 of the AVX2 tile's. The choice depends on the
// shape and the CPU only, so results stay the same for any GOMAXPROCS.
func gemmFor(m, n int) *gemmArch {
	best, bestCost := gemmBest, 0.0
	for i, ar := range gemmAll {
		cost := float64(roundUp(m, ar.mr)) * float64(roundUp(n, ar.nr)) / ar.speed
		if i == 0 || cost < bestCost {
			best, bestCost = ar, cost
		}
	}
	return best
}

// checkMatrix panics unless s holds a rows×cols matrix with row stride ld.
func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels.Sgemm: %s is %d×%d: negative size", name, rows, cols))
	}
	if ld < cols {
		panic(fmt.Sprintf("kernels.Sgemm: %s is %d×%d but its row stride is %d", name, rows, cols, ld))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels.Sgemm: %s is %d×%d with row stride %d, needs %d floats, has %d", name, rows, cols, ld, (rows-1)*ld+cols, len(s)))
	}
}

// Blocking parameters, tuned on a 2-core AVX-512 machine (Zen 4: 32 KiB
// L1d, 1 MiB L2 per core). KC from paired A/B runs (calls alternated in one
// process): 1024 beats 384 by 4-6% on 1024³, 2048³ and 2048×3072×768, by
// 10% on 8192×64×576, and is within 1% elsewhere — fewer K blocks mean
// fewer passes over C and fewer A packings, and the kernel streams its
// longer panels from L2 without loss; 512 and 768 lie between, 128-256
// lose 1-6%. MC 504 beat 126-1008 with it. Two row chunks per thread beat
// four.
var (
	gemmKC              = 1024    // depth of a K block (upper bound)
	gemmMC              = 504     // rows of A per chunk (upper bound)
	gemmBPackMax        = 1 << 21 // floats of B packed at once (K × column block)
	gemmChunksPerThread = 2       // row chunks per thread, at least
	gemmSerialWork      = 1 << 18 // m*n*k at or below this: one thread
	gemmSmallWork       = 512     // m*n*k at or below this: plain loops, no packing
	gemmDirectN         = 128     // transposed A is read in place when n is at most this
	gemmIrOuterMaxQ     = 4       // A panel outer loop when a task has at most this many B panels
	gemmAll             = gemmArchs()
	gemmBest            = gemmAll[0]
)

type kernKind int

const (
	kernGo kernKind = iota
	kernAVX512
	kernAVX2
)

// gemmArch is a micro-kernel, its tile shape and its speed: the float32
// multiply-adds per cycle it sustains on a whole tile, relative to the
// other kernels (gemmFor weighs padding against it).
type gemmArch struct {
	name   string
	mr, nr int
	kind   kernKind
	speed  float64
}

var gemmGo = &gemmArch{name: "go-4x16", mr: 4, nr: 16, kind: kernGo, speed: 1}

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
	src                  RowSource // A's rows come from here (SgemmRows); nil: from a
	lds                  int       // row stride of src's rows in the work buffer
	kc                   int       // depth of the K blocks (the last may be shorter)
	chunkPanels, mChunks int       // row chunks: chunkPanels panels of MR rows
	chunkQ, nq           int       // column chunks of a block: chunkQ panels of NR
	// current column block [jc, jc+nb), nbPad = nb rounded up to NR
	jc, nb, nbPad int
	// bp is B packed for the column block and rows [ks0, ks1) of K: the K
	// block at pc holds nbPad/NR panels of kb×NR floats from
	// bp[(pc-ks0)*nbPad].
	ks0, ks1         int
	bp               []float32
	packBFn, tasksFn func(lo, hi int) // g.packBPanels, g.runTasks
}

var gemmCallPool = sync.Pool{New: func() any { return new(gemmCall) }}

// kblock is one K block of a task: rows [pc, pc+kb) of op(B), packed in
// bp, and how to combine the product with C.
type kblock struct {
	pc, kb int
	bp     []float32
	load   int // 0: C = alpha*AB; 1: C = alpha*AB + beta*C
	beta   float32
}

// RowSource is a matrix that is never stored whole, for SgemmRows: Rows
// writes its rows [i0, i0+rows) restricted to columns [pc, pc+kb) into
// dst, row-major with row stride lds (dst[r*lds + p] = A[i0+r][pc+p]).
// It is called from several goroutines at once, on disjoint rows.
type RowSource interface {
	Rows(dst []float32, lds, i0, rows, pc, kb int)
}

// SgemmRows is Sgemm with op(A) (m×k) supplied by src a block of rows at a
// time: each thread has src write the rows of its chunk, one K block at a
// time, into a buffer that stays in cache, and the micro-kernel reads
// them from there. A convolution's column matrix is used this way without
// ever being written out. The summation order is Sgemm's, so results do
// not depend on GOMAXPROCS.
func SgemmRows(src RowSource, transB bool, m, n, k int, alpha float32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
	if k == 0 || alpha == 0 {
		sgemmScale(m, n, beta, c, ldc)
		return
	}
	sgemmRun(gemmFor(m, n), src, false, transB, m, n, k, alpha, nil, 0, b, ldb, beta, c, ldc)
}

func sgemmBlocked(ar *gemmArch, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmRun(ar, nil, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmRun is the blocked SGEMM of A, or of src's rows when src != nil.
func sgemmRun(ar *gemmArch, src RowSource, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := ar.mr, ar.nr
	g := gemmCallPool.Get().(*gemmCall)
	defer gemmCallPool.Put(g)
	if g.packBFn == nil { // method values made once per pooled call, not per call
		g.packBFn, g.tasksFn = g.packBPanels, g.runTasks
	}
	g.ar, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta = ar, transA, transB, m, n, k, alpha, beta
	g.a, g.b, g.c, g.lda, g.ldb, g.ldc, g.src = a, b, c, lda, ldb, ldc, src
	defer func() { g.a, g.b, g.c, g.bp, g.src = nil, nil, nil, nil, nil }() // do not pin the caller's data
	// A is read in place when that beats packing: always for narrow C (few
	// B panels reuse each A panel), and untransposed A unless its rows are
	// a multiple of 2 KiB apart (they would collide in the L1 sets).
	g.directA = src == nil && m >= mr && (n <= gemmDirectN || !transA && lda%512 != 0)

	nkb := ceilDiv(k, gemmKC)
	g.kc = ceilDiv(k, nkb) // equal K blocks, a function of k only
	// src's rows go into the work buffer lds apart: kc, unless that is a
	// multiple of 2 KiB (the rows would collide in the L1 sets).
	g.lds = g.kc
	if g.lds%512 == 0 {
		g.lds += 16
	}
	// B is packed for all of K at once, so threads never wait for each
	// other inside the K loop; the column block is bounded in memory.
	nc := min(roundUp(n, nr), max(nr, gemmBPackMax/k/nr*nr))

	// Split rows into chunks of whole panels, two or more per thread so a
	// thread slowed by other work gets fewer. (The split never changes a
	// result: every tile is computed the same way whichever thread runs
	// it.)
	procs := runtime.GOMAXPROCS(0)
	if m*n*k <= gemmSerialWork {
		procs = 1 // waking a second thread costs more than it saves
	}
	mPanels := ceilDiv(m, mr)
	mChunks := ceilDiv(mPanels, max(1, gemmMC/mr))
	if procs > 1 {
		mChunks = min(mPanels, max(roundUp(mChunks, procs), gemmChunksPerThread*procs))
	}
	g.chunkPanels = ceilDiv(mPanels, mChunks)
	g.mChunks = ceilDiv(mPanels, g.chunkPanels)
	ncPanels := ceilDiv(nc, nr)
	nChunks := 1
	if g.mChunks < gemmChunksPerThread*procs {
		nChunks = min(ncPanels, ceilDiv(gemmChunksPerThread*procs, g.mChunks))
	}
	g.chunkQ = ceilDiv(ncPanels, nChunks)

	// K is cut into super-blocks of whole K blocks so the packed B stays
	// bounded for huge k; each is a pass over C (rarely more than one).
	kSuper := max(g.kc, gemmBPackMax/nr/g.kc*g.kc)
	bw := gemmBPool.Get().(*gemmWork)
	if need := min(k, kSuper) * roundUp(nc, nr); cap(bw.a) < need {
		bw.a = make([]float32, need)
	}
	for jc := 0; jc < n; jc += nc {
		g.jc, g.nb = jc, min(nc, n-jc)
		g.nbPad = roundUp(g.nb, nr)
		nPanels := g.nbPad / nr
		g.nq = ceilDiv(nPanels, g.chunkQ)
		for ks := 0; ks < k; ks += kSuper {
			g.ks0, g.ks1 = ks, min(k, ks+kSuper)
			g.bp = bw.a[:(g.ks1-g.ks0)*g.nbPad]
			units := ceilDiv(g.ks1-g.ks0, g.kc) * nPanels
			if procs == 1 {
				g.packBPanels(0, units)
				g.runTasks(0, g.mChunks*g.nq)
				continue
			}
			ParallelFor(units, Grain(g.kc*nr, 1<<15), g.packBFn)
			ParallelFor(g.mChunks*g.nq, 1, g.tasksFn)
		}
	}
	gemmBPool.Put(bw)
}

var gemmBPool = sync.Pool{New: func() any { return new(gemmWork) }}

// packBPanels packs units [lo, hi) of the current column block; unit u is
// panel u%nPanels of K block u/nPanels.
func (g *gemmCall) packBPanels(lo, hi int) {
	nr := g.ar.nr
	nPanels := g.nbPad / nr
	for u := lo; u < hi; u++ {
		pc, q := g.ks0+u/nPanels*g.kc, u%nPanels
		kb := min(g.kc, g.k-pc)
		j0 := g.jc + q*nr
		o := (pc-g.ks0)*g.nbPad + q*kb*nr
		packB(g.transB, g.b, g.ldb, pc, kb, j0, min(nr, g.jc+g.nb-j0), nr, g.bp[o:o+kb*nr])
	}
}

// runTasks computes tasks [lo, hi) of the current column block and K
// super-block: task t covers row chunk t/nq and column chunk t%nq.
func (g *gemmCall) runTasks(lo, hi int) {
	mr := g.ar.mr
	nPanels := g.nbPad / g.ar.nr
	w := getWork(g.chunkPanels * mr * max(g.kc, g.lds))
	for t := lo; t < hi; t++ {
		im, jq := t/g.nq, t%g.nq
		i0 := im * g.chunkPanels * mr
		i1 := min(g.m, i0+g.chunkPanels*mr)
		q0 := jq * g.chunkQ
		q1 := min(nPanels, q0+g.chunkQ)
		for pc := g.ks0; pc < g.ks1; pc += g.kc {
			kb := min(g.kc, g.k-pc)
			o := (pc - g.ks0) * g.nbPad
			blk := kblock{pc: pc, kb: kb, bp: g.bp[o : o+kb*g.nbPad], load: 1, beta: 1}
			if pc == 0 {
				blk.beta = g.beta
				if g.beta == 0 {
					blk.load = 0
				}
			}
			g.runBlock(w, &blk, i0, i1, q0, q1)
		}
	}
	gemmWorkPool.Put(w)
}

// runBlock computes rows [i0, i1) × B panels [q0, q1) for one K block.
func (g *gemmCall) runBlock(w *gemmWork, blk *kblock, i0, i1, q0, q1 int) {
	mr := g.ar.mr
	np := ceilDiv(i1-i0, mr)
	if g.src != nil {
		// Each panel's rows, row-major; a ragged last panel's missing
		// rows are zero (the kernel computes all MR).
		for ip := 0; ip < np; ip++ {
			i := i0 + ip*mr
			rows := min(mr, i1-i)
			d := w.a[ip*mr*g.lds : (ip+1)*mr*g.lds]
			g.src.Rows(d, g.lds, i, rows, blk.pc, blk.kb)
			for r := rows; r < mr; r++ {
				clear(d[r*g.lds : r*g.lds+blk.kb])
			}
		}
	} else if g.directA {
		// Full panels are read in place; only a ragged last panel is
		// copied (zero-padded) so the kernel never reads past A.
		if rows := (i1 - i0) % mr; rows != 0 {
			packA(g.transA, g.a, g.lda, i0+(np-1)*mr, rows, blk.pc, blk.kb, mr, w.a[:mr*blk.kb])
		}
	} else {
		full := 0 // panels packed by the assembly packer
		if g.transA && packATransAsm(g.ar, g.a, g.lda, i0, (i1-i0)/mr, blk.pc, blk.kb, w.a) {
			full = (i1 - i0) / mr
		}
		for ip := full; ip < np; ip++ {
			i := i0 + ip*mr
			d := w.a[ip*mr*blk.kb : (ip+1)*mr*blk.kb]
			if g.transA || i1-i < mr || !packAAsm(g.ar, g.a, g.lda, i, blk.pc, blk.kb, d) {
				packA(g.transA, g.a, g.lda, i, min(mr, i1-i), blk.pc, blk.kb, mr, d)
			}
		}
	}
	// With few B panels keep each A panel in L1 across them; with many,
	// keep a B panel in L1 across the A panels.
	if q1-q0 <= gemmIrOuterMaxQ {
		for ip := 0; ip < np; ip++ {
			as, rsa, csa, i, rows := g.panelA(w, blk, i0, i1, ip)
			for q := q0; q < q1; q++ {
				g.tile(w, blk, as, rsa, csa, q, i, rows)
			}
		}
		return
	}
	for q := q0; q < q1; q++ {
		for ip := 0; ip < np; ip++ {
			as, rsa, csa, i, rows := g.panelA(w, blk, i0, i1, ip)
			g.tile(w, blk, as, rsa, csa, q, i, rows)
		}
	}
}

// panelA locates panel ip of the row chunk [i0, i1): the slice and strides
// the kernel reads it with, its first row and its number of rows.
func (g *gemmCall) panelA(w *gemmWork, blk *kblock, i0, i1, ip int) (as []float32, rsa, csa, i, rows int) {
	mr := g.ar.mr
	i = i0 + ip*mr
	rows = min(mr, i1-i)
	switch {
	case g.src != nil:
		return w.a[ip*mr*g.lds:], g.lds, 1, i, rows
	case !g.directA:
		return w.a[ip*mr*blk.kb:], 1, mr, i, rows
	case rows < mr:
		return w.a, 1, mr, i, rows
	case g.transA:
		return g.a[blk.pc*g.lda+i:], 1, g.lda, i, rows
	default:
		return g.a[i*g.lda+blk.pc:], g.lda, 1, i, rows
	}
}

// tile computes the rows×(up to NR) tile of C at row i, B panel q.
func (g *gemmCall) tile(w *gemmWork, blk *kblock, as []float32, rsa, csa, q, i, rows int) {
	mr, nr := g.ar.mr, g.ar.nr
	j := g.jc + q*nr
	cols := min(nr, g.jc+g.nb-j)
	bp := blk.bp[q*blk.kb*nr:]
	if rows == mr && cols == nr {
		runKernel(g.ar, blk.kb, as, rsa, csa, bp, g.c[i*g.ldc+j:], g.ldc, g.alpha, blk.beta, blk.load)
		return
	}
	t := w.tile[:mr*nr]
	runKernel(g.ar, blk.kb, as, rsa, csa, bp, t, nr, 1, 0, 0)
	alpha, beta := g.alpha, blk.beta
	for r := 0; r < rows; r++ {
		crow := g.c[(i+r)*g.ldc+j : (i+r)*g.ldc+j+cols]
		trow := t[r*nr : r*nr+cols]
		if blk.load == 0 {
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
