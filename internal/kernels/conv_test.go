package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// naiveConv is the textbook 7-loop convolution, the reference for the
// im2col path.
func naiveConv(x, w, b []float32, g Window, cout int) []float32 {
	y := make([]float32, g.N*g.OH*g.OW*cout)
	for n := 0; n < g.N; n++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				for co := 0; co < cout; co++ {
					var s float32
					if b != nil {
						s = b[co]
					}
					for kh := 0; kh < g.KH; kh++ {
						for kw := 0; kw < g.KW; kw++ {
							ih, iw := oh*g.SH-g.PadTop+kh, ow*g.SW-g.PadLeft+kw
							if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
								continue
							}
							for c := 0; c < g.C; c++ {
								s += x[((n*g.H+ih)*g.W+iw)*g.C+c] * w[((kh*g.KW+kw)*g.C+c)*cout+co]
							}
						}
					}
					y[((n*g.OH+oh)*g.OW+ow)*cout+co] = s
				}
			}
		}
	}
	return y
}

var convGeoms = []Window{
	{N: 2, H: 5, W: 6, C: 3, KH: 3, KW: 3, SH: 1, SW: 1, PadTop: 1, PadLeft: 1, OH: 5, OW: 6},
	{N: 3, H: 6, W: 6, C: 2, KH: 3, KW: 2, SH: 2, SW: 2, PadTop: 0, PadLeft: 0, OH: 3, OW: 3},
	{N: 1, H: 7, W: 4, C: 4, KH: 2, KW: 3, SH: 2, SW: 1, PadTop: 0, PadLeft: 0, OH: 3, OW: 2},
	{N: 2, H: 4, W: 5, C: 3, KH: 1, KW: 1, SH: 1, SW: 1, OH: 4, OW: 5}, // direct path
}

func TestConv2DForwardMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i, g := range convGeoms {
		cout := 4
		x := randSlice(r, g.N*g.H*g.W*g.C)
		w := randSlice(r, g.KH*g.KW*g.C*cout)
		b := randSlice(r, cout)
		for _, bias := range [][]float32{nil, b} {
			want := naiveConv(x, w, bias, g, cout)
			got := make([]float32, len(want))
			Conv2DForward(got, x, w, bias, g, cout)
			for j := range want {
				if d := got[j] - want[j]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("geom %d bias %v: y[%d] = %g, want %g", i, bias != nil, j, got[j], want[j])
				}
			}
		}
	}
}

// TestCol2imIsAdjoint: <Im2col(x), c> = <x, Col2im(c)> for random x, c,
// which is what makes Col2im the right backward for Im2col.
func TestCol2imIsAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i, g := range convGeoms {
		K := g.KH * g.KW * g.C
		x := randSlice(r, g.N*g.H*g.W*g.C)
		c := randSlice(r, g.N*g.OH*g.OW*K)
		cols := make([]float32, len(c))
		Im2col(cols, x, g, 0, g.N)
		dx := make([]float32, len(x))
		Col2im(dx, c, g, 0, g.N)
		var lhs, rhs float64
		for j := range c {
			lhs += float64(cols[j]) * float64(c[j])
		}
		for j := range x {
			rhs += float64(x[j]) * float64(dx[j])
		}
		if d := lhs - rhs; d > 1e-3 || d < -1e-3 {
			t.Errorf("geom %d: <im2col x, c> = %g, <x, col2im c> = %g", i, lhs, rhs)
		}
	}
}

