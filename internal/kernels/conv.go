package kernels

import "sync"

// 2-D convolution over NHWC inputs with HWIO kernels, as GEMMs over the
// column matrix (im2col). Forward and backward sit side by side. The
// column matrix is written out only where it is kept: a training forward
// saves it for the weight gradient; everywhere else the GEMM takes it a
// block of rows at a time (SgemmRows, convRows). Input gradients are
// convolutions of dy: with the flipped kernel for stride 1, and one per
// class of input pixels for larger strides (sub-pixel). A direct path is
// taken for 1×1 stride-1 unpadded kernels, where the input already is the
// column matrix, and a small-K path for a first layer's few channels.
// Choosing padding (VALID/SAME) is the caller's business: a Window carries
// the resolved pads and output size.

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
// The kernel rows inside the input are found once per output row, and
// windows wholly inside it (most of them) take a plain copy per kernel row,
// so a one-channel input's runs of KW values cost little beyond the copy.
func im2colRow(dst, x []float32, g Window, n, oh int) {
	C := g.C
	KWC := g.KW * C
	K := g.KH * KWC
	ih0 := oh*g.SH - g.PadTop
	khLo, khHi := max(0, -ih0), min(g.KH, g.H-ih0) // kernel rows inside the input
	if khLo >= khHi {
		clear(dst[:g.OW*K])
		return
	}
	img := x[(n*g.H+ih0+khLo)*g.W*C:][:(khHi-khLo-1)*g.W*C+g.W*C] // rows ih0+khLo … ih0+khHi-1
	for ow := 0; ow < g.OW; ow++ {
		crow := dst[ow*K:][:K]
		iw0, a, b := g.kwSpan(ow)
		if b <= a {
			clear(crow)
			continue
		}
		if khLo > 0 {
			clear(crow[:khLo*KWC])
		}
		if khHi < g.KH {
			clear(crow[khHi*KWC:])
		}
		if a == 0 && b == g.KW { // the window is inside the input's width
			src := img[iw0*C:]
			for kh := khLo; kh < khHi; kh++ {
				copyRun(crow[kh*KWC:][:KWC], src[(kh-khLo)*g.W*C:][:KWC])
			}
			continue
		}
		for kh := khLo; kh < khHi; kh++ {
			seg := crow[kh*KWC:][:KWC]
			clear(seg[:a*C])
			copyRun(seg[a*C:b*C], img[((kh-khLo)*g.W+iw0+a)*C:][:(b-a)*C])
			clear(seg[b*C:])
		}
	}
}

// Col2im is Im2col's adjoint: it scatter-adds the column matrix cols of
// images [n0,n1) into dx [N,H,W,C] (accumulating). Each input row is
// gathered by one goroutine in a fixed order (kh, then ow), so it is
// deterministic. (The backward passes no longer use it; it stays as the
// reference the input-gradient tests check against.)
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
// For a convolution followed by ReLU (y, the ReLU's output, not nil) each
// output row of dy is first masked where !(0 < y) into an L1-sized buffer,
// and the bias gradient (db not nil) is summed from the same masked rows,
// so the masked gradient is never written out whole.
func convSmallKBackwardW(dw, db, dy, y, x []float32, g Window, cout int) {
	K := g.KH * g.KW * g.C
	rows, grain := g.N*g.OH, g.smallKGrain(cout)
	chunks := (rows + grain - 1) / grain
	rowLen := g.OW * cout
	// A chunk's weight partial, then (with db) its bias partial: whole rows
	// of the masked dy summed, one vector add per row, folded to cout at
	// the end.
	per := K * cout
	if db != nil {
		per += rowLen
	}
	pp := f32Scratch.get(chunks * per)
	part := *pp
	ParallelFor(rows, grain, func(lo, hi int) {
		p := part[lo/grain*per:][:per]
		clear(p)
		pw, pb := p[:K*cout], p[K*cout:]
		buf := f32Scratch.get(g.OW*K + rowLen)
		cols, mdy := (*buf)[:g.OW*K], (*buf)[g.OW*K:]
		for r := lo; r < hi; r++ {
			d := dy[r*rowLen:][:rowLen]
			if y != nil {
				vReLUBwdSet(mdy, d, y[r*rowLen:][:rowLen])
				d = mdy
			}
			im2colRow(cols, x, g, r/g.OH, r%g.OH)
			vGemmSmallKAccT(pw, cols, d, g.OW, K, cout)
			if db != nil {
				vAddTo(pb, d)
			}
		}
		f32Scratch.put(buf)
	})
	for c := range chunks {
		p := part[c*per:][:per]
		vAddTo(dw[:K*cout], p[:K*cout])
		if db != nil {
			for ow := range g.OW {
				vAddTo(db[:cout], p[K*cout+ow*cout:][:cout])
			}
		}
	}
	f32Scratch.put(pp)
}

