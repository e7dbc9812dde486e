package kernels

// 2-D convolution over NHWC inputs with HWIO kernels, as im2col + GEMM.
// Forward and backward sit side by side; the batch is processed in chunks
// so the im2col buffer stays bounded. A direct (no im2col) path is taken
// for 1×1 stride-1 unpadded kernels, where the input already is the column
// matrix. Choosing padding (VALID/SAME) is the caller's business: a Window
// carries the resolved pads and output size.

// Window is the geometry of a 2-D sliding window over an NHWC input
// [N,H,W,C]: kernel KH×KW, strides SH,SW, PadTop/PadLeft zero (or, for
// pooling, never-winning) rows/columns before the input, output OH×OW.
// Padding after the input is implied by the output size.
type Window struct {
	N, H, W, C      int
	KH, KW          int
	SH, SW          int
	PadTop, PadLeft int
	OH, OW          int
}

// colsBudget bounds the im2col buffer (in float32s) of one batch chunk; a
// variable so tests can force chunking.
var colsBudget = 1 << 21

// direct reports whether a convolution needs no im2col: the input viewed as
// [N·H·W, C] already is the column matrix.
func (g Window) direct() bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadTop == 0 && g.PadLeft == 0 &&
		g.OH == g.H && g.OW == g.W
}

// convChunk is the number of images per im2col chunk.
func (g Window) convChunk() int {
	per := g.OH * g.OW * g.KH * g.KW * g.C
	return max(1, min(g.N, colsBudget/max(per, 1)))
}

// Im2col writes the column matrix of images [n0,n1) of x into cols:
// row ((n-n0)·OH + oh)·OW + ow, column (kh·KW + kw)·C + c holds
// x[n, oh·SH−PadTop+kh, ow·SW−PadLeft+kw, c], or 0 outside the input.
// cols has (n1−n0)·OH·OW rows of KH·KW·C.
func Im2col(cols, x []float32, g Window, n0, n1 int) {
	K := g.KH * g.KW * g.C
	ParallelFor((n1-n0)*g.OH, Grain(g.OW*K, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			n, oh := n0+r/g.OH, r%g.OH
			for ow := 0; ow < g.OW; ow++ {
				crow := cols[(r*g.OW+ow)*K:][:K]
				for kh := 0; kh < g.KH; kh++ {
					ih := oh*g.SH - g.PadTop + kh
					seg := crow[kh*g.KW*g.C:][:g.KW*g.C]
					if ih < 0 || ih >= g.H {
						clear(seg)
						continue
					}
					xrow := x[(n*g.H+ih)*g.W*g.C:][:g.W*g.C]
					for kw := 0; kw < g.KW; kw++ {
						iw := ow*g.SW - g.PadLeft + kw
						dst := seg[kw*g.C:][:g.C]
						if iw < 0 || iw >= g.W {
							clear(dst)
						} else {
							copy(dst, xrow[iw*g.C:][:g.C])
						}
					}
				}
			}
		}
	})
}

// Col2im is Im2col's adjoint: it scatter-adds the column matrix cols of
// images [n0,n1) into dx [N,H,W,C] (accumulating). Each input row is
// gathered by one goroutine in a fixed order, so it is deterministic.
func Col2im(dx, cols []float32, g Window, n0, n1 int) {
	K := g.KH * g.KW * g.C
	ParallelFor((n1-n0)*g.H, Grain(g.W*g.C*g.KH*g.KW, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			nl, ih := r/g.H, r%g.H
			dxrow := dx[((n0+nl)*g.H+ih)*g.W*g.C:][:g.W*g.C]
			for kh := 0; kh < g.KH; kh++ {
				t := ih + g.PadTop - kh
				if t < 0 || t%g.SH != 0 || t/g.SH >= g.OH {
					continue
				}
				oh := t / g.SH
				for ow := 0; ow < g.OW; ow++ {
					crow := cols[((nl*g.OH+oh)*g.OW+ow)*K:][:K]
					for kw := 0; kw < g.KW; kw++ {
						iw := ow*g.SW - g.PadLeft + kw
						if iw < 0 || iw >= g.W {
							continue
						}
						dst := dxrow[iw*g.C:][:g.C]
						src := crow[(kh*g.KW+kw)*g.C:][:g.C]
						for c, v := range src {
							dst[c] += v
						}
					}
				}
			}
		}
	})
}

