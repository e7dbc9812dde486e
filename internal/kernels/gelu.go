package kernels

import "math"

// GELU, exact (erf) and tanh forms, forward and backward, in float32 with
// vector kernels (act_amd64.s) and Go twins of the same math here. Both
// forms stay within a few float32 ulps of a float64 evaluation (absolute
// error below 1e-7·max(1, |x|)), far cheaper than math.Erf and math.Exp.
//
// Exact form. With z = |x|, the lower tail Q(z) = Φ(-z) is written as
// φ(z)·m(z), where m is the Mills ratio, smooth and decreasing from √(π/2)
// to ~1/z; m is fitted on [0, 13] by a rational function of degree (4, 5)
// (relative error 5e-9; 3e-7 once evaluated in float32), folded with
// 1/√(2π) into the numerator. Then Φ(x) = Q for negative x, 1 − Q
// otherwise, so the negative tail keeps its relative accuracy. exp(-z²/2)
// is evaluated on z² split exactly into h + l, so its argument carries no
// rounding. Beyond |x| = 13, Q and φ are flushed to 0 (Q(13) ≈ 6e-39).
//
// Tanh form. (1 + tanh u)/2 = 1/(1 + e) with e = exp(-2u), and 1 − s = e·s,
// so neither the value nor the derivative suffers cancellation.

// expf coefficients: exp(r) on |r| ≤ ln2/2 as 1 + r + c2·r² + … + c6·r⁶,
// minimax for relative error (6e-8 in float32), and the range reduction.
const (
	expLog2e = float32(1.44269502162933350)
	expLn2Hi = float32(0.693359375) // few bits: n·expLn2Hi is exact
	expLn2Lo = float32(-0.00021219444170128554)
	expC2    = float32(0.4999999403953552)
	expC3    = float32(0.1666652113199234)
	expC4    = float32(0.04166838899254799)
	expC5    = float32(0.008368710055947304)
	expC6    = float32(0.001381461275741458)
	expLo    = float32(-86.5) // lowest argument: 2ⁿ·p stays a normal float
	expHi    = float32(88)    // highest argument: 2ⁿ·p stays finite
)

// GELU constants: Q(z) = e·(a0 + … + a4·z⁴)/(1 + b1·z + … + b5·z⁵) with
// e = exp(-z²/2), and the tanh form's √(2/π) and 0.044715.
const (
	geluQA0     = float32(0.5)
	geluQA1     = float32(0.4349740743637085)
	geluQA2     = float32(0.18078239262104034)
	geluQA3     = float32(0.039808228611946106)
	geluQA4     = float32(0.00399426743388176)
	geluQB1     = float32(1.6678330898284912)
	geluQB2     = float32(1.1922990083694458)
	geluQB3     = float32(0.4629965126514435)
	geluQB4     = float32(0.09979208558797836)
	geluQB5     = float32(0.010011994279921055)
	geluZMax    = float32(13)
	invSqrt2Pi  = float32(0.3989422917366028)
	geluTanhC   = float32(0.7978845834732056)   // √(2/π)
	geluTanhM2C = float32(-1.5957691669464111)  // -2√(2/π)
	geluTanhM2K = float32(-0.07135481387376785) // -2√(2/π)·0.044715
	geluTanh3K  = float32(0.10703222453594208)  // 3√(2/π)·0.044715
)

// GELUForward writes the exact GELU y = x·Φ(x) = x·(1+erf(x/√2))/2.
func GELUForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), elemGrain, func(lo, hi int) { actGELUFwd(y[lo:hi], x[lo:hi]) })
}

// GELUBackward adds dy·(Φ(x) + x·φ(x)) to dx.
func GELUBackward(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	ParallelFor(len(dx), elemGrain, func(lo, hi int) { actGELUBwd(dx[lo:hi], dy[lo:hi], x[lo:hi]) })
}

// GELUTanhForward writes y = x·(1+tanh(√(2/π)·(x+0.044715x³)))/2.
func GELUTanhForward(y, x []float32) {
	x = x[:len(y)]
	ParallelFor(len(y), elemGrain, func(lo, hi int) { actGELUTanhFwd(y[lo:hi], x[lo:hi]) })
}

// GELUTanhBackward adds dy·dy/dx of the tanh approximation to dx.
func GELUTanhBackward(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	ParallelFor(len(dx), elemGrain, func(lo, hi int) { actGELUTanhBwd(dx[lo:hi], dy[lo:hi], x[lo:hi]) })
}

// expf returns exp(a) for a in [expLo, expHi] (the caller clamps): a =
// n·ln2 + r, exp(r) by the polynomial, 2ⁿ added into the exponent bits.
func expf(a float32) float32 {
	n := float32(math.RoundToEven(float64(a * expLog2e)))
	r := a - n*expLn2Hi
	r -= n * expLn2Lo
	p := ((((expC6*r+expC5)*r+expC4)*r+expC3)*r+expC2)*r + 1
	p = p*r + 1
	return math.Float32frombits(math.Float32bits(p) + uint32(int32(n))<<23)
}

// geluPhi returns Φ(x) and e = exp(-z²/2), z = min(|x|, 13).
func geluPhi(x float32) (phi, e float32) {
	z := float32(math.Abs(float64(x)))
	far := z > geluZMax
	if far {
		z = geluZMax
	}
	h := z * z
	l := float32(float64(z)*float64(z) - float64(h)) // exact low part of z²
	e = expf(-0.5 * h)
	e -= 0.5 * (l * e)
	num := (((geluQA4*z+geluQA3)*z+geluQA2)*z+geluQA1)*z + geluQA0
	den := ((((geluQB5*z+geluQB4)*z+geluQB3)*z+geluQB2)*z+geluQB1)*z + 1
	q := num / den * e
	if far {
		q, e = 0, 0 // Q(z) < 6e-39 and φ(z) < 2e-37 out here
	}
	if math.Signbit(float64(x)) {
		return q, e
	}
	return 1 - q, e
}

func geluFwdGo(y, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		phi, _ := geluPhi(v)
		y[i] = v * phi
	}
}

func geluBwdGo(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, v := range x {
		phi, e := geluPhi(v)
		dx[i] += dy[i] * (phi + v*(e*invSqrt2Pi))
	}
}

// geluTanhS returns s = (1+tanh u)/2 and e = exp(-2u) (clamped to the exp
// range), u = √(2/π)(x + 0.044715x³).
func geluTanhS(x float32) (s, e float32) {
	a := x * (geluTanhM2C + geluTanhM2K*(x*x))
	if a > expHi {
		return 0, 0 // s < 6e-39: flush, so that a huge negative x gives 0
	}
	if !(a >= expLo) {
		a = expLo
	}
	e = expf(a)
	return 1 / (1 + e), e
}

func geluTanhFwdGo(y, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		s, _ := geluTanhS(v)
		y[i] = v * s
	}
}

func geluTanhBwdGo(dx, dy, x []float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, v := range x {
		s, e := geluTanhS(v)
		up := geluTanhC + geluTanh3K*(v*v) // du/dx
		dx[i] += dy[i] * (2*(v*(e*s*s*up)) + s)
	}
}

// negInf32 is float32 −∞ (a padding that changes no max or exp-sum).
var negInf32 = float32(math.Inf(-1))