// Conv2DReLUForwardSave is Conv2DForwardSave followed by ReLU on y, fused
// into the small-K kernel where the convolution takes that path (y is then
// written once) and applied in place otherwise.
func Conv2DReLUForwardSave(y, cols, x, w, b []float32, g Window, cout int) {
	if g.smallK(cout) {
		convSmallKForward(y, x, w, b, g, cout, true)
		return
	}
	Conv2DForwardSave(y, cols, x, w, b, g, cout)
	ReLUForward(y, y)
}

// Conv2DReLUBackwardSaved is the backward pass of Conv2DReLUForwardSave,
// whose output was y: Conv2DBackwardSaved of dy masked where !(0 < y). On
// the small-K path without an input gradient (a network's first layer) the
// mask is applied row by row inside the weight-gradient kernel; otherwise
// the masked gradient goes through scratch.
func Conv2DReLUBackwardSaved(dx, dw, db, dy, y, x, cols, w []float32, g Window, cout int, setDx bool) {
	if dx == nil && dw != nil && g.smallK(cout) {
		convSmallKBackwardW(dw, db, dy, y, x, g, cout)
		return
	}
	mp := f32Scratch.get(len(dy))
	defer f32Scratch.put(mp)
	masked := *mp
	ReLUBackwardSet(masked, dy, y)
	Conv2DBackwardSaved(dx, dw, db, masked, x, cols, w, g, cout, setDx)
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
// convolution without a column matrix) it keeps nothing, and the GEMM
// takes the columns a block of rows at a time (SgemmRows).
func Conv2DForwardSave(y, cols, x, w, b []float32, g Window, cout int) {
	if g.smallK(cout) {
		convSmallKForward(y, x, w, b, g, cout, false)
		return
	}
	K := g.KH * g.KW * g.C
	beta := float32(0)
	if b != nil { // seed y with the bias; the GEMM then adds onto it
		beta = 1
		FillRows(y, b, len(y)/cout)
	}
	if g.direct() {
		Sgemm(false, false, g.N*g.H*g.W, cout, g.C, 1, x, g.C, w, cout, beta, y, cout)
		return
	}
	if cols == nil { // nothing to keep: the column matrix is never written out
		src := convRowsPool.Get().(*convRows)
		src.x, src.g = x, g
		SgemmRows(src, false, g.N*g.OH*g.OW, cout, K, 1, w, cout, beta, y, cout)
		src.x = nil
		convRowsPool.Put(src)
		return
	}
	Im2col(cols, x, g, 0, g.N)
	Sgemm(false, false, g.N*g.OH*g.OW, cout, K, 1, cols, K, w, cout, beta, y, cout)
}

// Conv2DBackward accumulates the gradients of Conv2DForward given dy
// [N,OH,OW,Cout]: dx [N,H,W,C], dw [KH,KW,C,Cout], db [Cout]; a nil
// gradient slice is skipped. dW = colsᵀ·dY per batch chunk, recomputing
// the columns rather than keeping them; dx as a convolution of dy (see
// Conv2DBackwardSaved).
func Conv2DBackward(dx, dw, db, dy, x, w []float32, g Window, cout int) {
	Conv2DBackwardSaved(dx, dw, db, dy, x, nil, w, g, cout, false)
}

// Conv2DBackwardSaved is Conv2DBackward given the column matrix that
// Conv2DForwardSave kept (nil: recompute it from x). cols is only read.
// With setDx, dx is written rather than accumulated into (its old contents
// are never read), which spares the caller zeroing a fresh gradient.
func Conv2DBackwardSaved(dx, dw, db, dy, x, cols, w []float32, g Window, cout int, setDx bool) {
	K := g.KH * g.KW * g.C
	if db != nil {
		ColSumsAcc(db, dy, g.N*g.OH*g.OW, cout)
	}
	if dw != nil && g.smallK(cout) {
		convSmallKBackwardW(dw, nil, dy, nil, x, g, cout)
		dw = nil // done; the input gradient, if wanted, is taken below
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
			beta := float32(1)
			if setDx {
				beta = 0
			}
			Sgemm(false, true, m, g.C, cout, 1, dy, cout, w, cout, beta, dx, g.C)
		}
		return
	}
	if dx != nil {
		convDx(dx, dy, w, g, cout, setDx)
	}
	if dw == nil {
		return
	}
	if cols != nil { // one GEMM over the whole batch
		Sgemm(true, false, K, cout, g.N*g.OH*g.OW, 1, cols, K, dy, cout, 1, dw, cout)
		return
	}
	// Without saved columns the weight gradient rebuilds them in batch
	// chunks (Im2col writes every element it is read at).
	chunk := g.convChunk()
	buf := f32Scratch.get(chunk * g.OH * g.OW * K)
	defer f32Scratch.put(buf)
	work := *buf
	for n0 := 0; n0 < g.N; n0 += chunk {
		n1 := min(n0+chunk, g.N)
		rows := (n1 - n0) * g.OH * g.OW
		Im2col(work, x, g, n0, n1)
		Sgemm(true, false, K, cout, rows, 1, work, K, dy[n0*g.OH*g.OW*cout:], cout, 1, dw, cout)
	}
}

