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
	} else {
		for i := 0; i < batch; i++ {
			kernels.Sgemm(transA, transB, m, n, k, 1, A[i*m*k:], lda, B[i*bStride:], ldb, 0, C[i*m*n:], n)
		}
	}
	tp.record(op, out, []*Var{a, b}, func() {
		dC := out.Grad.Data
		dA, dB := grad(a), grad(b)
		if shared && !transA {
			matmulBackward(transA, transB, batch*m, n, k, A, B, dC, dA, dB)
			return
		}
		for i := 0; i < batch; i++ {
			var da, db []float32
			if dA != nil {
				da = dA[i*m*k:]
			}
			if dB != nil {
				db = dB[i*bStride:] // shared b: every batch adds into the same dB, in order
			}
			matmulBackward(transA, transB, m, n, k, A[i*m*k:], B[i*bStride:], dC[i*m*n:], da, db)
		}
	})
	return out
}

// matmulBackward accumulates the gradients of C = op(A)·op(B) (C is m×n,
// the inner size k) into dA and dB (either may be nil), in A's and B's
// stored layouts:
//
//	dop(A) = dC·op(B)ᵀ  and  dop(B) = op(A)ᵀ·dC,
//
// transposed back when the operand was stored transposed.
func matmulBackward(transA, transB bool, m, n, k int, A, B, dC, dA, dB []float32) {
	if dA != nil {
		switch {
		case !transA && !transB: // dA[m,k] += dC·Bᵀ, B is k×n
			kernels.Sgemm(false, true, m, k, n, 1, dC, n, B, n, 1, dA, k)
		case !transA && transB: // dA += dC·B, B stored n×k
			kernels.Sgemm(false, false, m, k, n, 1, dC, n, B, k, 1, dA, k)
		case transA && !transB: // dA[k,m] += B·dCᵀ
			kernels.Sgemm(false, true, k, m, n, 1, B, n, dC, n, 1, dA, m)
		default: // dA[k,m] += Bᵀ·dCᵀ, B stored n×k
			kernels.Sgemm(true, true, k, m, n, 1, B, k, dC, n, 1, dA, m)
		}
	}
	if dB != nil {
		switch {
		case !transB && !transA: // dB[k,n] += Aᵀ·dC, A is m×k
			kernels.Sgemm(true, false, k, n, m, 1, A, k, dC, n, 1, dB, n)
		case !transB && transA: // dB += A·dC, A stored k×m
			kernels.Sgemm(false, false, k, n, m, 1, A, m, dC, n, 1, dB, n)
		case transB && !transA: // dB[n,k] += dCᵀ·A
			kernels.Sgemm(true, false, n, k, m, 1, dC, n, A, k, 1, dB, k)
		default: // dB[n,k] += dCᵀ·Aᵀ, A stored k×m
			kernels.Sgemm(true, true, n, k, m, 1, dC, n, A, m, 1, dB, k)
		}
	}
}
