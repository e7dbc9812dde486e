package kernels

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkZZRowBwd(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const D = 768
	x, dy, dx, g, pg, pb := randSlice(r, D), randSlice(r, D), randSlice(r, D), randSlice(r, D), randSlice(r, D), randSlice(r, D)
	b.Run("sums", func(b *testing.B) {
		for b.Loop() {
			vNormBwdSums(pg, pb, dy, x, g, 0.1, 1.1)
		}
	})
	b.Run("dx", func(b *testing.B) {
		for b.Loop() {
			vNormBwdDx(dx, dy, x, g, 0.1, 1.1, 0.1, 0.2, true, false)
		}
	})
	b.Run("lnrow", func(b *testing.B) {
		for b.Loop() {
			vLayerNormRow(dx, x, g, pb, 1.0/768, 1e-5, false)
		}
	})
}