// TestConvBackwardDeterministic: bit-identical gradients for GOMAXPROCS 1
// and 4, on a problem big enough to be split into many chunks.
func TestConvBackwardDeterministic(t *testing.T) {
	g := Window{N: 4, H: 20, W: 20, C: 8, KH: 3, KW: 3, SH: 1, SW: 1, PadTop: 1, PadLeft: 1, OH: 20, OW: 20}
	cout := 16
	r := rand.New(rand.NewPCG(5, 6))
	x := randSlice(r, g.N*g.H*g.W*g.C)
	w := randSlice(r, g.KH*g.KW*g.C*cout)
	dy := randSlice(r, g.N*g.OH*g.OW*cout)
	run := func(procs int) (dx, dw, db []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		dx, dw, db = make([]float32, len(x)), make([]float32, len(w)), make([]float32, cout)
		Conv2DBackward(dx, dw, db, dy, x, w, g, cout)
		return
	}
	dx1, dw1, db1 := run(1)
	dx4, dw4, db4 := run(4)
	for name, p := range map[string][2][]float32{"dx": {dx1, dx4}, "dw": {dw1, dw4}, "db": {db1, db4}} {
		for j := range p[0] {
			if p[0][j] != p[1][j] {
				t.Fatalf("%s[%d]: %g with 1 thread, %g with 4", name, j, p[0][j], p[1][j])
			}
		}
	}
}

// TestConvChunking: processing the batch one image per im2col chunk gives
// the same output and gradients as one chunk for the whole batch.
func TestConvChunking(t *testing.T) {
	g := convGeoms[1]
	cout := 3
	r := rand.New(rand.NewPCG(11, 12))
	x := randSlice(r, g.N*g.H*g.W*g.C)
	w := randSlice(r, g.KH*g.KW*g.C*cout)
	b := randSlice(r, cout)
	dy := randSlice(r, g.N*g.OH*g.OW*cout)
	run := func(budget int) [][]float32 {
		defer func(old int) { colsBudget = old }(colsBudget)
		colsBudget = budget
		if c := g.convChunk(); budget == 1 && c != 1 {
			t.Fatalf("chunk %d, want 1", c)
		}
		y := make([]float32, len(dy))
		Conv2DForward(y, x, w, b, g, cout)
		dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, cout)
		Conv2DBackward(dx, dw, db, dy, x, w, g, cout)
		return [][]float32{y, dx, dw, db}
	}
	whole, single := run(1<<21), run(1)
	for k := range whole {
		for j := range whole[k] {
			if d := whole[k][j] - single[k][j]; d > 1e-4 || d < -1e-4 {
				t.Fatalf("result %d[%d]: %g in one chunk, %g per image", k, j, whole[k][j], single[k][j])
			}
		}
	}
}

// naiveConvDW is the weight gradient of naiveConv for output gradient dy.
func naiveConvDW(x, dy []float32, g Window, cout int) []float64 {
	dw := make([]float64, g.KH*g.KW*g.C*cout)
	for n := 0; n < g.N; n++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ih, iw := oh*g.SH-g.PadTop+kh, ow*g.SW-g.PadLeft+kw
						if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
							continue
						}
						for c := 0; c < g.C; c++ {
							xv := float64(x[((n*g.H+ih)*g.W+iw)*g.C+c])
							for co := 0; co < cout; co++ {
								dw[((kh*g.KW+kw)*g.C+c)*cout+co] += xv * float64(dy[((n*g.OH+oh)*g.OW+ow)*cout+co])
							}
						}
					}
				}
			}
		}
	}
	return dw
}

