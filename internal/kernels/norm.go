package kernels

import "math"

// Normalisation layers, forward next to backward: batch norm over the rows
// of an [M, C] matrix (M = N·H·W, statistics per channel), and layer norm /
// RMS norm over each row of an [R, D] matrix (statistics per row). The
// forward passes save the mean and reciprocal standard deviation (rstd) the
// backward passes need; x̂ is recomputed from x rather than stored.
// Cross-row reductions use fixed row chunks with partials combined in chunk
// order, so results do not depend on GOMAXPROCS. gamma/beta (and their
// gradients) may be nil: no scale / no shift.

// BatchNormStats writes the per-channel mean and biased variance of x
// [M, C], two passes (mean, then mean squared deviation), accumulated in
// float64.
func BatchNormStats(mean, variance, x []float32, M, C int) {
	grain := Grain(C, 1<<14)
	chunks := (M + grain - 1) / grain
	part := make([]float64, chunks*C)
	ParallelFor(M, grain, func(lo, hi int) {
		p := part[lo/grain*C:][:C]
		for i := lo; i < hi; i++ {
			for c, v := range x[i*C : i*C+C] {
				p[c] += float64(v)
			}
		}
	})
	for c := range C {
		s := 0.0
		for k := 0; k < chunks; k++ {
			s += part[k*C+c]
		}
		mean[c] = float32(s / float64(M))
	}
	clear(part)
	ParallelFor(M, grain, func(lo, hi int) {
		p := part[lo/grain*C:][:C]
		for i := lo; i < hi; i++ {
			for c, v := range x[i*C : i*C+C] {
				d := float64(v - mean[c])
				p[c] += d * d
			}
		}
	})
	for c := range C {
		s := 0.0
		for k := 0; k < chunks; k++ {
			s += part[k*C+c]
		}
		variance[c] = float32(s / float64(M))
	}
}

// BatchNormForward writes y = (x − mean)·rstd·gamma + beta per channel for
// x, y [M, C].
func BatchNormForward(y, x, mean, rstd, gamma, beta []float32, M, C int) {
	ParallelFor(M, Grain(C, 1<<14), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			yr := y[i*C : i*C+C]
			for c, v := range x[i*C : i*C+C] {
				h := (v - mean[c]) * rstd[c]
				if gamma != nil {
					h *= gamma[c]
				}
				if beta != nil {
					h += beta[c]
				}
				yr[c] = h
			}
		}
	})
}

// BatchNormBackward accumulates dx, dgamma, dbeta given dy [M, C]. With
// batchStats the mean and rstd were the batch's own, so they depend on x:
// dx = gamma·rstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M) (the fused form of
// rstd/M·(M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)) with dx̂ = gamma·dy); otherwise
// (running statistics) the op is affine in x and dx = gamma·rstd·dy.
func BatchNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, M, C int, batchStats bool) {
	needSums := dgamma != nil || dbeta != nil || (dx != nil && batchStats)
	sumDy := make([]float32, C)
	sumDyXh := make([]float32, C)
	if needSums {
		grain := Grain(2*C, 1<<14)
		chunks := (M + grain - 1) / grain
		part := make([]float64, chunks*2*C)
		ParallelFor(M, grain, func(lo, hi int) {
			p := part[lo/grain*2*C:][:2*C]
			for i := lo; i < hi; i++ {
				xr := x[i*C : i*C+C]
				for c, d := range dy[i*C : i*C+C] {
					p[c] += float64(d)
					p[C+c] += float64(d * (xr[c] - mean[c]) * rstd[c])
				}
			}
		})
		for c := range C {
			s, sx := 0.0, 0.0
			for k := 0; k < chunks; k++ {
				s += part[k*2*C+c]
				sx += part[k*2*C+C+c]
			}
			sumDy[c], sumDyXh[c] = float32(s), float32(sx)
		}
		for c := range C {
			if dbeta != nil {
				dbeta[c] += sumDy[c]
			}
			if dgamma != nil {
				dgamma[c] += sumDyXh[c]
			}
		}
	}
	if dx == nil {
		return
	}
	// Per-channel coefficients: dx = a·dy + b·x̂ + c0 (b = c0 = 0 without
	// batch statistics).
	a := make([]float32, C)
	b := make([]float32, C)
	c0 := make([]float32, C)
	invM := 1 / float32(M)
	for c := range C {
		g := float32(1)
		if gamma != nil {
			g = gamma[c]
		}
		a[c] = g * rstd[c]
		if batchStats {
			b[c] = -a[c] * sumDyXh[c] * invM
			c0[c] = -a[c] * sumDy[c] * invM
		}
	}
	ParallelFor(M, Grain(C, 1<<14), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xr := x[i*C : i*C+C]
			dxr := dx[i*C : i*C+C]
			for c, d := range dy[i*C : i*C+C] {
				xh := (xr[c] - mean[c]) * rstd[c]
				dxr[c] += a[c]*d + b[c]*xh + c0[c]
			}
		}
	})
}

