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

// bnBlock is the number of rows a batch-norm column reduction sums in
// float32 before adding the block's sums into float64 chunk partials: short
// enough that float32 keeps the statistics accurate (means of 1000 with a
// variance of 1 included), long enough to amortise the call.
const bnBlock = 64

// bnGrain is the batch-norm row chunk: about 64 KB of each matrix.
func bnGrain(C int) int { return Grain(C, 1<<14) }

// bnColReduce runs red over x's rows in chunks and blocks and returns the
// per-column sums of its k outputs (k·C values, output q at q·C, after
// combining), combining float64 chunk partials in chunk order. red
// accumulates into k slices of length C over a block of rows starting at
// row lo. The caller gives the result back with f64Scratch.put.
func bnColReduce(M, C, k int, red func(acc [][]float32, lo, rows int)) *[]float64 {
	grain := bnGrain(C)
	chunks := (M + grain - 1) / grain
	pp := f64Scratch.getZeroed(chunks * k * C)
	defer f64Scratch.put(pp)
	part := *pp
	tmp := getScratch(chunks * k * C)
	defer putScratch(tmp)
	accs := make([][]float32, chunks*k) // slice headers made once per call, not per chunk
	ParallelFor(M, grain, func(lo, hi int) {
		ch := lo / grain
		p := part[ch*k*C:][:k*C]
		t := (*tmp)[ch*k*C:][:k*C]
		acc := accs[ch*k:][:k]
		for q := range k {
			acc[q] = t[q*C : q*C+C]
		}
		for b := lo; b < hi; b += bnBlock {
			clear(t)
			red(acc, b, min(bnBlock, hi-b))
			vAddF64(p, t)
		}
	})
	out := f64Scratch.getZeroed(k * C)
	for ch := range chunks {
		vAddF64Slice(*out, part[ch*k*C:][:k*C])
	}
	return out
}

// vAddF64Slice accumulates dst += src in float64.
func vAddF64Slice(dst, src []float64) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// BatchNormStats writes the per-channel mean and biased variance of x
// [M, C] in one pass over memory: each row chunk (cache-resident) gets two
// passes, its mean and then its squared deviations from that mean (so a
// large mean costs no accuracy), and the chunks' means and deviation sums
// are merged in float64 in chunk order (Chan et al.'s pairwise update).
func BatchNormStats(mean, variance, x []float32, M, C int) {
	if C == 0 {
		return
	}
	grain := bnGrain(C)
	chunks := (M + grain - 1) / grain
	cp := f64Scratch.getZeroed(2 * chunks * C)
	defer f64Scratch.put(cp)
	cm := (*cp)[:chunks*C]  // chunk means
	cm2 := (*cp)[chunks*C:] // chunk Σ(x − chunk mean)²
	tmp := getScratch(chunks * 2 * C)
	defer putScratch(tmp)
	ParallelFor(M, grain, func(lo, hi int) {
		k := lo / grain
		m, m2 := cm[k*C:][:C], cm2[k*C:][:C]
		t := (*tmp)[2*k*C:][:2*C]
		acc, shift := t[:C], t[C:]
		n := float64(hi - lo)
		for b := lo; b < hi; b += bnBlock {
			clear(acc)
			vColSum(acc, x[b*C:], min(bnBlock, hi-b), C, C)
			vAddF64(m, acc)
		}
		for c := range C {
			m[c] /= n
			shift[c] = float32(m[c])
		}
		for b := lo; b < hi; b += bnBlock {
			clear(acc)
			vColSumSqDev(acc, x[b*C:], shift, min(bnBlock, hi-b), C, C)
			vAddF64(m2, acc)
		}
		for c := range C {
			d := float64(shift[c]) - m[c] // deviations were taken from the rounded mean
			m2[c] -= n * d * d
		}
	})
	for c := range C {
		mu := 0.0
		for k := range chunks {
			mu += cm[k*C+c] * float64(min(grain, M-k*grain))
		}
		mu /= float64(M)
		v := 0.0
		for k := range chunks {
			d := cm[k*C+c] - mu
			v += cm2[k*C+c] + float64(min(grain, M-k*grain))*d*d
		}
		mean[c] = float32(mu)
		variance[c] = float32(max(v, 0) / float64(M))
	}
}

// BatchNormForward writes y = (x − mean)·rstd·gamma + beta per channel for
// x, y [M, C].
func BatchNormForward(y, x, mean, rstd, gamma, beta []float32, M, C int) {
	batchNormForward(y, x, mean, rstd, gamma, beta, M, C, false)
}

// BatchNormReLUForward is BatchNormForward followed by ReLUForward, in one
// pass: the same bits as the two calls, without writing and reading back
// the batch norm's output.
func BatchNormReLUForward(y, x, mean, rstd, gamma, beta []float32, M, C int) {
	batchNormForward(y, x, mean, rstd, gamma, beta, M, C, true)
}