// Conv2DForward computes y [N,OH,OW,Cout] = conv(x [N,H,W,C], w
// [KH,KW,C,Cout]) + b (b [Cout] or nil).
func Conv2DForward(y, x, w, b []float32, g Window, cout int) {
	K := g.KH * g.KW * g.C
	beta := float32(0)
	if b != nil { // seed y with the bias; the GEMM then adds onto it
		beta = 1
		for i := 0; i < len(y); i += cout {
			copy(y[i:i+cout], b)
		}
	}
	if g.direct() {
		Sgemm(false, false, g.N*g.H*g.W, cout, g.C, 1, x, g.C, w, cout, beta, y, cout)
		return
	}
	chunk := g.convChunk()
	buf := f32Scratch.get(chunk * g.OH * g.OW * K) // Im2col writes every element it is read at
	defer f32Scratch.put(buf)
	cols := *buf
	for n0 := 0; n0 < g.N; n0 += chunk {
		n1 := min(n0+chunk, g.N)
		rows := (n1 - n0) * g.OH * g.OW
		Im2col(cols, x, g, n0, n1)
		Sgemm(false, false, rows, cout, K, 1, cols, K, w, cout, beta, y[n0*g.OH*g.OW*cout:], cout)
	}
}

// Conv2DBackward accumulates the gradients of Conv2DForward given dy
// [N,OH,OW,Cout]: dx [N,H,W,C], dw [KH,KW,C,Cout], db [Cout]; a nil
// gradient slice is skipped. dW = colsᵀ·dY and dCols = dY·Wᵀ (then col2im)
// per batch chunk, recomputing the columns rather than keeping them.
func Conv2DBackward(dx, dw, db, dy, x, w []float32, g Window, cout int) {
	K := g.KH * g.KW * g.C
	if db != nil {
		ColSumsAcc(db, dy, g.N*g.OH*g.OW, cout)
	}
	if dx == nil && dw == nil {
		return
	}
	if g.direct() {
		m := g.N * g.H * g.W
		if dw != nil {
			Sgemm(true, false, g.C, cout, m, 1, x, g.C, dy, cout, 1, dw, cout)
		}
		if dx != nil {
			Sgemm(false, true, m, g.C, cout, 1, dy, cout, w, cout, 1, dx, g.C)
		}
		return
	}
	chunk := g.convChunk()
	// Im2col and the beta = 0 GEMM overwrite the rows they fill before any
	// read, so the scratch needs no clearing.
	buf := f32Scratch.get(chunk * g.OH * g.OW * K)
	defer f32Scratch.put(buf)
	cols := *buf
	for n0 := 0; n0 < g.N; n0 += chunk {
		n1 := min(n0+chunk, g.N)
		rows := (n1 - n0) * g.OH * g.OW
		dyc := dy[n0*g.OH*g.OW*cout:]
		if dw != nil {
			Im2col(cols, x, g, n0, n1)
			Sgemm(true, false, K, cout, rows, 1, cols, K, dyc, cout, 1, dw, cout)
		}
		if dx != nil { // cols is free again: reuse it for dCols
			Sgemm(false, true, rows, K, cout, 1, dyc, cout, w, cout, 0, cols, K)
			Col2im(dx, cols, g, n0, n1)
		}
	}
}

// ColSumsAcc accumulates the column sums of a [rows, cols] matrix into
// dst [cols]. Rows are summed in fixed chunks whose float64 partials are
// combined in chunk order, so the result does not depend on GOMAXPROCS.
func ColSumsAcc(dst, a []float32, rows, cols int) {
	grain := Grain(cols, 1<<14)
	chunks := (rows + grain - 1) / grain
	pp := f64Scratch.getZeroed(chunks * cols)
	defer f64Scratch.put(pp)
	part := *pp
	ParallelFor(rows, grain, func(lo, hi int) {
		p := part[lo/grain*cols:][:cols]
		for i := lo; i < hi; i++ {
			for j, v := range a[i*cols : i*cols+cols] {
				p[j] += float64(v)
			}
		}
	})
	for j := range cols {
		s := 0.0
		for c := 0; c < chunks; c++ {
			s += part[c*cols+j]
		}
		dst[j] += float32(s)
	}
}
