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

// kwSpan returns the kernel columns [lo, hi) of an output column ow whose
// input columns iw0+kw lie inside the input, iw0 = ow·SW − PadLeft; those
// columns are contiguous in both the input row and the column-matrix row
// (hi <= lo when none are).
func (g Window) kwSpan(ow int) (iw0, lo, hi int) {
	iw0 = ow*g.SW - g.PadLeft
	return iw0, max(0, -iw0), min(g.KW, g.W-iw0)
}

// copyRun copies src into dst (equal lengths); runs of a few elements (a
// one-channel input) are copied inline rather than through memmove.
func copyRun(dst, src []float32) {
	if len(dst) > 16 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v
	}
}

// Im2col writes the column matrix of images [n0,n1) of x into cols:
// row ((n-n0)·OH + oh)·OW + ow, column (kh·KW + kw)·C + c holds
// x[n, oh·SH−PadTop+kh, ow·SW−PadLeft+kw, c], or 0 outside the input.
// cols has (n1−n0)·OH·OW rows of KH·KW·C.
func Im2col(cols, x []float32, g Window, n0, n1 int) {
	rowLen := g.OW * g.KH * g.KW * g.C
	ParallelFor((n1-n0)*g.OH, Grain(rowLen, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			im2colRow(cols[r*rowLen:][:rowLen], x, g, n0+r/g.OH, r%g.OH)
		}
	})
}

// im2colRow writes the OW column-matrix rows of output row oh of image n.
func im2colRow(dst, x []float32, g Window, n, oh int) {
	C := g.C
	K := g.KH * g.KW * C
	for ow := 0; ow < g.OW; ow++ {
		crow := dst[ow*K:][:K]
		iw0, a, b := g.kwSpan(ow)
		for kh := 0; kh < g.KH; kh++ {
			ih := oh*g.SH - g.PadTop + kh
			seg := crow[kh*g.KW*C:][:g.KW*C]
			if ih < 0 || ih >= g.H || b <= a {
				clear(seg)
				continue
			}
			clear(seg[:a*C])
			copyRun(seg[a*C:b*C], x[((n*g.H+ih)*g.W+iw0+a)*C:][:(b-a)*C])
			clear(seg[b*C:])
		}
	}
}

// Col2im is Im2col's adjoint: it scatter-adds the column matrix cols of
// images [n0,n1) into dx [N,H,W,C] (accumulating). Each input row is
// gathered by one goroutine in a fixed order (kh, then ow), so it is
// deterministic.
func Col2im(dx, cols []float32, g Window, n0, n1 int) {
	K := g.KH * g.KW * g.C
	C := g.C
	ParallelFor((n1-n0)*g.H, Grain(g.W*g.C*g.KH*g.KW, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			nl, ih := r/g.H, r%g.H
			dxrow := dx[((n0+nl)*g.H+ih)*g.W*C:][:g.W*C]
			for kh := 0; kh < g.KH; kh++ {
				t := ih + g.PadTop - kh
				if t < 0 || t%g.SH != 0 || t/g.SH >= g.OH {
					continue
				}
				oh := t / g.SH
				for ow := 0; ow < g.OW; ow++ {
					iw0, a, b := g.kwSpan(ow)
					if b <= a {
						continue
					}
					crow := cols[((nl*g.OH+oh)*g.OW+ow)*K+kh*g.KW*C:]
					vAddTo(dxrow[(iw0+a)*C:(iw0+b)*C], crow[a*C:b*C])
				}
			}
		}
	})
}

// smallKMax is the largest window size KH·KW·C that takes the small-K
// path: a one- or three-channel first layer, whose GEMM would be all
// packing and C-tile traffic for a handful of FMAs.
const smallKMax = 32

// smallK reports whether a convolution with cout outputs takes the small-K
// path: per output row, the window is gathered into a buffer that stays in
// L1 and multiplied by w with the bias (and activation) fused, so the
// column matrix is never written out.
func (g Window) smallK(cout int) bool {
	return g.KH*g.KW*g.C <= smallKMax && smallKAsm(cout) && !g.direct()
}

// smallKGrain is the number of output rows per chunk of the small-K path.
func (g Window) smallKGrain(cout int) int {
	return Grain(g.OW*g.KH*g.KW*g.C*cout, 1<<16)
}

// convSmallKForward is Conv2DForward on the small-K path (b may be nil),
// with ReLU applied if relu.
func convSmallKForward(y, x, w, b []float32, g Window, cout int, relu bool) {
	K := g.KH * g.KW * g.C
	b = orZeros(b, cout)
	ParallelFor(g.N*g.OH, g.smallKGrain(cout), func(lo, hi int) {
		buf := f32Scratch.get(g.OW * K)
		cols := *buf
		for r := lo; r < hi; r++ {
			im2colRow(cols, x, g, r/g.OH, r%g.OH)
			vGemmSmallK(y[r*g.OW*cout:], cols, w, b, g.OW, K, cout, relu)
		}
		f32Scratch.put(buf)
	})
}

