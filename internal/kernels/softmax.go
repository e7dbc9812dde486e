package kernels

import "math"

// Softmax, log-softmax and sparse softmax cross-entropy over the last axis,
// viewed as rows × c. All subtract the row maximum before exponentiating
// (so no exp overflows) and sum the exponentials in float64.

// softmaxRow writes y = softmax(x) for one row and returns log Σ exp(x-max)
// and the max, which log-softmax and cross-entropy reuse.
func softmaxRow(y, x []float32) (logSum, max float64) {
	max = math.Inf(-1)
	for _, v := range x {
		if float64(v) > max {
			max = float64(v)
		}
	}
	var s float64
	for j, v := range x {
		e := math.Exp(float64(v) - max)
		y[j] = float32(e)
		s += e
	}
	inv := 1 / s
	for j := range y {
		y[j] = float32(float64(y[j]) * inv)
	}
	return math.Log(s), max
}

// SoftmaxForward writes y = softmax(x) row by row; x, y are rows × c.
func SoftmaxForward(y, x []float32, rows, c int) {
	ParallelFor(rows, Grain(c, actGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRow(y[r*c:r*c+c], x[r*c:r*c+c])
		}
	})
}

// SoftmaxBackward adds y·(dy − Σ dy·y) to dx, row by row.
func SoftmaxBackward(dx, dy, y []float32, rows, c int) {
	ParallelFor(rows, Grain(c, elemGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			g, yr, d := dy[r*c:r*c+c], y[r*c:r*c+c], dx[r*c:r*c+c]
			var dot float64
			for j, v := range g {
				dot += float64(v) * float64(yr[j])
			}
			for j := range d {
				d[j] += yr[j] * (g[j] - float32(dot))
			}
		}
	})
}

// LogSoftmaxForward writes y = x − max − log Σ exp(x − max), row by row.
func LogSoftmaxForward(y, x []float32, rows, c int) {
	ParallelFor(rows, Grain(c, actGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*c:r*c+c], y[r*c:r*c+c]
			ls, m := softmaxRow(yr, xr) // yr is scratch here
			for j, v := range xr {
				yr[j] = float32(float64(v) - m - ls)
			}
		}
	})
}

// LogSoftmaxBackward adds dy − exp(y)·Σ dy to dx, where y is the forward
// output (so exp(y) is the softmax).
func LogSoftmaxBackward(dx, dy, y []float32, rows, c int) {
	ParallelFor(rows, Grain(c, actGrain), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			g, yr, d := dy[r*c:r*c+c], y[r*c:r*c+c], dx[r*c:r*c+c]
			var s float64
			for _, v := range g {
				s += float64(v)
			}
			for j := range d {
				d[j] += g[j] - float32(math.Exp(float64(yr[j]))*s)
			}
		}
	})
}

// CrossEntropyForward computes, for each row whose label is not ignore,
// probs = softmax(logits) and losses[r] = −log probs[label] (from the
// log-sum-exp, so a tiny probability does not underflow to log 0). Ignored
// rows get loss 0 and untouched probs. Labels must already be checked to be
// in [0, c) or ignore.
func CrossEntropyForward(probs, losses, logits []float32, labels []int, ignore, rows, c int) {
	ParallelFor(rows, Grain(c, actGrain), func(lo, hi int) {
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
