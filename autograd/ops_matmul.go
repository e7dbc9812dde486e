package autograd

import "github.com/resnorm/resnorm/internal/kernels"

// Matrix products through kernels.Sgemm, forward and backward.

// MatMul returns a·b; see MatMulT.
func (tp *Tape) MatMul(a, b *Var) *Var { return tp.MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b), where op transposes the last two axes when
// asked. Shapes: [M,K]·[K,N]; batched [...,M,K]·[...,K,N] with equal leading
// dimensions; or [...,M,K]·[K,N] (one b shared by the whole batch, as a Dense
// layer applied to [B,T,H]).
func (tp *Tape) MatMulT(a, b *Var, transA, transB bool) *Var {
	const op = "MatMulT"
	as, bs := a.Shape(), b.Shape()
	ra, rb := len(as), len(bs)
	if ra < 2 || rb < 2 {
		shapePanic(op, "needs operands of rank >= 2, got %v and %v", as, bs)
	}
	m, k := as[ra-2], as[ra-1]
	if transA {
		m, k = k, m
	}
	kb, n := bs[rb-2], bs[rb-1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		shapePanic(op, "inner dimensions differ: %v (transA=%v) · %v (transB=%v) gives K=%d vs %d", as, transA, bs, transB, k, kb)
	}
	shared := rb == 2 && ra > 2
	if !shared {
		if ra != rb {
			shapePanic(op, "batched operands need equal ranks (or b of rank 2), got %v and %v", as, bs)
		}
		for i := 0; i < ra-2; i++ {
			if as[i] != bs[i] {
				shapePanic(op, "batch dimensions differ: %v and %v", as, bs)
			}
		}
	}
	batch := 1
	for _, d := range as[:ra-2] {
		batch *= d
	}
	var sb [4]int
	outShape := append(append(sb[:0], as[:ra-2]...), m, n)
	out := tp.newVarUninit(outShape...) // every GEMM has beta = 0: it writes all of C
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	A, B, C := a.Value.Data, b.Value.Data, out.Value.Data
	bStride := k * n
	if shared {
		bStride = 0
	}
	if shared && !transA { // one GEMM over all batch·M rows
		kernels.Sgemm(false, transB, batch*m, n, k, 1, A, lda, B, ldb, 0, C, n)
	} else { // small products run one per thread, in parallel over the batch
		kernels.SgemmBatched(batch, transA, transB, m, n, k, 1, A, lda, m*k, B, ldb, bStride, 0, C, n, m*n)
	}
	tp.record(op, out, []*Var{a, b}, func() {
		dC := out.Grad.Data
		// A gradient with no buffer yet is written (beta 0), not added to.
		// (With a == b the second call finds the buffer the first made.)
		dA, freshA := gradForWrite(a)
		dB, freshB := gradForWrite(b)
		if shared && !transA {
			matmulBackward(1, transA, transB, batch*m, n, k, A, B, 0, dC, dA, dB, freshA, freshB)
			return
		}
		matmulBackward(batch, transA, transB, m, n, k, A, B, bStride, dC, dA, dB, freshA, freshB)
	})
	return out
}