// convSmallKBackwardW accumulates the weight gradient on the small-K path:
// each chunk of output rows sums into its own partial, and the partials
// are added to dw in chunk order, so the bits do not depend on GOMAXPROCS.
func convSmallKBackwardW(dw, dy, x []float32, g Window, cout int) {
	K := g.KH * g.KW * g.C
	rows, grain := g.N*g.OH, g.smallKGrain(cout)
	chunks := (rows + grain - 1) / grain
	pp := f32Scratch.get(chunks * K * cout)
	part := *pp
	ParallelFor(rows, grain, func(lo, hi int) {
		p := part[lo/grain*K*cout:][:K*cout]
		clear(p)
		buf := f32Scratch.get(g.OW * K)
		cols := *buf
		for r := lo; r < hi; r++ {
			im2colRow(cols, x, g, r/g.OH, r%g.OH)
			vGemmSmallKAccT(p, cols, dy[r*g.OW*cout:], g.OW, K, cout)
		}
		f32Scratch.put(buf)
	})
	for c := range chunks {
		vAddTo(dw[:K*cout], part[c*K*cout:])
	}
	f32Scratch.put(pp)
}

// ConvColsLen is the length of a convolution's column matrix for the whole
// batch, which Conv2DForwardSave can keep for the backward pass; 0 when
// the convolution has none (the direct and small-K paths).
func ConvColsLen(g Window, cout int) int {
	if g.direct() || g.smallK(cout) {
		return 0
	}
	return g.N * g.OH * g.OW * g.KH * g.KW * g.C
}

// Conv2DForward computes y [N,OH,OW,Cout] = conv(x [N,H,W,C], w
// [KH,KW,C,Cout]) + b (b [Cout] or nil).
func Conv2DForward(y, x, w, b []float32, g Window, cout int) {
	Conv2DForwardSave(y, nil, x, w, b, g, cout)
}

// Conv2DForwardSave is Conv2DForward that also leaves the column matrix of
// the whole batch in cols (length ConvColsLen(g, cout)), so that
// Conv2DBackwardSaved need not build it again. With cols nil (or a
// convolution without a column matrix) it keeps nothing and builds the
// columns in bounded chunks of scratch.
func Conv2DForwardSave(y, cols, x, w, b []float32, g Window, cout int) {
	if g.smallK(cout) {
		convSmallKForward(y, x, w, b, g, cout, false)
		return
	}
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
	chunk := g.N
	if cols == nil {
		chunk = g.convChunk()
		buf := f32Scratch.get(chunk * g.OH * g.OW * K) // Im2col writes every element it is read at
		defer f32Scratch.put(buf)
		cols = *buf
	}
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
	Conv2DBackwardSaved(dx, dw, db, dy, x, nil, w, g, cout)
}

// Conv2DBackwardSaved is Conv2DBackward given the column matrix that
// Conv2DForwardSave kept (nil: recompute it from x). cols is only read.
func Conv2DBackwardSaved(dx, dw, db, dy, x, cols, w []float32, g Window, cout int) {
	K := g.KH * g.KW * g.C
	if db != nil {
		ColSumsAcc(db, dy, g.N*g.OH*g.OW, cout)
	}
	if dw != nil && g.smallK(cout) {
		convSmallKBackwardW(dw, dy, x, g, cout)
		dw = nil // the input gradient, if wanted, takes the im2col path
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
	if cols != nil && dw != nil { // one GEMM over the whole batch
		Sgemm(true, false, K, cout, g.N*g.OH*g.OW, 1, cols, K, dy, cout, 1, dw, cout)
		dw = nil
	}
	if dx == nil && dw == nil {
		return
	}
	// Im2col and the beta = 0 GEMM overwrite the rows they fill before any
	// read, so the scratch needs no clearing.
	buf := f32Scratch.get(chunk * g.OH * g.OW * K)
	defer f32Scratch.put(buf)
	work := *buf
	for n0 := 0; n0 < g.N; n0 += chunk {
		n1 := min(n0+chunk, g.N)
		rows := (n1 - n0) * g.OH * g.OW
		dyc := dy[n0*g.OH*g.OW*cout:]
		if dw != nil {
			Im2col(work, x, g, n0, n1)
			Sgemm(true, false, K, cout, rows, 1, work, K, dyc, cout, 1, dw, cout)
		}
		if dx != nil { // work is free again: reuse it for dCols
			Sgemm(false, true, rows, K, cout, 1, dyc, cout, w, cout, 0, work, K)
			Col2im(dx, work, g, n0, n1)
		}
	}
}

// colSumsBlock is the number of rows ColSumsAcc sums in float32 (vector
// adds) before adding them into its float64 chunk partials.
const colSumsBlock = 64

// ColSumsAcc accumulates the column sums of a [rows, cols] matrix into
// dst [cols]. Rows are summed in fixed chunks, each in float32 blocks of
// colSumsBlock rows added into float64 partials; the partials are combined
// in chunk order, so the result does not depend on GOMAXPROCS.
func ColSumsAcc(dst, a []float32, rows, cols int) {
	grain := Grain(cols, 1<<14)
	chunks := (rows + grain - 1) / grain
	pp := f64Scratch.getZeroed(chunks * cols)
	defer f64Scratch.put(pp)
	tp := f32Scratch.get(chunks * cols)
	defer f32Scratch.put(tp)
	part, tmp := *pp, *tp
	ParallelFor(rows, grain, func(lo, hi int) {
		p := part[lo/grain*cols:][:cols]
		t := tmp[lo/grain*cols:][:cols]
		for b := lo; b < hi; b += colSumsBlock {
			clear(t)
			vColSum(t, a[b*cols:], min(colSumsBlock, hi-b), cols, cols)
			for j, v := range t {
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