func batchNormForward(y, x, mean, rstd, gamma, beta []float32, M, C int, relu bool) {
	if C == 0 {
		return
	}
	ap := f32Scratch.get(C)
	defer f32Scratch.put(ap)
	a := *ap
	for c := range C {
		a[c] = rstd[c]
		if gamma != nil {
			a[c] *= gamma[c]
		}
	}
	b := orZeros(beta, C)
	ParallelFor(M, bnGrain(C), func(lo, hi int) {
		vBNFwdRows(y[lo*C:], x[lo*C:], mean, a, b, hi-lo, C, C, relu)
	})
}

// BatchNormBackward accumulates dx, dgamma, dbeta given dy [M, C] (with
// setDx it writes dx instead, reading nothing of it). With batchStats the
// mean and rstd were the batch's own, so they depend on x:
// dx = gamma·rstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M) (the fused form of
// rstd/M·(M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)) with dx̂ = gamma·dy); otherwise
// (running statistics) the op is affine in x and dx = gamma·rstd·dy.
func BatchNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, M, C int, batchStats, setDx bool) {
	batchNormBackward(dx, dgamma, dbeta, dy, nil, x, mean, rstd, gamma, M, C, batchStats, setDx)
}

// BatchNormReLUBackward is the backward pass of BatchNormReLUForward, whose
// output was z: BatchNormBackward of dy masked where !(0 < z), as
// ReLUBackward masks it, without writing the masked gradient out. The
// results equal those of the two unfused backward calls.
func BatchNormReLUBackward(dx, dgamma, dbeta, dy, z, x, mean, rstd, gamma []float32, M, C int, batchStats, setDx bool) {
	batchNormBackward(dx, dgamma, dbeta, dy, z, x, mean, rstd, gamma, M, C, batchStats, setDx)
}

// batchNormBackward is BatchNormBackward; z != nil masks dy by the ReLU
// that produced z from the batch norm's output.
func batchNormBackward(dx, dgamma, dbeta, dy, z, x, mean, rstd, gamma []float32, M, C int, batchStats, setDx bool) {
	if C == 0 || M == 0 {
		return
	}
	needSums := dgamma != nil || dbeta != nil || (dx != nil && batchStats)
	cp := f32Scratch.get(5 * C)
	defer f32Scratch.put(cp)
	coef := *cp
	sumDy, sumDyXh := coef[:C], coef[C:2*C]
	if needSums {
		sp := bnColReduce(M, C, 2, func(acc [][]float32, lo, rows int) {
			if z != nil {
				vColBwdSumsMask(acc[0], acc[1], dy[lo*C:], x[lo*C:], mean, z[lo*C:], rows, C, C)
				return
			}
			vColBwdSums(acc[0], acc[1], dy[lo*C:], x[lo*C:], mean, rows, C, C)
		})
		s := *sp
		for c := range C {
			sumDy[c] = float32(s[c])
			sumDyXh[c] = float32(s[C+c] * float64(rstd[c]))
			if dbeta != nil {
				dbeta[c] += sumDy[c]
			}
			if dgamma != nil {
				dgamma[c] += sumDyXh[c]
			}
		}
		f64Scratch.put(sp)
	}
	if dx == nil {
		return
	}
	// Per-channel coefficients: dx = a·dy + b·(x − mean) + c0 (b = c0 = 0
	// without batch statistics).
	a, b, c0 := coef[2*C:3*C], coef[3*C:4*C], coef[4*C:]
	invM := 1 / float32(M)
	for c := range C {
		g := float32(1)
		if gamma != nil {
			g = gamma[c]
		}
		a[c] = g * rstd[c]
		b[c], c0[c] = 0, 0
		if batchStats {
			b[c] = -a[c] * sumDyXh[c] * invM * rstd[c]
			c0[c] = -a[c] * sumDy[c] * invM
		}
	}
	ParallelFor(M, bnGrain(C), func(lo, hi int) {
		if z != nil {
			vBNBwdDxRowsMask(dx[lo*C:], dy[lo*C:], x[lo*C:], mean, a, b, c0, z[lo*C:], hi-lo, C, C, setDx)
			return
		}
		vBNBwdDxRows(dx[lo*C:], dy[lo*C:], x[lo*C:], mean, a, b, c0, hi-lo, C, C, setDx)
	})
}

// rowGrain is the layer/RMS norm row chunk: about 64 KB of x.
func rowGrain(D int) int { return Grain(D, 1<<14) }

// LayerNormForward normalises each row of x [R, D] to zero mean and unit
// (biased) variance and writes y = x̂·gamma + beta (gamma, beta [D]),
// saving mean and rstd [R] for the backward pass. Three vector passes over
// each row (mean, variance, output), which stays in L1: one pass over
// memory.
func LayerNormForward(y, mean, rstd, x, gamma, beta []float32, R, D int, eps float32) {
	if D == 0 {
		return
	}
	g, b := orOnes(gamma, D), orZeros(beta, D)
	invD := 1 / float32(D)
	stream := streamOutput(R * D)
	ParallelFor(R, rowGrain(D), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			mean[r], rstd[r] = vLayerNormRow(y[r*D:r*D+D], x[r*D:r*D+D], g, b, invD, eps, stream)
		}
	})
}

