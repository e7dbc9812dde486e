package kernels

import "math"

// Optimizer update loops: one parameter tensor per call, elementwise, so
// chunks are independent and any split gives the same bits. The package
// optim computes the scalars (learning rate, bias corrections) and owns the
// state; these functions only sweep slices. Arithmetic follows PyTorch's
// single-tensor implementations operation by operation, in float32.

// optimGrain is the chunk size for the elementwise update loops: big enough
// that a chunk outweighs scheduling, small enough to split conv kernels.
const optimGrain = 1 << 14

// SGDUpdate applies one SGD step to parameter p with gradient g:
//
//	d = g + weightDecay·p
//	buf = momentum·buf + d           (buf starts at zero, so step 1 gives buf = d)
//	d = d + momentum·buf if nesterov, else d = buf
//	p = p − lr·d
//
// buf is the momentum buffer; it is unused (may be nil) when momentum is 0.
func SGDUpdate(p, g, buf []float32, lr, momentum, weightDecay float32, nesterov bool) {
	if len(p) <= optimGrain {
		sgdUpdate(p, g, buf, lr, momentum, weightDecay, nesterov)
		return
	}
	ParallelFor(len(p), optimGrain, func(lo, hi int) {
		var b []float32
		if buf != nil {
			b = buf[lo:hi]
		}
		sgdUpdate(p[lo:hi], g[lo:hi], b, lr, momentum, weightDecay, nesterov)
	})
}

func sgdUpdate(p, g, buf []float32, lr, momentum, weightDecay float32, nesterov bool) {
	g = g[:len(p)]
	for i := range p {
		d := g[i]
		if weightDecay != 0 {
			d += weightDecay * p[i]
		}
		if momentum != 0 {
			b := buf[i]*momentum + d
			buf[i] = b
			if nesterov {
				d += momentum * b
			} else {
				d = b
			}
		}
		p[i] += -lr * d
	}
}

// AdamParams are the per-step scalars of an Adam update, computed in
// float64 by the caller and rounded once.
type AdamParams struct {
	StepSize    float32 // lr / (1 − β1^t)
	Beta1       float32
	Beta2       float32
	OneMinusB1  float32 // 1 − β1, rounded from float64 (not 1 − float32(β1))
	OneMinusB2  float32 // 1 − β2, likewise
	BC2Sqrt     float32 // sqrt(1 − β2^t)
	Eps         float32
	WeightDecay float32 // L2 penalty added to the gradient (Adam's weight_decay)
	Decay       float32 // multiplies p before the update: 1 − lr·wd for AdamW, else 1
}

// AdamUpdate applies one Adam/AdamW step to parameter p with gradient g and
// moment estimates m, v:
//
//	p = Decay·p                      (decoupled weight decay, AdamW)
//	g = g + WeightDecay·p            (L2 penalty, Adam)
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p = p − StepSize · m / (sqrt(v)/BC2Sqrt + Eps)
//
// which is the bias-corrected update p −= lr·m̂/(sqrt(v̂)+ε) with ε outside
// the square root, as in PyTorch.
func AdamUpdate(p, g, m, v []float32, a AdamParams) {
	if len(p) <= optimGrain {
		vAdam(p, g, m, v, a)
		return
	}
	ParallelFor(len(p), optimGrain, func(lo, hi int) {
		vAdam(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], a)
	})
}

// adamUpdateGo is the scalar update; vAdam (vec_amd64.s) computes the same
// operations in the same order, eight lanes at a time, so its bits equal
// these.
func adamUpdateGo(p, g, m, v []float32, a AdamParams) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	c1, c2 := a.OneMinusB1, a.OneMinusB2
	for i := range p {
		pi := p[i]
		if a.Decay != 1 {
			pi *= a.Decay
		}
		gi := g[i]
		if a.WeightDecay != 0 {
			gi += a.WeightDecay * pi
		}
		mi := m[i]*a.Beta1 + c1*gi
		vi := v[i]*a.Beta2 + c2*gi*gi
		m[i], v[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))/a.BC2Sqrt + a.Eps
		p[i] = pi + -a.StepSize*(mi/denom)
	}
}

// SumSquares returns Σ x² accumulated in float64. Chunks of a fixed size
// are summed separately and their partial sums added in chunk order, so the
// result does not depend on the number of threads.
func SumSquares(x []float32) float64 {
	if len(x) <= optimGrain {
		return sumSquares(x)
	}
	chunks := (len(x) + optimGrain - 1) / optimGrain
	part := make([]float64, chunks)
	ParallelFor(len(x), optimGrain, func(lo, hi int) {
		part[lo/optimGrain] = sumSquares(x[lo:hi])
	})
	var s float64
	for _, v := range part {
		s += v
	}
	return s
}

func sumSquares(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

// Scale multiplies x by s in place.
func Scale(x []float32, s float32) {
	if len(x) <= optimGrain {
		scale(x, s)
		return
	}
	ParallelFor(len(x), optimGrain, func(lo, hi int) { scale(x[lo:hi], s) })
}

func scale(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}
