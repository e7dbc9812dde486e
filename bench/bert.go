// Package bench holds resnorm's end-to-end benchmarks: the workloads that
// bench/torch_e2e.py runs in PyTorch, the same shapes and settings on both
// sides, so that `go run ./bench/cmd/compare` can time them side by side.
// The kernel-level benchmarks live beside the kernels (internal/kernels).
//
// The workloads are plain functions here (not only benchmarks) so that the
// benchmarks, the peak-RSS runner (bench/cmd/cnnrun) and the quick tests
// share one definition.
package bench

import (
	"math"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

// BERTLayer is one BERT encoder layer (Post-LN, as in the BERT paper),
// composed from autograd ops until resnorm has a dedicated Transformer
// layer:
//
//	a = LayerNorm(x + Dense_o(Attention(Dense_q x, Dense_k x, Dense_v x)))
//	y = LayerNorm(a + Dense_2(GELU(Dense_1 a)))
//
// No dropout (both sides of the comparison leave it out). Weights are laid
// out [in, out] as resnorm's Dense keeps them.
type BERTLayer struct {
	Hidden, Heads, Inter int

	Wq, Bq, Wk, Bk, Wv, Bv, Wo, Bo *autograd.Var
	LN1g, LN1b                     *autograd.Var
	W1, B1, W2, B2                 *autograd.Var
	LN2g, LN2b                     *autograd.Var
}

// BERTMini* are the shapes of the benchmarked layer: BERT-mini's hidden
// size, heads and intermediate size, batch 16 × 128 tokens.
const (
	BERTMiniHidden = 256
	BERTMiniHeads  = 4
	BERTMiniInter  = 1024
	BERTBatch      = 16
	BERTSeq        = 128
)

// bertLNEps is BERT's LayerNorm epsilon.
const bertLNEps = 1e-12

// NewBERTLayer returns a layer with BERT's initialisation from a seeded RNG:
// weights N(0, 0.02²), biases 0, LayerNorm gamma 1 and beta 0.
func NewBERTLayer(hidden, heads, inter int, seed uint64) *BERTLayer {
	if heads <= 0 || hidden%heads != 0 {
		panic("bench: BERT hidden size must be a multiple of the number of heads")
	}
	rng := tensor.NewRNG(seed)
	w := func(name string, in, out int) *autograd.Var {
		return autograd.NewParam(tensor.RandNormal(rng, 0, 0.02, in, out), name)
	}
	b := func(name string, n int) *autograd.Var {
		return autograd.NewParam(tensor.Zeros(n), name)
	}
	one := func(name string, n int) *autograd.Var {
		return autograd.NewParam(tensor.Ones(n), name)
	}
	return &BERTLayer{
		Hidden: hidden, Heads: heads, Inter: inter,
		Wq: w("query/kernel", hidden, hidden), Bq: b("query/bias", hidden),
		Wk: w("key/kernel", hidden, hidden), Bk: b("key/bias", hidden),
		Wv: w("value/kernel", hidden, hidden), Bv: b("value/bias", hidden),
		Wo: w("attention_output/kernel", hidden, hidden), Bo: b("attention_output/bias", hidden),
		LN1g: one("attention_norm/gamma", hidden), LN1b: b("attention_norm/beta", hidden),
		W1: w("intermediate/kernel", hidden, inter), B1: b("intermediate/bias", inter),
		W2: w("output/kernel", inter, hidden), B2: b("output/bias", hidden),
		LN2g: one("output_norm/gamma", hidden), LN2b: b("output_norm/beta", hidden),
	}
}

// Params returns the layer's trainable parameters.
func (l *BERTLayer) Params() []*autograd.Var {
	return []*autograd.Var{
		l.Wq, l.Bq, l.Wk, l.Bk, l.Wv, l.Bv, l.Wo, l.Bo, l.LN1g, l.LN1b,
		l.W1, l.B1, l.W2, l.B2, l.LN2g, l.LN2b,
	}
}

// Forward runs the layer on x [B, T, Hidden] with an additive attention
// mask broadcastable to [B, Heads, T, T] (e.g. [B, 1, 1, T]: 0 to attend,
// a large negative number to mask a key).
func (l *BERTLayer) Forward(tp *autograd.Tape, x, mask *autograd.Var) *autograd.Var {
	s := x.Shape()
	bsz, t := s[0], s[1]
	dh := l.Hidden / l.Heads
	dense := tp.Linear                             // x·w + b as one op, like torch's addmm
	heads := func(v *autograd.Var) *autograd.Var { // [B,T,H] → [B,heads,T,dh]
		return tp.Permute(tp.Reshape(v, bsz, t, l.Heads, dh), 0, 2, 1, 3)
	}
	q := heads(dense(x, l.Wq, l.Bq))
	k := heads(dense(x, l.Wk, l.Bk))
	v := heads(dense(x, l.Wv, l.Bv))
	scores := tp.MulScalar(tp.MatMulT(q, k, false, true), float32(1/math.Sqrt(float64(dh))))
	p := tp.Softmax(tp.Add(scores, mask))
	ctx := tp.Reshape(tp.Permute(tp.MatMul(p, v), 0, 2, 1, 3), bsz, t, l.Hidden)
	a := tp.LayerNorm(tp.Add(x, dense(ctx, l.Wo, l.Bo)), l.LN1g, l.LN1b, 1, bertLNEps)
	f := dense(tp.GELU(dense(a, l.W1, l.B1)), l.W2, l.B2)
	return tp.LayerNorm(tp.Add(a, f), l.LN2g, l.LN2b, 1, bertLNEps)
}
