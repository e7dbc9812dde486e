package kernels

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// gemmBenchShapes are the GEMM shapes resnorm leans on: square, a
// Transformer dense layer, and a 3×3 64→64 convolution as im2col (forward,
// weight gradient with transA, input gradient with transB) at 8192 rows and
// at the seed CNN's batch 32 (1568 rows; then the stride-1 input gradient
// taken as a convolution, and the 1×1 shortcut convolution's three GEMMs).
var gemmBenchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"1024x1024x1024", false, false, 1024, 1024, 1024},
	{"2048x768x768", false, false, 2048, 768, 768},
	{"8192x64x576", false, false, 8192, 64, 576},
	{"576x64x8192_tA", true, false, 576, 64, 8192},
	{"8192x576x64_tB", false, true, 8192, 576, 64},
	{"1568x64x576", false, false, 1568, 64, 576},
	{"576x64x1568_tA", true, false, 576, 64, 1568},
	{"1568x576x64_tB", false, true, 1568, 576, 64},
	{"1568x64x576_tB", false, true, 1568, 64, 576},
	{"1568x64x64", false, false, 1568, 64, 64},
	{"64x64x1568_tA", true, false, 64, 64, 1568},
	{"1568x64x64_tB", false, true, 1568, 64, 64},
}

// BenchmarkSgemm reports GFLOP/s (2mnk per call); run with -cpu 1,2 for
// one and two threads.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range gemmBenchShapes {
		b.Run(s.name, func(b *testing.B) {
			benchSgemm(b, s.transA, s.transB, s.m, s.n, s.k)
		})
	}
}

func benchSgemm(b *testing.B, transA, transB bool, m, n, k int) {
	rng := tensor.NewRNG(1)
	a := make([]float32, m*k)
	bm := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = float32(rng.Normal())
	}
	for i := range bm {
		bm[i] = float32(rng.Normal())
	}
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Sgemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemmSizes sweeps square sizes, small to large.
func BenchmarkSgemmSizes(b *testing.B) {
	for _, s := range []int{16, 32, 64, 128, 256, 512} {
		b.Run(fmt.Sprint(s), func(b *testing.B) { benchSgemm(b, false, false, s, s, s) })
	}
}

// BenchmarkPeakFMA measures the machine's float32 peak the way the GEMM
// kernels reach for it: every thread (GOMAXPROCS of them) runs
// independent multiply-adds on the widest vectors the CPU has, nothing
// loaded or stored. bench/run.sh reports each GEMM shape's share of it,
// measured in the same rounds.
func BenchmarkPeakFMA(b *testing.B) {
	const iters = 1 << 16
	perCall := fmaPeak(1) * iters
	if perCall == 0 {
		b.Skip("no FMA vector unit here")
	}
	procs := runtime.GOMAXPROCS(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ParallelFor(procs, 1, func(lo, hi int) {
			for range hi - lo {
				fmaPeak(iters)
			}
		})
	}
	b.ReportMetric(float64(perCall)*float64(procs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
