package kernels

// Embedding lookup: a gather of table rows and its scatter-add backward.

// EmbeddingForward copies row ids[i] of table [V, d] into out[i] for each i.
// The ids must already be checked to lie in [0, V).
func EmbeddingForward(out, table []float32, ids []int, d int) {
	ParallelFor(len(ids), Grain(d, elemGrain), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			copy(out[i*d:i*d+d], table[ids[i]*d:ids[i]*d+d])
		}
	})
}

// EmbeddingBackward adds dout[i] into row ids[i] of dtable. A repeated id
// collects several rows, so rows are added in order of i; the columns are
// split among goroutines instead (each column's sum keeps that order).
func EmbeddingBackward(dtable, dout []float32, ids []int, d int) {
	ParallelFor(d, Grain(len(ids), elemGrain), func(lo, hi int) {
		for i, id := range ids {
			src := dout[i*d+lo : i*d+hi]
			dst := dtable[id*d+lo : id*d+hi]
			for j, v := range src {
				dst[j] += v
			}
		}
	})
}
