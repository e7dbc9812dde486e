package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSizedPool(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 1000, 1 << 20} {
		p := f32Scratch.get(n)
		if len(*p) != n || cap(*p)&(cap(*p)-1) != 0 || cap(*p) < n {
			t.Fatalf("get(%d): len %d cap %d, want len %d and a power-of-two cap", n, len(*p), cap(*p), n)
		}
		for i := range *p {
			(*p)[i] = 7
		}
		f32Scratch.put(p)
		z := f32Scratch.getZeroed(n)
		for i, v := range *z {
			if v != 0 {
				t.Fatalf("getZeroed(%d)[%d] = %g", n, i, v)
			}
		}
		f32Scratch.put(z)
	}
}

// dirtyScratch leaves NaN-filled buffers of every class up to 1<<22 in
// the scratch pools, so a kernel that read scratch it had not written
// would show it.
func dirtyScratch() {
	for c := 0; c <= 22; c++ {
		f := make([]float32, 1<<c)
		d := make([]float64, 1<<c)
		for i := range f {
			f[i], d[i] = float32(math.NaN()), math.NaN()
		}
		f32Scratch.put(&f)
		f64Scratch.put(&d)
	}
}

// TestConvIgnoresDirtyScratch: convolution results do not depend on what
// the scratch buffers held before.
func TestConvIgnoresDirtyScratch(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for i, g := range convGeoms {
		cout := 5
		x := randSlice(r, g.N*g.H*g.W*g.C)
		w := randSlice(r, g.KH*g.KW*g.C*cout)
		b := randSlice(r, cout)
		dy := randSlice(r, g.N*g.OH*g.OW*cout)
		run := func() [][]float32 {
			y := make([]float32, len(dy))
			Conv2DForward(y, x, w, b, g, cout)
			dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, cout)
			Conv2DBackward(dx, dw, db, dy, x, w, g, cout)
			return [][]float32{y, dx, dw, db}
		}
		want := run()
		dirtyScratch()
		got := run()
		for k := range want {
			for j := range want[k] {
				if math.Float32bits(got[k][j]) != math.Float32bits(want[k][j]) {
					t.Fatalf("geom %d result %d[%d]: %g after dirty scratch, %g before", i, k, j, got[k][j], want[k][j])
				}
			}
		}
	}
}

// TestSumIntoWideColumns: column sums wider than colSums' stack block are
// summed exactly as one float32 accumulator per column, rows in order.
func TestSumIntoWideColumns(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, c := range []struct{ outer, rows, n int }{{1, 3, 1000}, {2, 3, 700}, {3, 2, 257}} {
		src := randSlice(r, c.outer*c.rows*c.n)
		shape, ds := []int{c.outer, c.rows, c.n}, []int{c.n, 0, 1}
		got := randSlice(r, c.outer*c.n)
		want := append([]float32(nil), got...)
		for o := range c.outer {
			for j := range c.n {
				var acc float32
				for k := range c.rows {
					acc += src[(o*c.rows+k)*c.n+j]
				}
				want[o*c.n+j] += 0.5 * acc
			}
		}
		SumInto(got, src, shape, ds, 0.5)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%v: dst[%d] = %g, want %g", shape, j, got[j], want[j])
			}
		}
	}
}