// LayerNormForward normalises each row of x [R, D] to zero mean and unit
// (biased) variance and writes y = x̂·gamma + beta (gamma, beta [D]),
// saving mean and rstd [R] for the backward pass. Two passes over each
// row, which is cache-resident.
func LayerNormForward(y, mean, rstd, x, gamma, beta []float32, R, D int, eps float32) {
	ParallelFor(R, Grain(D, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*D : r*D+D]
			s := float32(0)
			for _, v := range xr {
				s += v
			}
			m := s / float32(D)
			v2 := float32(0)
			for _, v := range xr {
				d := v - m
				v2 += d * d
			}
			rs := float32(1 / math.Sqrt(float64(v2/float32(D)+eps)))
			mean[r], rstd[r] = m, rs
			yr := y[r*D : r*D+D]
			for j, v := range xr {
				h := (v - m) * rs
				if gamma != nil {
					h *= gamma[j]
				}
				if beta != nil {
					h += beta[j]
				}
				yr[j] = h
			}
		}
	})
}

// LayerNormBackward accumulates dx [R, D], dgamma and dbeta [D] given dy:
// with dx̂ = dy·gamma, dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)).
func LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, R, D int) {
	normBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, R, D)
}

// RMSNormForward writes y = x·rstd·gamma for each row of x [R, D], with
// rstd = 1/sqrt(mean(x²) + eps) saved per row.
func RMSNormForward(y, rstd, x, gamma []float32, R, D int, eps float32) {
	ParallelFor(R, Grain(D, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*D : r*D+D]
			s := float32(0)
			for _, v := range xr {
				s += v * v
			}
			rs := float32(1 / math.Sqrt(float64(s/float32(D)+eps)))
			rstd[r] = rs
			yr := y[r*D : r*D+D]
			for j, v := range xr {
				h := v * rs
				if gamma != nil {
					h *= gamma[j]
				}
				yr[j] = h
			}
		}
	})
}

// RMSNormBackward accumulates dx [R, D] and dgamma [D] given dy: with
// x̂ = x·rstd and dx̂ = dy·gamma, dx = rstd·(dx̂ − x̂·mean(dx̂·x̂)).
func RMSNormBackward(dx, dgamma, dy, x, rstd, gamma []float32, R, D int) {
	normBackward(dx, dgamma, nil, dy, x, nil, rstd, gamma, R, D)
}

// normBackward is layer norm's backward; mean == nil makes it RMS norm's
// (no centring, so no mean(dx̂) term). Parameter gradients are summed over
// rows in fixed chunks, combined in chunk order.
func normBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, R, D int) {
	grain := Grain(D, 1<<14)
	chunks := (R + grain - 1) / grain
	var pg, pb []float32
	if dgamma != nil {
		pg = make([]float32, chunks*D)
	}
	if dbeta != nil {
		pb = make([]float32, chunks*D)
	}
	invD := 1 / float32(D)
	ParallelFor(R, grain, func(lo, hi int) {
		k := lo / grain
		for r := lo; r < hi; r++ {
			xr, dyr := x[r*D:r*D+D], dy[r*D:r*D+D]
			m := float32(0)
			if mean != nil {
				m = mean[r]
			}
			rs := rstd[r]
			if pg != nil || pb != nil {
				for j, d := range dyr {
					if pg != nil {
						pg[k*D+j] += d * (xr[j] - m) * rs
					}
					if pb != nil {
						pb[k*D+j] += d
					}
				}
			}
			if dx == nil {
				continue
			}
			sd, sdx := float32(0), float32(0) // Σdx̂, Σdx̂·x̂
			for j, d := range dyr {
				if gamma != nil {
					d *= gamma[j]
				}
				sd += d
				sdx += d * (xr[j] - m) * rs
			}
			if mean == nil {
				sd = 0
			}
			sd *= invD
			sdx *= invD
			dxr := dx[r*D : r*D+D]
			for j, d := range dyr {
				if gamma != nil {
					d *= gamma[j]
				}
				dxr[j] += rs * (d - sd - (xr[j]-m)*rs*sdx)
			}
		}
	})
	for k := 0; k < chunks; k++ {
		for j := range D {
			if pg != nil {
				dgamma[j] += pg[k*D+j]
			}
			if pb != nil {
				dbeta[j] += pb[k*D+j]
			}
		}
	}
}