// TestConvSmallK: one- and three-channel windows with cout a multiple of 8
// take the small-K path (no column matrix); forward and weight gradient
// match the naive convolution, the input gradient (im2col path) still
// comes out, and the weight gradient is bit-identical for any GOMAXPROCS.
func TestConvSmallK(t *testing.T) {
	geoms := []Window{
		{N: 3, H: 28, W: 28, C: 1, KH: 3, KW: 3, SH: 2, SW: 2, OH: 14, OW: 14}, // the seed CNN's first conv
		{N: 2, H: 9, W: 7, C: 3, KH: 3, KW: 3, SH: 1, SW: 1, PadTop: 1, PadLeft: 1, OH: 9, OW: 7},
		{N: 2, H: 6, W: 5, C: 1, KH: 2, KW: 3, SH: 1, SW: 2, OH: 5, OW: 2},
	}
	r := rand.New(rand.NewPCG(13, 14))
	for i, g := range geoms {
		for _, cout := range []int{8, 64, 72} {
			if !g.smallK(cout) && smallKAsm(cout) {
				t.Fatalf("geom %d cout %d: small-K path not taken", i, cout)
			}
			x := randSlice(r, g.N*g.H*g.W*g.C)
			w := randSlice(r, g.KH*g.KW*g.C*cout)
			b := randSlice(r, cout)
			want := naiveConv(x, w, b, g, cout)
			got := make([]float32, len(want))
			Conv2DForward(got, x, w, b, g, cout)
			for j := range want {
				if d := got[j] - want[j]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("geom %d cout %d: y[%d] = %g, want %g", i, cout, j, got[j], want[j])
				}
			}
			dy := randSlice(r, len(want))
			wantDW := naiveConvDW(x, dy, g, cout)
			run := func(procs int) (dx, dw []float32) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				dx, dw = make([]float32, len(x)), make([]float32, len(w))
				for j := range dw {
					dw[j] = 1 // accumulates
				}
				Conv2DBackward(dx, dw, nil, dy, x, w, g, cout)
				return dx, dw
			}
			dx1, dw1 := run(1)
			dx4, dw4 := run(4)
			for j := range dw1 {
				if dw1[j] != dw4[j] || dx1[j%len(dx1)] != dx4[j%len(dx4)] {
					t.Fatalf("geom %d cout %d: gradients differ between 1 and 4 threads at %d", i, cout, j)
				}
				if d := float64(dw1[j]) - 1 - wantDW[j]; d > 1e-3 || d < -1e-3 {
					t.Fatalf("geom %d cout %d: dw[%d] = %g, want %g", i, cout, j, dw1[j]-1, wantDW[j])
				}
			}
			// dx by the adjoint identity: <dx, x'> = <dy, conv(x', w)> (no bias).
			xp := randSlice(r, len(x))
			yp := naiveConv(xp, w, nil, g, cout)
			var lhs, rhs float64
			for j := range xp {
				lhs += float64(dx1[j]) * float64(xp[j])
			}
			for j := range yp {
				rhs += float64(dy[j]) * float64(yp[j])
			}
			if d := lhs - rhs; d > 1e-2*max(1, rhs, -rhs) || d < -1e-2*max(1, rhs, -rhs) {
				t.Fatalf("geom %d cout %d: <dx, x'> = %g, <dy, conv x'> = %g", i, cout, lhs, rhs)
			}
		}
	}
}

// TestConvSavedCols: keeping the forward's column matrix for the backward
// pass gives the same output, and gradients equal up to the GEMM's
// summation order (one GEMM over the batch instead of one per chunk).
func TestConvSavedCols(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	defer func(old int) { colsBudget = old }(colsBudget)
	colsBudget = 100 // several chunks without saved columns
	for i, g := range convGeoms {
		cout := 5
		n := ConvColsLen(g, cout)
		if (n == 0) != g.direct() {
			t.Fatalf("geom %d: ConvColsLen = %d", i, n)
		}
		x := randSlice(r, g.N*g.H*g.W*g.C)
		w := randSlice(r, g.KH*g.KW*g.C*cout)
		b := randSlice(r, cout)
		dy := randSlice(r, g.N*g.OH*g.OW*cout)
		y1, y2 := make([]float32, len(dy)), make([]float32, len(dy))
		cols := randSlice(r, n) // garbage: the forward overwrites it
		Conv2DForward(y1, x, w, b, g, cout)
		Conv2DForwardSave(y2, cols, x, w, b, g, cout)
		dx1, dw1, db1 := make([]float32, len(x)), make([]float32, len(w)), make([]float32, cout)
		dx2, dw2, db2 := make([]float32, len(x)), make([]float32, len(w)), make([]float32, cout)
		Conv2DBackward(dx1, dw1, db1, dy, x, w, g, cout)
		Conv2DBackwardSaved(dx2, dw2, db2, dy, x, cols, w, g, cout, false)
		for k, p := range [][2][]float32{{y1, y2}, {dx1, dx2}, {dw1, dw2}, {db1, db2}} {
			for j := range p[0] {
				if d := p[0][j] - p[1][j]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("geom %d result %d[%d]: %g recomputed, %g saved", i, k, j, p[0][j], p[1][j])
				}
			}
		}
	}
}

