package autograd

import (
	"slices"

	"github.com/resnorm/resnorm/internal/kernels"
	"github.com/resnorm/resnorm/tensor"
)

// Dropout and embedding lookup.

// Dropout zeroes each element with probability rate and scales survivors by
// 1/(1-rate) (inverted dropout), drawing from rng. It is the identity when
// the tape is not in training mode or rate is 0. A rate outside [0, 1)
// panics with a ShapeError (a programmer error, like a bad shape).
func (tp *Tape) Dropout(x *Var, rate float32, rng *tensor.RNG) *Var {
	if !(rate >= 0 && rate < 1) {
		shapePanic("Dropout", "rate %g outside [0, 1) for input %v", rate, x.Shape())
	}
	if !tp.Training || rate == 0 {
		return x
	}
	if rng == nil {
		shapePanic("Dropout", "nil RNG in training mode for input %v", x.Shape())
	}
	// The mask holds 0 or 1/(1-rate); it is drawn serially so that the same
	// RNG state gives the same mask on any number of threads.
	mask := tp.allocUninit(x.Value.Numel())
	keep := 1 / (1 - rate)
	for i := range mask {
		mask[i] = 0
		if rng.Float64() >= float64(rate) {
			mask[i] = keep
		}
	}
	out := tp.newVar(x.Shape()...) // zeroed: MulAcc adds onto it
	kernels.MulAcc(out.Value.Data, x.Value.Data, mask)
	tp.record("Dropout", out, []*Var{x}, func() {
		if gx := grad(x); gx != nil {
			kernels.MulAcc(gx, out.Grad.Data, mask)
		}
	})
	return out
}

// Embedding gathers rows of table [V, D] for ids, returning idsShape + [D];
// its backward scatter-adds into the table's gradient. An id outside [0, V)
// panics with a ShapeError naming it.
func (tp *Tape) Embedding(table *Var, ids []int, idsShape []int) *Var {
	ts := table.Shape()
	if len(ts) != 2 {
		shapePanic("Embedding", "table must be [V, D], got %v", ts)
	}
	if slices.ContainsFunc(idsShape, func(d int) bool { return d < 0 }) || tensor.Numel(idsShape) != len(ids) {
		shapePanic("Embedding", "%d ids do not fill ids shape %v", len(ids), idsShape)
	}
	v, d := ts[0], ts[1]
	for i, id := range ids {
		if id < 0 || id >= v {
			shapePanic("Embedding", "id %d at position %d is outside [0, %d) for table %v", id, i, v, ts)
		}
	}
	ids = tp.copyInts(ids) // the caller may reuse its slice before Backward
	// EmbeddingForward copies a row into every position.
	out := tp.newVarUninit(append(append([]int(nil), idsShape...), d)...)
	kernels.EmbeddingForward(out.Value.Data, table.Value.Data, ids, d)
	tp.record("Embedding", out, []*Var{table}, func() {
		if gt := grad(table); gt != nil {
			kernels.EmbeddingBackward(gt, out.Grad.Data, ids, d)
		}
	})
	return out
}
