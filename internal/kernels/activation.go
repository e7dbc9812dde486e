package kernels

import "math"

// Pointwise activations, forward and backward. Forward kernels write out;
// backward kernels accumulate into dx and read whichever of the input x or
// the output y gives the cheaper derivative (sigmoid and tanh use y, GELU
// — in gelu.go — needs x). Transcendentals are evaluated in float64 and rounded once.

// actGrain is the chunk size for activations (costlier per element than a
// plain add, so smaller chunks still pay for their goroutine).
const actGrain = 1 << 13

// ReLUForward writes y = max(x, 0); NaN propagates, as in PyTorch. The
// vector kernel is branchless: on activations of random sign a branch
// mispredicts half the time and costs more than the memory traffic.
func ReLUForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), elemGrain, func(lo, hi int) { vReLUFwd(y[lo:hi], x[lo:hi]) })
}

// ReLUBackward adds dy where x > 0 (the subgradient at 0 is 0, as PyTorch).
func ReLUBackward(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	ParallelFor(len(dx), elemGrain, func(lo, hi int) { vReLUBwd(dx[lo:hi], dy[lo:hi], x[lo:hi]) })
}

// ReLUBackwardSet is ReLUBackward for a fresh gradient: it writes dx = dy
// where x > 0, else 0, without reading dx (so dx needs no zeroing).
func ReLUBackwardSet(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	ParallelFor(len(dx), elemGrain, func(lo, hi int) { vReLUBwdSet(dx[lo:hi], dy[lo:hi], x[lo:hi]) })
}

// AddReLUForward writes y = ReLU(a + b) in one pass: the same bits as an
// add followed by ReLUForward (a residual block's last step).
func AddReLUForward(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	ParallelFor(len(y), elemGrain, func(lo, hi int) { vAddReLUFwd(y[lo:hi], a[lo:hi], b[lo:hi]) })
}

// AddReLUBackward is AddReLUForward's backward given its output y: the
// gradient g = dy where y > 0, else 0, goes to both operands, written
// (setA, setB) or added. da or db may be nil (no gradient wanted), or the
// same buffer (a + a, added twice).
func AddReLUBackward(da, db, dy, y []float32, setA, setB bool) {
	switch {
	case da == nil && db == nil:
		return
	case da == nil:
		da, setA, db = db, setB, nil
	}
	if db == nil {
		if setA {
			ReLUBackwardSet(da, dy, y)
		} else {
			ReLUBackward(da, dy, y)
		}
		return
	}
	db, dy, y = db[:len(da)], dy[:len(da)], y[:len(da)]
	ParallelFor(len(da), elemGrain, func(lo, hi int) {
		vReLUBwd2(da[lo:hi], db[lo:hi], dy[lo:hi], y[lo:hi], !setA, !setB)
	})
}

// SigmoidForward writes y = 1/(1+exp(-x)), without overflow for large |x|.
func SigmoidForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), actGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			if v >= 0 {
				y[i] = float32(1 / (1 + math.Exp(-v)))
			} else {
				e := math.Exp(v)
				y[i] = float32(e / (1 + e))
			}
		}
	})
}

// SigmoidBackward adds dy·y·(1-y) to dx.
func SigmoidBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	ParallelFor(len(dx), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dx[i] += dy[i] * y[i] * (1 - y[i])
		}
	})
}

// TanhForward writes y = tanh(x).
func TanhForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), actGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = float32(math.Tanh(float64(x[i])))
		}
	})
}

// TanhBackward adds dy·(1-y²) to dx.
func TanhBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	ParallelFor(len(dx), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dx[i] += dy[i] * (1 - y[i]*y[i])
		}
	})
}