// TestColSumsAcc: column sums against float64, on widths that use the
// vector loop, its Go tail, or only the tail, and enough rows for several
// blocks and chunks; bit-identical for any GOMAXPROCS.
func TestColSumsAcc(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, cols := range []int{1, 3, 13, 64} {
		rows := 3000
		a := randSlice(r, rows*cols)
		run := func(procs int) []float32 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			dst := make([]float32, cols)
			for j := range dst {
				dst[j] = 2
			}
			ColSumsAcc(dst, a, rows, cols)
			return dst
		}
		got, got4 := run(1), run(4)
		for j := range cols {
			want := 2.0
			for i := range rows {
				want += float64(a[i*cols+j])
			}
			if d := float64(got[j]) - want; d > 1e-3 || d < -1e-3 {
				t.Errorf("cols %d: sum[%d] = %g, want %g", cols, j, got[j], want)
			}
			if got[j] != got4[j] {
				t.Errorf("cols %d: sum[%d] = %g with 1 thread, %g with 4", cols, j, got[j], got4[j])
			}
		}
	}
}

// TestConvBackwardSetDx: with setDx, Conv2DBackwardSaved overwrites a
// garbage dx with what it would add to a zero one, on every path (dx as
// convolutions of dy, stride 1 and strided, and direct).
func TestConvBackwardSetDx(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for i, g := range convGeoms {
		cout := 4
		x := randSlice(r, g.N*g.H*g.W*g.C)
		w := randSlice(r, g.KH*g.KW*g.C*cout)
		dy := randSlice(r, g.N*g.OH*g.OW*cout)
		want := make([]float32, len(x))
		Conv2DBackwardSaved(want, nil, nil, dy, x, nil, w, g, cout, false)
		got := randSlice(r, len(x))
		Conv2DBackwardSaved(got, nil, nil, dy, x, nil, w, g, cout, true)
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("geom %d: set dx[%d] = %g, accumulated into zeros %g", i, j, got[j], want[j])
			}
		}
	}
}

// TestConvRowsMatchesIm2col: every block of rows and columns convRows
// serves equals that part of Im2col's matrix, padding included.
func TestConvRowsMatchesIm2col(t *testing.T) {
	geoms := append(slices.Clone(convGeoms),
		Window{N: 2, H: 7, W: 7, C: 5, KH: 3, KW: 3, SH: 2, SW: 2, PadTop: 1, PadLeft: 1, OH: 4, OW: 4},
		Window{N: 1, H: 3, W: 4, C: 2, KH: 5, KW: 5, SH: 1, SW: 1, PadTop: 2, PadLeft: 2, OH: 3, OW: 4},
		Window{N: 2, H: 4, W: 4, C: 3, KH: 2, KW: 2, SH: 1, SW: 1, PadTop: -1, PadLeft: 0, OH: 4, OW: 3},
	)
	r := rand.New(rand.NewPCG(31, 32))
	for i, g := range geoms {
		K := g.KH * g.KW * g.C
		M := g.N * g.OH * g.OW
		x := randSlice(r, g.N*g.H*g.W*g.C)
		cols := make([]float32, M*K)
		Im2col(cols, x, g, 0, g.N)
		src := &convRows{x: x, g: g}
		for _, blk := range [][4]int{{0, M, 0, K}, {1, M - 1, 1, K - 2}, {M / 2, 1, K / 3, K / 2}} {
			i0, rows, pc, kb := blk[0], blk[1], blk[2], blk[3]
			lds := kb + 3
			dst := randSlice(r, rows*lds)
			src.Rows(dst, lds, i0, rows, pc, kb)
			for rr := range rows {
				for p := range kb {
					if got, want := dst[rr*lds+p], cols[(i0+rr)*K+pc+p]; got != want {
						t.Fatalf("geom %d block %v: row %d col %d = %g, want %g", i, blk, i0+rr, pc+p, got, want)
					}
				}
			}
		}
	}
}

