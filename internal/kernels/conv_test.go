package kernels

import (
	"math/rand/v2"
	"runtime"
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