// LayerNormBackward accumulates dx [R, D], dgamma and dbeta [D] given dy:
// with dx̂ = dy·gamma, dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)). With
// setDx it writes dx instead, reading nothing of it (a fresh gradient needs
// no zeroing).
func LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, R, D int, setDx bool) {
	normBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, R, D, setDx)
}

// RMSNormForward writes y = x·rstd·gamma for each row of x [R, D], with
// rstd = 1/sqrt(mean(x²) + eps) saved per row.
func RMSNormForward(y, rstd, x, gamma []float32, R, D int, eps float32) {
	if D == 0 {
		return
	}
	g, b := orOnes(gamma, D), orZeros(nil, D)
	invD := 1 / float32(D)
	stream := streamOutput(R * D)
	ParallelFor(R, rowGrain(D), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*D : r*D+D]
			rs := float32(1 / math.Sqrt(float64(vSumSqDev(xr, 0, stream)*invD+eps)))
			rstd[r] = rs
			vNormAffine(y[r*D:r*D+D], xr, g, b, 0, rs, stream)
		}
	})
}

// RMSNormBackward accumulates dx [R, D] and dgamma [D] given dy: with
// x̂ = x·rstd and dx̂ = dy·gamma, dx = rstd·(dx̂ − x̂·mean(dx̂·x̂)); with
// setDx it writes dx.
func RMSNormBackward(dx, dgamma, dy, x, rstd, gamma []float32, R, D int, setDx bool) {
	normBackward(dx, dgamma, nil, dy, x, nil, rstd, gamma, R, D, setDx)
}

// streamMinFloats is the output size (float32s) from which the row norms
// store their output non-temporally: an output that cannot stay in the
// caches anyway is then written straight to memory, without first reading
// each line in for ownership (which costs a third of the traffic of a
// forward pass). Smaller outputs are stored normally, so that the next op
// finds them in cache. Half the last-level cache, from measurement on a
// 32 MiB L3 (BenchmarkNormStreamStores: 6 MB outputs lose with streaming
// stores, 24 MB ones win); 16 MiB where CPUID gives no cache size.
var streamMinFloats = streamThreshold(cpu.LastLevelCache)

func streamThreshold(llcBytes int) int {
	if llcBytes <= 0 {
		llcBytes = 32 << 20
	}
	return llcBytes / 2 / 4
}

func streamOutput(n int) bool { return n >= streamMinFloats }

// maxNormChunks caps the chunks of normBackward (so its per-chunk
// parameter-gradient partials stay small), for large R.
const maxNormChunks = 64

// normBackward is layer norm's backward; mean == nil makes it RMS norm's
// (no centring, so no mean(dx̂) term). Per row, one vector pass computes
// the row sums and accumulates the chunk's gamma/beta partials, a second
// writes dx; the row stays in L1, so dy, x and dx cross memory once.
// Parameter gradients are summed over rows in fixed chunks, combined in
// chunk order.
func normBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma []float32, R, D int, setDx bool) {
	if D == 0 || R == 0 || (dx == nil && dgamma == nil && dbeta == nil) {
		return
	}
	grain := max(rowGrain(D), (R+maxNormChunks-1)/maxNormChunks)
	chunks := (R + grain - 1) / grain
	part := getScratch(2 * chunks * D) // per chunk: gamma partial, beta partial
	defer putScratch(part)
	g := orOnes(gamma, D)
	invD := 1 / float32(D)
	stream := streamOutput(R * D)
	ParallelFor(R, grain, func(lo, hi int) {
		p := (*part)[2*(lo/grain)*D:]
		pg, pb := p[:D], p[D:2*D]
		for r := lo; r < hi; r++ {
			xr, dyr := x[r*D:r*D+D], dy[r*D:r*D+D]
			m := float32(0)
			if mean != nil {
				m = mean[r]
			}
			rs := rstd[r]
			sd, sdx := vNormBwdSums(pg, pb, dyr, xr, g, m, rs, stream) // Σdx̂, Σdx̂·x̂
			if dx == nil {
				continue
			}
			if mean == nil {
				sd = 0
			}
			vNormBwdDx(dx[r*D:r*D+D], dyr, xr, g, m, rs, sd*invD, sdx*invD, setDx, stream)
		}
	})
	for k := 0; k < chunks; k++ {
		p := (*part)[2*k*D:]
		if dgamma != nil {
			for j, v := range p[:D] {
				dgamma[j] += v
			}
		}
		if dbeta != nil {
			for j, v := range p[D : 2*D] {
				dbeta[j] += v
			}
		}
	}
}