// TestConvDx: the input gradient taken as convolutions of dy equals the
// column-matrix gradient scattered by Col2im, on stride 1 (SAME, VALID,
// extra pad after, padding as large as the kernel), strides 2-4, kernels
// smaller than the stride (classes no tap reaches) and odd sizes.
func TestConvDx(t *testing.T) {
	geoms := []Window{
		{N: 2, H: 5, W: 6, C: 3, KH: 3, KW: 3, SH: 1, SW: 1, PadTop: 1, PadLeft: 1, OH: 5, OW: 6},    // same
		{N: 2, H: 5, W: 6, C: 3, KH: 3, KW: 3, SH: 1, SW: 1, OH: 3, OW: 4},                           // valid
		{N: 1, H: 6, W: 5, C: 2, KH: 2, KW: 4, SH: 1, SW: 1, PadTop: 0, PadLeft: 1, OH: 6, OW: 5},    // same, extra pad after
		{N: 3, H: 7, W: 7, C: 8, KH: 5, KW: 1, SH: 1, SW: 1, PadTop: 2, PadLeft: 0, OH: 7, OW: 7},    //
		{N: 1, H: 4, W: 4, C: 2, KH: 2, KW: 2, SH: 1, SW: 1, PadTop: 2, PadLeft: 3, OH: 5, OW: 3},    // pad >= kernel
		{N: 2, H: 14, W: 14, C: 8, KH: 3, KW: 3, SH: 2, SW: 2, OH: 7, OW: 7},                         // the seed block, SAME on even
		{N: 1, H: 7, W: 7, C: 3, KH: 3, KW: 3, SH: 2, SW: 2, PadTop: 1, PadLeft: 1, OH: 4, OW: 4},    // SAME on odd
		{N: 2, H: 9, W: 8, C: 2, KH: 1, KW: 1, SH: 2, SW: 2, OH: 5, OW: 4},                           // 1×1 shortcut
		{N: 1, H: 10, W: 11, C: 3, KH: 2, KW: 4, SH: 3, SW: 2, PadTop: 0, PadLeft: 1, OH: 3, OW: 5},  // mixed
		{N: 2, H: 8, W: 7, C: 2, KH: 5, KW: 3, SH: 3, SW: 3, PadTop: 2, PadLeft: 1, OH: 3, OW: 3},    // stride 3
		{N: 1, H: 6, W: 6, C: 4, KH: 2, KW: 2, SH: 2, SW: 1, PadTop: 0, PadLeft: 0, OH: 3, OW: 5},    // one strided axis
		{N: 1, H: 12, W: 12, C: 16, KH: 3, KW: 3, SH: 4, SW: 4, PadTop: 1, PadLeft: 1, OH: 3, OW: 3}, // kernel < stride
	}
	r := rand.New(rand.NewPCG(41, 42))
	for i, g := range geoms {
		for _, cout := range []int{5, 32} {
			K := g.KH * g.KW * g.C
			w := randSlice(r, K*cout)
			dy := randSlice(r, g.N*g.OH*g.OW*cout)
			dx0 := randSlice(r, g.N*g.H*g.W*g.C)
			dcols := make([]float32, g.N*g.OH*g.OW*K)
			sgemmRef(false, true, g.N*g.OH*g.OW, K, cout, 1, dy, cout, w, cout, 0, dcols, K)
			want := slices.Clone(dx0)
			Col2im(want, dcols, g, 0, g.N)
			wantSet := make([]float32, len(dx0))
			Col2im(wantSet, dcols, g, 0, g.N)
			got := slices.Clone(dx0)
			convDx(got, dy, w, g, cout, false)
			gotSet := randSlice(r, len(dx0)) // garbage to overwrite
			convDx(gotSet, dy, w, g, cout, true)
			for j := range want {
				if d := math.Abs(float64(got[j] - want[j])); d > 1e-4*(1+math.Abs(float64(want[j]))) {
					t.Fatalf("geom %d cout %d: dx[%d] = %g, want %g", i, cout, j, got[j], want[j])
				}
				if d := math.Abs(float64(gotSet[j] - wantSet[j])); d > 1e-4*(1+math.Abs(float64(wantSet[j]))) {
					t.Fatalf("geom %d cout %d: set dx[%d] = %g, want %g", i, cout, j, gotSet[j], wantSet[j])
				}
			}
		}
	}
}