// matmulBackward accumulates the gradients of the batch products C_i =
// op(A_i)·op(B_i) (C_i is m×n, the inner size k; A_i, C_i and dA_i, dC_i
// packed one after another, B_i at i·sB, sB = 0 for one shared B) into dA
// and dB (either may be nil), in A's and B's stored layouts:
//
//	dop(A) = dC·op(B)ᵀ  and  dop(B) = op(A)ᵀ·dC,
//
// transposed back when the operand was stored transposed. A shared B sums
// every product's contribution into one dB, one product after another.
// freshA (freshB) says dA (dB) holds garbage to overwrite rather than add
// to; with a == b only the first may be fresh, and dA is done first.
func matmulBackward(batch int, transA, transB bool, m, n, k int, A, B []float32, sB int, dC, dA, dB []float32, freshA, freshB bool) {
	sA, sC := m*k, m*n
	if dA != nil {
		bA := betaFor(freshA)
		switch {
		case !transA && !transB: // dA[m,k] += dC·Bᵀ, B is k×n
			kernels.SgemmBatched(batch, false, true, m, k, n, 1, dC, n, sC, B, n, sB, bA, dA, k, sA)
		case !transA && transB: // dA += dC·B, B stored n×k
			kernels.SgemmBatched(batch, false, false, m, k, n, 1, dC, n, sC, B, k, sB, bA, dA, k, sA)
		case transA && !transB: // dA[k,m] += B·dCᵀ
			kernels.SgemmBatched(batch, false, true, k, m, n, 1, B, n, sB, dC, n, sC, bA, dA, m, sA)
		default: // dA[k,m] += Bᵀ·dCᵀ, B stored n×k
			kernels.SgemmBatched(batch, true, true, k, m, n, 1, B, k, sB, dC, n, sC, bA, dA, m, sA)
		}
	}
	if dB == nil {
		return
	}
	items, sdB := batch, k*n
	if sB == 0 { // shared B: the products add into one dB, in order
		items, sdB = 1, 0
	}
	for i := 0; i < batch; i += items {
		a, dc, db := A[i*sA:], dC[i*sC:], dB[i*sdB:]
		bB := betaFor(freshB && i == 0) // a shared dB is written by the first product only
		switch {
		case !transB && !transA: // dB[k,n] += Aᵀ·dC, A is m×k
			kernels.SgemmBatched(items, true, false, k, n, m, 1, a, k, sA, dc, n, sC, bB, db, n, sdB)
		case !transB && transA: // dB += A·dC, A stored k×m
			kernels.SgemmBatched(items, false, false, k, n, m, 1, a, m, sA, dc, n, sC, bB, db, n, sdB)
		case transB && !transA: // dB[n,k] += dCᵀ·A
			kernels.SgemmBatched(items, true, false, n, k, m, 1, dc, n, sC, a, k, sA, bB, db, k, sdB)
		default: // dB[n,k] += dCᵀ·Aᵀ, A stored k×m
			kernels.SgemmBatched(items, true, true, n, k, m, 1, dc, n, sC, a, m, sA, bB, db, k, sdB)
		}
	}
}

// Linear returns x·w + b for x [..., K], w [K, N] and b [N] (nil for no
// bias): a Dense layer as one op. The bias seeds the output and the GEMM
// adds onto it, and the backward pass reads dy directly (dx = dy·wᵀ,
// dw = xᵀ·dy, db = column sums of dy), so neither direction spends a pass
// over the output on a separate bias add.
func (tp *Tape) Linear(x, w, b *Var) *Var {
	const op = "Linear"
	xs, ws := x.Shape(), w.Shape()
	if len(xs) < 1 || len(ws) != 2 {
		shapePanic(op, "needs x [..., K] and a kernel [K, N], got %v and %v", xs, ws)
	}
	k, n := ws[0], ws[1]
	if xs[len(xs)-1] != k {
		shapePanic(op, "input %v has %d features but kernel %v expects %d", xs, xs[len(xs)-1], ws, k)
	}
	if b != nil && (len(b.Shape()) != 1 || b.Shape()[0] != n) {
		shapePanic(op, "bias %v does not match kernel %v (want [%d]); input %v", b.Shape(), ws, n, xs)
	}
	m := 1 // rows of x viewed as [m, K] (not Numel/K: K may be 0)
	for _, d := range xs[:len(xs)-1] {
		m *= d
	}
	var sb [4]int
	outShape := append(append(sb[:0], xs[:len(xs)-1]...), n)
	out := tp.newVarUninit(outShape...) // written whole: by the bias rows, or by the beta = 0 GEMM
	X, W, Y := x.Value.Data, w.Value.Data, out.Value.Data
	beta := float32(0)
	inputs := append(make([]*Var, 0, 3), x, w)
	if b != nil {
		kernels.FillRows(Y, b.Value.Data, m)
		beta = 1
		inputs = append(inputs, b)
	}
	kernels.Sgemm(false, false, m, n, k, 1, X, k, W, n, beta, Y, n)
	tp.record(op, out, inputs, func() {
		dY := out.Grad.Data
		if b != nil {
			if db := grad(b); db != nil {
				kernels.ColSumsAcc(db, dY, m, n)
			}
		}
		// dx before dw: with x == w (a square self-product) the second
		// call finds the buffer the first made and adds to it.
		if dX, fresh := gradForWrite(x); dX != nil {
			kernels.Sgemm(false, true, m, k, n, 1, dY, n, W, n, betaFor(fresh), dX, k)
		}
		if dW, fresh := gradForWrite(w); dW != nil {
			kernels.Sgemm(true, false, k, n, m, 1, X, k, dY, n, betaFor(fresh), dW, n)
		}
	})
	return out
}

// betaFor is the GEMM beta that writes a fresh gradient buffer (0) or adds
// to an existing one (1).
func betaFor(fresh bool) float32 {
	if fresh {
		return 0
	}
	return 1
}
