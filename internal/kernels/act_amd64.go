//go:build amd64 && !purego

package kernels

// AVX2/FMA versions of the GELU and softmax-row kernels (act_amd64.s). The
// assembly handles multiples of 8 elements; the dispatchers run a ragged
// tail through it too, padded to 8 in a stack buffer, so every element is
// computed the same way wherever it sits in a slice.

var actAVX2 = cpu.AVX2 && cpu.FMA

//go:noescape
func geluFwdAVX2(y, x *float32, n int)

//go:noescape
func geluBwdAVX2(dx, dy, x *float32, n int)

//go:noescape
func geluTanhFwdAVX2(y, x *float32, n int)

//go:noescape
func geluTanhBwdAVX2(dx, dy, x *float32, n int)

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func expSubSumAVX2(y, x *float32, n int, m float32) float32

//go:noescape
func scaleAVX2(y *float32, n int, s float32)

//go:noescape
func scaleShiftAVX2(dst, x *float32, n int, scale, shift float32)

//go:noescape
func addVecAVX2(dst, a, b *float32, n int)

//go:noescape
func mulVecAVX2(dst, a, b *float32, n int)

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func softmaxBwdAVX2(dx, dy, y *float32, n int, dot float32)

//go:noescape
func logSoftmaxBwdAVX2(dx, dy, y *float32, n int, s float32)

// actUnary runs an elementwise assembly kernel f over y = f(x).
func actUnary(f func(y, x *float32, n int), y, x []float32) {
	x = x[:len(y)]
	n := len(y) &^ 7
	if n > 0 {
		f(&y[0], &x[0], n)
	}
	if t := len(y) - n; t > 0 {
		var xb, yb [8]float32
		copy(xb[:], x[n:])
		f(&yb[0], &xb[0], 8)
		copy(y[n:], yb[:t])
	}
}

// actUnaryBwd runs an elementwise backward kernel f: dx += dy·f'(x).
func actUnaryBwd(f func(dx, dy, x *float32, n int), dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	n := len(dx) &^ 7
	if n > 0 {
		f(&dx[0], &dy[0], &x[0], n)
	}
	if t := len(dx) - n; t > 0 {
		var db, gb, xb [8]float32
		copy(db[:], dx[n:])
		copy(gb[:], dy[n:])
		copy(xb[:], x[n:])
		f(&db[0], &gb[0], &xb[0], 8)
		copy(dx[n:], db[:t])
	}
}

func actGELUFwd(y, x []float32) {
	if !actAVX2 {
		geluFwdGo(y, x)
		return
	}
	actUnary(geluFwdAVX2, y, x)
}

func actGELUBwd(dx, dy, x []float32) {
	if !actAVX2 {
		geluBwdGo(dx, dy, x)
		return
	}
	actUnaryBwd(geluBwdAVX2, dx, dy, x)
}

func actGELUTanhFwd(y, x []float32) {
	if !actAVX2 {
		geluTanhFwdGo(y, x)
		return
	}
	actUnary(geluTanhFwdAVX2, y, x)
}

func actGELUTanhBwd(dx, dy, x []float32) {
	if !actAVX2 {
		geluTanhBwdGo(dx, dy, x)
		return
	}
	actUnaryBwd(geluTanhBwdAVX2, dx, dy, x)
}

// negInf8 pads a max or an exponential sum: it changes neither.
var negInf8 = [8]float32{negInf32, negInf32, negInf32, negInf32, negInf32, negInf32, negInf32, negInf32}

func actMax(x []float32) float32 {
	if !actAVX2 || len(x) == 0 {
		return maxGo(x)
	}
	n := len(x) &^ 7
	m := negInf32
	if n > 0 {
		m = maxAVX2(&x[0], n)
	}
	if n < len(x) {
		xb := negInf8
		copy(xb[:], x[n:])
		m = max(m, maxAVX2(&xb[0], 8))
	}
	return m
}

