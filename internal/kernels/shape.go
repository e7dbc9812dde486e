package kernels

// Data movement for the shape ops: permuting axes, and cutting or placing
// slabs along one axis (concat and split). A tensor viewed as
// [outer, total, inner] around the axis makes concat and split plain block
// copies. Backward variants accumulate; every destination element is written
// by exactly one source element, so chunks never collide.

// permuteLayout returns the output shape of a permutation and, for each
// output axis, the stride of the source axis it reads.
func permuteLayout(shape, axes []int) (outShape, srcStrides []int) {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	outShape = make([]int, len(axes))
	srcStrides = make([]int, len(axes))
	for i, a := range axes {
		outShape[i] = shape[a]
		srcStrides[i] = st[a]
	}
	return outShape, srcStrides
}

// permuteRows calls fn(r, off, ls, n) for every row r of the output (rows of
// n elements), giving the source offset of its first element and the source
// stride along it.
func permuteRows(numel int, shape, axes []int, fn func(r, off, ls, n int)) {
	if numel == 0 {
		return
	}
	os, ss := permuteLayout(shape, axes)
	ms, st := mergeAxes(os, ss)
	if len(ms) == 0 {
		fn(0, 0, 1, 1)
		return
	}
	d := len(ms)
	n, ls := ms[d-1], st[0][d-1]
	ParallelFor(numel/n, Grain(n, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			fn(r, rowOffset(r, ms, st[0]), ls, n)
		}
	})
}

// Permute writes dst = src with its axes reordered: src has the given shape
// and output axis i is source axis axes[i] (a permutation of 0..rank-1).
func Permute(dst, src []float32, shape, axes []int) {
	permuteRows(len(dst), shape, axes, func(r, off, ls, n int) {
		row := dst[r*n : r*n+n]
		if ls == 1 { // the last axis stays last (a head split or merge): runs copy
			copy(row, src[off:off+n])
			return
		}
		for j := range row {
			row[j] = src[off+j*ls]
		}
	})
}

// PermuteInverse writes dy (in the permuted layout) into dx (in the source
// layout of the given shape): every element of dx, once. PermuteBackward
// adds instead.
func PermuteInverse(dx, dy []float32, shape, axes []int) {
	permuteRows(len(dy), shape, axes, func(r, off, ls, n int) {
		row := dy[r*n : r*n+n]
		if ls == 1 {
			copy(dx[off:off+n], row)
			return
		}
		for j, v := range row {
			dx[off+j*ls] = v
		}
	})
}

// PermuteBackward adds dy (in the permuted layout) back into dx (in the
// source layout of the given shape).
func PermuteBackward(dx, dy []float32, shape, axes []int) {
	permuteRows(len(dy), shape, axes, func(r, off, ls, n int) {
		row := dy[r*n : r*n+n]
		if ls == 1 {
			vAddTo(dx[off:off+n], row)
			return
		}
		for j, v := range row {
			dx[off+j*ls] += v
		}
	})
}

// PlaceSlab writes src [outer, n, inner] into dst [outer, total, inner] at
// positions off..off+n of the middle axis (adding when add is set).
func PlaceSlab(dst, src []float32, outer, total, off, n, inner int, add bool) {
	blk := n * inner
	ParallelFor(outer, Grain(blk, elemGrain), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			d := dst[(o*total+off)*inner : (o*total+off)*inner+blk]
			s := src[o*blk : o*blk+blk]
			if add {
				for j, v := range s {
					d[j] += v
				}
			} else {
				copy(d, s)
			}
		}
	})
}

// TakeSlab writes positions off..off+n of the middle axis of src
// [outer, total, inner] into dst [outer, n, inner] (adding when add is set).
func TakeSlab(dst, src []float32, outer, total, off, n, inner int, add bool) {
	blk := n * inner
	ParallelFor(outer, Grain(blk, elemGrain), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			s := src[(o*total+off)*inner : (o*total+off)*inner+blk]
			d := dst[o*blk : o*blk+blk]
			if add {
				for j, v := range s {
					d[j] += v
				}
			} else {
				copy(d, s)
			}
		}
	})
}
