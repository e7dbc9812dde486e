package kernels

import "math"

// Pointwise activations, forward and backward. Forward kernels write out;
// backward kernels accumulate into dx and read whichever of the input x or
// the output y gives the cheaper derivative (sigmoid and tanh use y, GELU
// needs x). Transcendentals are evaluated in float64 and rounded once.

// actGrain is the chunk size for activations (costlier per element than a
// plain add, so smaller chunks still pay for their goroutine).
const actGrain = 1 << 13

// ReLUForward writes y = max(x, 0).
func ReLUForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if v := x[i]; !(v <= 0) { // NaN propagates, as in PyTorch
				y[i] = v
			} else {
				y[i] = 0
			}
		}
	})
}

// ReLUBackward adds dy where x > 0 (the subgradient at 0 is 0, as PyTorch).
func ReLUBackward(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	ParallelFor(len(dx), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if x[i] > 0 {
				dx[i] += dy[i]
			}
		}
	})
}

// GELUForward writes the exact GELU y = x·Φ(x) = x·(1+erf(x/√2))/2.
func GELUForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), actGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			y[i] = float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
		}
	})
}

// GELUBackward adds dy·(Φ(x) + x·φ(x)) to dx.
func GELUBackward(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	const invSqrt2Pi = 0.3989422804014327 // 1/√(2π)
	ParallelFor(len(dx), actGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			cdf := 0.5 * (1 + math.Erf(v/math.Sqrt2))
			pdf := invSqrt2Pi * math.Exp(-0.5*v*v)
			dx[i] += dy[i] * float32(cdf+v*pdf)
		}
	})
}

// geluTanhC is √(2/π), the constant of the tanh approximation.
const geluTanhC = 0.7978845608028654

// GELUTanhForward writes y = x·(1+tanh(√(2/π)·(x+0.044715x³)))/2.
func GELUTanhForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), actGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			y[i] = float32(0.5 * v * (1 + math.Tanh(geluTanhC*(v+0.044715*v*v*v))))
		}
	})
}

// GELUTanhBackward adds dy·dy/dx of the tanh approximation to dx.
func GELUTanhBackward(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	ParallelFor(len(dx), actGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			t := math.Tanh(geluTanhC * (v + 0.044715*v*v*v))
			d := 0.5*(1+t) + 0.5*v*(1-t*t)*geluTanhC*(1+3*0.044715*v*v)
			dx[i] += dy[i] * float32(d)
		}
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