// subpixelAxis describes one class of input positions along an axis of a
// convolution with kernel k, stride s and padding pad before the input of
// size in: positions p, p+s, p+2s, … (count of them), which receive
// gradient from the kernel taps k0, k0+s, … (taps of them) at output
// positions i+d−t for the i-th position of the class and its t-th tap.
type subpixelAxis struct{ count, k0, taps, d int }

func subpixel(p, in, k, s, pad int) subpixelAxis {
	var a subpixelAxis
	if p < in {
		a.count = (in - p + s - 1) / s
	}
	a.k0 = ((p+pad)%s + s) % s
	if a.k0 < k {
		a.taps = (k - a.k0 + s - 1) / s
	}
	a.d = (p + pad - a.k0) / s
	return a
}

// convDx accumulates (with set, writes) the input gradient of a
// convolution that is not direct, as convolutions of dy: the input pixels
// (ph + SH·i, pw + SW·j) of each class get the stride-1 convolution of dy
// with the class's taps of the flipped kernel, kh = kh0 + SH·(Th−1−t)
// (for stride 1 one class, the whole flipped kernel). Each is a GEMM with
// the long inner dimension Th·Tw·cout through SgemmRows, so neither dy's
// column matrix nor the column-matrix gradient (KH·KW values per output
// pixel and channel, for col2im) is ever written out. A strided class's
// result goes through scratch into its pixels; a class no tap reaches gets
// zero.
func convDx(dx, dy, w []float32, g Window, cout int, set bool) {
	for ph := range g.SH {
		for pw := range g.SW {
			ah := subpixel(ph, g.H, g.KH, g.SH, g.PadTop)
			aw := subpixel(pw, g.W, g.KW, g.SW, g.PadLeft)
			if ah.count == 0 || aw.count == 0 {
				continue
			}
			if ah.taps == 0 || aw.taps == 0 {
				if set {
					scatterClass(dx, nil, g, ph, pw, ah.count, aw.count, true)
				}
				continue
			}
			// The class's kernel, transposed for the GEMM (as convDxAsConv
			// keeps it): wc[ci, (th·Tw + tw)·cout + co] = w[kh, kw, ci, co].
			K := ah.taps * aw.taps * cout
			wp := f32Scratch.get(g.C * K)
			wc := *wp
			for th := range ah.taps {
				kh := ah.k0 + g.SH*(ah.taps-1-th)
				for tw := range aw.taps {
					kw := aw.k0 + g.SW*(aw.taps-1-tw)
					src := w[(kh*g.KW+kw)*g.C*cout:][:g.C*cout]
					for ci := range g.C {
						copy(wc[ci*K+(th*aw.taps+tw)*cout:][:cout], src[ci*cout:][:cout])
					}
				}
			}
			sub := Window{N: g.N, H: g.OH, W: g.OW, C: cout, KH: ah.taps, KW: aw.taps, SH: 1, SW: 1,
				PadTop: ah.taps - 1 - ah.d, PadLeft: aw.taps - 1 - aw.d, OH: ah.count, OW: aw.count}
			rows := g.N * ah.count * aw.count
			src := convRowsPool.Get().(*convRows)
			src.x, src.g = dy, sub
			if g.SH == 1 && g.SW == 1 { // one class, every pixel: straight into dx
				beta := float32(1)
				if set {
					beta = 0
				}
				SgemmRows(src, true, rows, g.C, K, 1, wc, K, beta, dx, g.C)
			} else {
				op := f32Scratch.get(rows * g.C) // the beta = 0 GEMM writes all of it
				SgemmRows(src, true, rows, g.C, K, 1, wc, K, 0, *op, g.C)
				scatterClass(dx, *op, g, ph, pw, ah.count, aw.count, set)
				f32Scratch.put(op)
			}
			src.x = nil
			convRowsPool.Put(src)
			f32Scratch.put(wp)
		}
	}
}

