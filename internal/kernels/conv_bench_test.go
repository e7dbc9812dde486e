package kernels

import (
	"fmt"
	"testing"
)

// seedConvs are the convolutions of the seed CNN at batch 32 (NHWC,
// SAME padding resolved as autograd does).
var seedConvs = []struct {
	name string
	g    Window
	cout int
}{
	{"conv1", Window{N: 32, H: 28, W: 28, C: 1, KH: 3, KW: 3, SH: 2, SW: 2, OH: 14, OW: 14}, 64},
	{"block1", Window{N: 32, H: 14, W: 14, C: 64, KH: 3, KW: 3, SH: 2, SW: 2, OH: 7, OW: 7}, 64},
	{"block1_sc", Window{N: 32, H: 14, W: 14, C: 64, KH: 1, KW: 1, SH: 2, SW: 2, OH: 7, OW: 7}, 64},
	{"block2", Window{N: 32, H: 7, W: 7, C: 64, KH: 3, KW: 3, SH: 1, SW: 1, PadTop: 1, PadLeft: 1, OH: 7, OW: 7}, 64},
}

// BenchmarkSeedConv times the seed CNN's convolutions forward and backward:
// go test ./internal/kernels/ -run X -bench SeedConv
func BenchmarkSeedConv(b *testing.B) {
	for _, c := range seedConvs {
		g := c.g
		x := make([]float32, g.N*g.H*g.W*g.C)
		w := make([]float32, g.KH*g.KW*g.C*c.cout)
		bias := make([]float32, c.cout)
		y := make([]float32, g.N*g.OH*g.OW*c.cout)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		for i := range w {
			w[i] = float32(i%5) - 2
		}
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		// As autograd runs them: the forward keeps the column matrix.
		saved := make([]float32, ConvColsLen(g, c.cout))
		if len(saved) == 0 {
			saved = nil
		}
		b.Run(fmt.Sprint(c.name, "/fwd"), func(b *testing.B) {
			for b.Loop() {
				Conv2DForwardSave(y, saved, x, w, bias, g, c.cout)
			}
		})
		b.Run(fmt.Sprint(c.name, "/bwd"), func(b *testing.B) {
			dx := dx
			if c.name == "conv1" {
				dx = nil // the input needs no gradient
			}
			for b.Loop() {
				Conv2DBackwardSaved(dx, dw, bias, y, x, saved, w, g, c.cout, false)
			}
		})
		b.Run(fmt.Sprint(c.name, "/im2col"), func(b *testing.B) {
			cols := make([]float32, g.N*g.OH*g.OW*g.KH*g.KW*g.C)
			for b.Loop() {
				Im2col(cols, x, g, 0, g.N)
			}
		})
		b.Run(fmt.Sprint(c.name, "/col2im"), func(b *testing.B) {
			cols := make([]float32, g.N*g.OH*g.OW*g.KH*g.KW*g.C)
			for b.Loop() {
				Col2im(dx, cols, g, 0, g.N)
			}
		})
	}
}

// BenchmarkSeedConv1ReLU times the seed CNN's first layer with its ReLU,
// fused (Conv2DReLU*) and as the two unfused steps, forward and backward.
func BenchmarkSeedConv1ReLU(b *testing.B) {
	c := seedConvs[0]
	g := c.g
	x := make([]float32, g.N*g.H*g.W*g.C)
	w := make([]float32, g.KH*g.KW*g.C*c.cout)
	bias, db := make([]float32, c.cout), make([]float32, c.cout)
	y, dy, dpre := make([]float32, g.N*g.OH*g.OW*c.cout), make([]float32, g.N*g.OH*g.OW*c.cout), make([]float32, g.N*g.OH*g.OW*c.cout)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	for i := range dy {
		dy[i] = float32(i%3) - 1
	}
	dw := make([]float32, len(w))
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			Conv2DReLUForwardSave(y, nil, x, w, bias, g, c.cout)
			Conv2DReLUBackwardSaved(nil, dw, db, dy, y, x, nil, w, g, c.cout, false)
		}
	})
	b.Run("unfused", func(b *testing.B) {
		pre := make([]float32, len(y))
		for b.Loop() {
			Conv2DForwardSave(pre, nil, x, w, bias, g, c.cout)
			ReLUForward(y, pre)
			ReLUBackwardSet(dpre, dy, pre)
			Conv2DBackwardSaved(nil, dw, db, dpre, x, nil, w, g, c.cout, false)
		}
	})
}
