package kernels

import "math"

// Softmax, log-softmax and sparse softmax cross-entropy over the last axis,
// viewed as rows × c. All subtract the row maximum before exponentiating
// (so no exp overflows). Rows run through vector primitives (act_amd64.s,
// Go twins below): a float32 exp good to ~1 ulp (gelu.go's expf), flushed
// to 0 below e^-86.5, and float32 sums in a fixed order.

// softmaxRow writes y = softmax(x) for one row and returns log Σ exp(x-max)
// and the max, which log-softmax and cross-entropy reuse.
func softmaxRow(y, x []float32) (logSum, max float64) {
	m := actMax(x)
	s := actExpSubSum(y, x, m)
	actScale(y, 1/s)
	return math.Log(float64(s)), float64(m)
}

// SoftmaxForward writes y = softmax(x) row by row; x, y are rows × c.
func SoftmaxForward(y, x []float32, rows, c int) {
	ParallelFor(rows, Grain(c, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRow(y[r*c:r*c+c], x[r*c:r*c+c])
		}
	})
}

// SoftmaxBackward adds y·(dy − Σ dy·y) to dx, row by row.
func SoftmaxBackward(dx, dy, y []float32, rows, c int) {
	ParallelFor(rows, Grain(c, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			g, yr := dy[r*c:r*c+c], y[r*c:r*c+c]
			actSoftmaxBwd(dx[r*c:r*c+c], g, yr, actDot(g, yr))
		}
	})
}

// LogSoftmaxForward writes y = x − max − log Σ exp(x − max), row by row.
func LogSoftmaxForward(y, x []float32, rows, c int) {
	ParallelFor(rows, Grain(c, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*c:r*c+c], y[r*c:r*c+c]
			m := actMax(xr)
			sh := float32(float64(m) + math.Log(float64(actExpSubSum(yr, xr, m)))) // yr is scratch here
			for j, v := range xr {
				yr[j] = v - sh
			}
		}
	})
}

// LogSoftmaxBackward adds dy − exp(y)·Σ dy to dx, where y is the forward
// output (so exp(y) is the softmax).
func LogSoftmaxBackward(dx, dy, y []float32, rows, c int) {
	ParallelFor(rows, Grain(c, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			g := dy[r*c : r*c+c]
			var s float64
			for _, v := range g {
				s += float64(v)
			}
			actLogSoftmaxBwd(dx[r*c:r*c+c], g, y[r*c:r*c+c], float32(s))
		}
	})
}

// CrossEntropyForward computes, for each row whose label is not ignore,
// probs = softmax(logits) and losses[r] = −log probs[label] (from the
// log-sum-exp, so a tiny probability does not underflow to log 0). Ignored
// rows get loss 0 and untouched probs. Labels must already be checked to be
// in [0, c) or ignore.
func CrossEntropyForward(probs, losses, logits []float32, labels []int, ignore, rows, c int) {
	ParallelFor(rows, Grain(c, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			if labels[r] == ignore {
				losses[r] = 0
				continue
			}
			x := logits[r*c : r*c+c]
			ls, m := softmaxRow(probs[r*c:r*c+c], x)
			losses[r] = float32(ls + m - float64(x[labels[r]]))
		}
	})
}

// CrossEntropyBackward adds scale·(probs − onehot(label)) to dlogits for
// every row that is not ignored (scale is the loss gradient over the number
// of counted rows).
func CrossEntropyBackward(dlogits, probs []float32, labels []int, ignore, rows, c int, scale float32) {
	ParallelFor(rows, Grain(c, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			if labels[r] == ignore {
				continue
			}
			d, p := dlogits[r*c:r*c+c], probs[r*c:r*c+c]
			for j, v := range p {
				d[j] += scale * v
			}
			d[labels[r]] -= scale
		}
	})
}

// Go twins of the softmax-row primitives (act_amd64.s).

func maxGo(x []float32) float32 {
	m := negInf32
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// expSubSumGo writes y = exp(x − m) (0 below e^expLo) and returns Σ y.
func expSubSumGo(y, x []float32, m float32) float32 {
	x = x[:len(y)]
	var s float32
	for i, v := range x {
		a := v - m
		if a < expLo {
			y[i] = 0
			continue
		}
		y[i] = expf(min(a, expHi))
		s += y[i]
	}
	return s
}

func scaleGo(y []float32, s float32) {
	for i := range y {
		y[i] *= s
	}
}

func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// softmaxBwdGo adds y·(dy − dot) to dx.
func softmaxBwdGo(dx, dy, y []float32, dot float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i := range dx {
		dx[i] += y[i] * (dy[i] - dot)
	}
}

// logSoftmaxBwdGo adds dy − exp(y)·s to dx.
func logSoftmaxBwdGo(dx, dy, y []float32, s float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, v := range y {
		var e float32
		if v >= expLo {
			e = expf(min(v, expHi))
		}
		dx[i] += dy[i] - e*s
	}
}
