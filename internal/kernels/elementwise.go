package kernels

// Elementwise kernels: binary ops with NumPy broadcasting (reduce.go holds
// the sum that undoes a broadcast in the backward pass) and the small fused
// loops (scale, axpy, multiply-accumulate) the autograd
// backward passes are made of.
//
// Broadcasting is expressed with strides: an operand is read at
// Σ idx_k·stride_k over the output's row-major index, with stride 0 on the
// axes it is broadcast along. Adjacent axes that walk memory the same way
// are merged first, so the common cases (same shape, a bias [C] on [N, C])
// run as one or two flat loops.

// BinaryOp selects the operation of Binary.
type BinaryOp int

// The binary operations.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
)

// elemGrain is the number of cheap elementwise operations per parallel chunk.
const elemGrain = 1 << 15

// mergeAxes drops length-1 axes and merges neighbours that every operand
// walks contiguously (stride[i] == stride[i+1]·shape[i+1]), returning the
// shorter shape and the strides for each operand. Merging keeps the
// row-major order of elements, so results are unchanged.
func mergeAxes(shape []int, strides ...[]int) ([]int, [][]int) {
	// One backing array for the shape and every operand's strides, so the
	// appends below never reallocate.
	r := len(shape)
	buf := make([]int, r*(1+len(strides)))
	ms := buf[:0:r]
	mst := make([][]int, len(strides))
	for k := range mst {
		mst[k] = buf[(k+1)*r : (k+1)*r : (k+2)*r]
	}
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if n := len(ms); n > 0 {
			ok := true
			for k, st := range strides {
				if mst[k][n-1] != st[i]*d {
					ok = false
					break
				}
			}
			if ok {
				ms[n-1] *= d
				for k, st := range strides {
					mst[k][n-1] = st[i]
				}
				continue
			}
		}
		ms = append(ms, d)
		for k, st := range strides {
			mst[k] = append(mst[k], st[i])
		}
	}
	return ms, mst
}

// rowOffset returns Σ idx_k·strides[k] over the outer axes (all but the
// last) of shape for row number row (row-major).
func rowOffset(row int, shape, strides []int) int {
	off := 0
	for k := len(shape) - 2; k >= 0; k-- {
		d := shape[k]
		off += (row % d) * strides[k]
		row /= d
	}
	return off
}

// Binary writes dst[i] = a[ia] op b[ib] for every row-major index i of
// shape, where ia and ib are the indices under strides sa and sb (0 on
// broadcast axes). dst is contiguous with len Numel(shape); dst may alias a
// or b only when that operand is also contiguous over shape.
func Binary(op BinaryOp, dst, a, b []float32, shape, sa, sb []int) {
	if len(dst) == 0 {
		return
	}
	ms, st := mergeAxes(shape, sa, sb)
	if len(ms) == 0 { // a single element
		binaryRow(op, dst[:1], a, 0, 0, b, 0, 0)
		return
	}
	d := len(ms)
	n := ms[d-1]
	as, bs := st[0][d-1], st[1][d-1]
	if d == 1 { // one flat run: split it into chunks
		ParallelFor(n, elemGrain, func(lo, hi int) {
			binaryRow(op, dst[lo:hi], a, lo*as, as, b, lo*bs, bs)
		})
		return
	}
	rows := len(dst) / n
	ParallelFor(rows, Grain(n, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			binaryRow(op, dst[r*n:r*n+n], a, rowOffset(r, ms, st[0]), as, b, rowOffset(r, ms, st[1]), bs)
		}
	})
}

// binaryRow computes dst[j] = a[ao+j·as] op b[bo+j·bs].
func binaryRow(op BinaryOp, dst, a []float32, ao, as int, b []float32, bo, bs int) {
	n := len(dst)
	if as == 1 && bs == 1 {
		a, b = a[ao:ao+n], b[bo:bo+n]
		if actBinary(op, dst, a, b) {
			return
		}
		switch op {
		case OpAdd:
			for j := range dst {
				dst[j] = a[j] + b[j]
			}
		case OpSub:
			for j := range dst {
				dst[j] = a[j] - b[j]
			}
		case OpMul:
			for j := range dst {
				dst[j] = a[j] * b[j]
			}
		case OpDiv:
			for j := range dst {
				dst[j] = a[j] / b[j]
			}
		}
		return
	}
	switch op {
	case OpAdd:
		for j := range dst {
			dst[j] = a[ao+j*as] + b[bo+j*bs]
		}
	case OpSub:
		for j := range dst {
			dst[j] = a[ao+j*as] - b[bo+j*bs]
		}
	case OpMul:
		for j := range dst {
			dst[j] = a[ao+j*as] * b[bo+j*bs]
		}
	case OpDiv:
		for j := range dst {
			dst[j] = a[ao+j*as] / b[bo+j*bs]
		}
	}
}

// Axpy computes y += alpha·x.
func Axpy(y []float32, alpha float32, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), elemGrain, func(lo, hi int) {
		if alpha == 1 {
			vAddTo(y[lo:hi], x[lo:hi])
			return
		}
		for i := lo; i < hi; i++ {
			y[i] += alpha * x[i]
		}
	})
}

// Copy writes dst = src (a parallel copy).
func Copy(dst, src []float32) {
	src = src[:len(dst)]
	ParallelFor(len(dst), elemGrain, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}

// FillRows writes row into each of the rows consecutive rows of dst
// (len(row) floats each): a bias broadcast that a GEMM with beta = 1 then
// adds onto.
func FillRows(dst, row []float32, rows int) {
	n := len(row)
	dst = dst[:rows*n]
	ParallelFor(rows, Grain(n, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			copy(dst[r*n:(r+1)*n], row)
		}
	})
}

// ScaleShift writes dst = x·scale + shift (AddScalar and MulScalar forward),
// fused into one rounding where the vector kernel runs.
func ScaleShift(dst, x []float32, scale, shift float32) {
	x = x[:len(dst)]
	ParallelFor(len(dst), elemGrain, func(lo, hi int) { actScaleShift(dst[lo:hi], x[lo:hi], scale, shift) })
}

func scaleShiftGo(dst, x []float32, scale, shift float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v*scale + shift
	}
}

// MulAcc computes dst += a·b elementwise.
func MulAcc(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	ParallelFor(len(dst), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst[i] += a[i] * b[i]
		}
	})
}