// scatterClass writes (set) or adds the class's gradient out [N, hc, wc,
// C] into the input pixels (ph + SH·i, pw + SW·j) of dx; out == nil writes
// zeros (set only).
func scatterClass(dx, out []float32, g Window, ph, pw, hc, wc int, set bool) {
	j := scatterPool.Get().(*scatterJob)
	j.dx, j.out, j.g, j.ph, j.pw, j.hc, j.wc, j.set = dx, out, g, ph, pw, hc, wc, set
	ParallelFor(g.N*hc, Grain(wc*g.C, 1<<14), j.fn)
	j.dx, j.out = nil, nil
	scatterPool.Put(j)
}

// scatterJob is one scatterClass call; pooled with its method value, so a
// call allocates nothing.
type scatterJob struct {
	dx, out        []float32
	g              Window
	ph, pw, hc, wc int
	set            bool
	fn             func(lo, hi int)
}

var scatterPool = sync.Pool{New: func() any {
	j := new(scatterJob)
	j.fn = j.rows
	return j
}}

// rows scatters the class rows [lo, hi) (image n, class row i).
func (j *scatterJob) rows(lo, hi int) {
	g, C := j.g, j.g.C
	for r := lo; r < hi; r++ {
		n, i := r/j.hc, r%j.hc
		row := j.dx[(n*g.H+j.ph+g.SH*i)*g.W*C:]
		for c := range j.wc {
			d := row[(j.pw+g.SW*c)*C:][:C]
			switch {
			case j.out == nil:
				clear(d)
			case j.set:
				copy(d, j.out[(r*j.wc+c)*C:][:C])
			default:
				vAddTo(d, j.out[(r*j.wc+c)*C:][:C])
			}
		}
	}
}

// convRows serves the column matrix of a convolution over x (Im2col's
// layout, whole batch) to SgemmRows a block of rows at a time, so it is
// never written out: each thread writes the rows of its chunk into a
// buffer that stays in cache and the GEMM reads them there.
type convRows struct {
	x []float32
	g Window
}

var convRowsPool = sync.Pool{New: func() any { return new(convRows) }}

// Rows writes column-matrix rows [i0, i0+rows), columns [pc, pc+kb), into
// dst with row stride lds: per kernel row, the part of the window inside
// the input is one contiguous run of x, the rest zeros.
func (s *convRows) Rows(dst []float32, lds, i0, rows, pc, kb int) {
	g, x := s.g, s.x
	C, KWC := g.C, g.KW*g.C
	per := g.OH * g.OW
	for r := range rows {
		m := i0 + r
		n, rem := m/per, m%per
		oh, ow := rem/g.OW, rem%g.OW
		d := dst[r*lds : r*lds+kb]
		ih0 := oh*g.SH - g.PadTop
		iw0, a, b := g.kwSpan(ow)
		for k := pc; k < pc+kb; {
			kh := k / KWC
			end := min(pc+kb, (kh+1)*KWC)
			ih := ih0 + kh
			// Inside the input: columns [lo, hi) of this kernel row.
			lo, hi := kh*KWC+a*C, kh*KWC+b*C
			v0, v1 := max(k, lo), min(end, hi)
			if ih < 0 || ih >= g.H || v0 >= v1 {
				clear(d[k-pc : end-pc])
				k = end
				continue
			}
			clear(d[k-pc : v0-pc])
			o := (n*g.H+ih)*g.W*C + iw0*C + v0 - kh*KWC // iw0 + kw >= 0 for kw >= a
			copyRun(d[v0-pc:v1-pc], x[o:o+v1-v0])
			clear(d[v1-pc : end-pc])
			k = end
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
			vAddF64(p, t)
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
