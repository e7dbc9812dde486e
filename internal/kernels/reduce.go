package kernels

// Reductions: summing over any set of axes, which is also how a gradient
// is summed back over the axes an operand was broadcast along. The summing
// order of each output element is fixed (row-major over the input), so
// results do not depend on the thread count.

// SumInto accumulates alpha·src into dst, where src is contiguous over shape
// and element i goes to dst[Σ idx_k·ds_k]; ds has 0 on the axes summed away.
// It undoes a broadcast (ds = the broadcast strides of dst's shape) and
// implements Sum over any set of axes. Each dst element is summed in
// row-major order of src, whatever the thread count.
func SumInto(dst, src []float32, shape, ds []int, alpha float32) {
	if len(src) == 0 {
		return // an empty sum adds nothing
	}
	ss := make([]int, len(shape)) // contiguous strides of src
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		ss[i] = s
		s *= shape[i]
	}
	ms, st := mergeAxes(shape, ss, ds)
	d := len(ms)
	switch {
	case d == 0:
		dst[0] += alpha * src[0]
		return
	case d == 1 && st[1][0] == 0: // everything into one element
		dst[0] += alpha * sumRow(src[:ms[0]])
		return
	case d == 1: // same layout: dst += alpha·src
		Axpy(dst[:ms[0]], alpha, src[:ms[0]])
		return
	case d == 2 && st[1][1] == 0: // [kept, summed]: row sums
		n, rs := ms[1], st[1][0]
		ParallelFor(ms[0], Grain(n, elemGrain), func(lo, hi int) {
			for r := lo; r < hi; r++ {
				dst[r*rs] += alpha * sumRow(src[r*n:r*n+n])
			}
		})
		return
	case d == 2 && st[1][0] == 0: // [summed, kept]: column sums
		rows, n := ms[0], ms[1]
		ParallelFor(n, Grain(rows, elemGrain), func(lo, hi int) {
			colSums(dst[lo:hi], src, rows, n, lo, alpha)
		})
		return
	case d == 3 && st[1][1] == 0 && st[1][2] == 1: // [kept, summed, kept]
		rows, n, os := ms[1], ms[2], st[1][0]
		ParallelFor(ms[0], Grain(rows*n, elemGrain), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				colSums(dst[o*os:o*os+n], src[o*rows*n:], rows, n, 0, alpha)
			}
		})
		return
	}
	// Anything else: one pass in src order (serial, so deterministic).
	n := ms[d-1]
	ls := st[1][d-1]
	rows := len(src) / n
	for r := 0; r < rows; r++ {
		off := rowOffset(r, ms, st[1])
		row := src[r*n : r*n+n]
		if ls == 0 {
			dst[off] += alpha * sumRow(row)
			continue
		}
		for j, v := range row {
			dst[off+j*ls] += alpha * v
		}
	}
}

// colSums adds alpha·Σ_r src[r·n+c0+j] to dst[j] for each j, summing rows in
// order. Columns go in blocks through an accumulator on the stack, so the
// call allocates nothing (it runs once per parallel chunk).
func colSums(dst, src []float32, rows, n, c0 int, alpha float32) {
	var buf [256]float32
	for j0 := 0; j0 < len(dst); j0 += len(buf) {
		acc := buf[:min(len(buf), len(dst)-j0)]
		clear(acc)
		for r := 0; r < rows; r++ {
			row := src[r*n+c0+j0:][:len(acc)]
			for j, v := range row {
				acc[j] += v
			}
		}
		for j, v := range acc {
			dst[j0+j] += alpha * v
		}
	}
}

// sumRow returns Σ x in a float64 accumulator, so long reductions (a loss
// averaged over every token) do not lose float32 digits.
func sumRow(x []float32) float32 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return float32(s)
}