func actExpSubSum(y, x []float32, m float32) float32 {
	if !actAVX2 {
		return expSubSumGo(y, x, m)
	}
	x = x[:len(y)]
	n := len(y) &^ 7
	var s float32
	if n > 0 {
		s = expSubSumAVX2(&y[0], &x[0], n, m)
	}
	if t := len(y) - n; t > 0 {
		xb := negInf8
		var yb [8]float32
		copy(xb[:], x[n:])
		s += expSubSumAVX2(&yb[0], &xb[0], 8, m)
		copy(y[n:], yb[:t])
	}
	return s
}

func actScale(y []float32, s float32) {
	if !actAVX2 {
		scaleGo(y, s)
		return
	}
	n := len(y) &^ 7
	if n > 0 {
		scaleAVX2(&y[0], n, s)
	}
	if t := len(y) - n; t > 0 {
		var yb [8]float32
		copy(yb[:], y[n:])
		scaleAVX2(&yb[0], 8, s)
		copy(y[n:], yb[:t])
	}
}

func actDot(a, b []float32) float32 {
	if !actAVX2 {
		return dotGo(a, b)
	}
	b = b[:len(a)]
	n := len(a) &^ 7
	var s float32
	if n > 0 {
		s = dotAVX2(&a[0], &b[0], n)
	}
	if t := len(a) - n; t > 0 {
		var ab, bb [8]float32
		copy(ab[:], a[n:])
		copy(bb[:], b[n:])
		s += dotAVX2(&ab[0], &bb[0], 8)
	}
	return s
}

// actRowBwd runs a row backward kernel f(dx, dy, y, n, c) over a row.
func actRowBwd(f func(dx, dy, y *float32, n int, c float32), dx, dy, y []float32, c float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	n := len(dx) &^ 7
	if n > 0 {
		f(&dx[0], &dy[0], &y[0], n, c)
	}
	if t := len(dx) - n; t > 0 {
		var db, gb, yb [8]float32
		copy(db[:], dx[n:])
		copy(gb[:], dy[n:])
		copy(yb[:], y[n:])
		f(&db[0], &gb[0], &yb[0], 8, c)
		copy(dx[n:], db[:t])
	}
}

func actSoftmaxBwd(dx, dy, y []float32, dot float32) {
	if !actAVX2 {
		softmaxBwdGo(dx, dy, y, dot)
		return
	}
	actRowBwd(softmaxBwdAVX2, dx, dy, y, dot)
}

func actLogSoftmaxBwd(dx, dy, y []float32, s float32) {
	if !actAVX2 {
		logSoftmaxBwdGo(dx, dy, y, s)
		return
	}
	actRowBwd(logSoftmaxBwdAVX2, dx, dy, y, s)
}

// actScaleShift writes dst = x·scale + shift (one rounding: an FMA, so the
// bits may differ from the Go twin's two roundings; a chunk's tail is
// padded through the same kernel).
func actScaleShift(dst, x []float32, scale, shift float32) {
	if !actAVX2 {
		scaleShiftGo(dst, x, scale, shift)
		return
	}
	x = x[:len(dst)]
	n := len(dst) &^ 7
	if n > 0 {
		scaleShiftAVX2(&dst[0], &x[0], n, scale, shift)
	}
	if t := len(dst) - n; t > 0 {
		var xb, db [8]float32
		copy(xb[:], x[n:])
		scaleShiftAVX2(&db[0], &xb[0], 8, scale, shift)
		copy(dst[n:], db[:t])
	}
}

// actBinary writes dst = a op b for OpAdd and OpMul (exact operations: the
// vector kernel gives the Go loop's bits) and reports whether it did.
func actBinary(op BinaryOp, dst, a, b []float32) bool {
	if !actAVX2 || (op != OpAdd && op != OpMul) {
		return false
	}
	a, b = a[:len(dst)], b[:len(dst)]
	n := len(dst) &^ 7
	if n > 0 {
		if op == OpAdd {
			addVecAVX2(&dst[0], &a[0], &b[0], n)
		} else {
			mulVecAVX2(&dst[0], &a[0], &b[0], n)
		}
	}
	for j := n; j < len(dst); j++ {
		if op == OpAdd {
			dst[j] = a[j] + b[j]
		} else {
			dst[j] = a[j] * b[j]
		}
	}
	return true
}
