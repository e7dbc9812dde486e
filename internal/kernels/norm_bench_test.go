package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Norm benchmarks at the shapes of issue 5: LayerNorm / RMSNorm on
// [8192, 768] (a BERT-base activation), BatchNorm on [32,14,14,64]
// channels last (M = 6272 rows of C = 64). SetBytes counts the bytes each
// call must move at least (every input read once, every output written
// once), so MB/s is achieved
// memory bandwidth; bench/torch_norm.py is the PyTorch peer.

// rowNormShapes: the issue's [8192, 768] target and a BERT-mini layer's
// activations (16 × 128 tokens, hidden 256), which stay in L2/L3.
var rowNormShapes = []struct {
	name string
	R, D int
}{{"8192x768", 8192, 768}, {"2048x256", 2048, 256}}

type normBench struct {
	R, D                                                 int
	x, y, dy, dx, mean, rstd, gamma, beta, dgamma, dbeta []float32
}

func newNormBench(R, D int) *normBench {
	r := rand.New(rand.NewPCG(1, 2))
	return &normBench{
		R: R, D: D,
		x: randSlice(r, R*D), y: randSlice(r, R*D), dy: randSlice(r, R*D), dx: randSlice(r, R*D),
		mean: make([]float32, R), rstd: make([]float32, R),
		gamma: randSlice(r, D), beta: randSlice(r, D), dgamma: make([]float32, D), dbeta: make([]float32, D),
	}
}

// benchRows runs f at each row-norm shape; mats is the number of [R, D]
// matrices one call moves.
func benchRows(b *testing.B, mats int, setup, f func(s *normBench)) {
	for _, sh := range rowNormShapes {
		b.Run(sh.name, func(b *testing.B) {
			s := newNormBench(sh.R, sh.D)
			if setup != nil {
				setup(s)
			}
			b.SetBytes(int64(mats * 4 * sh.R * sh.D))
			for b.Loop() {
				f(s)
			}
		})
	}
}

func lnFwd(s *normBench) {
	LayerNormForward(s.y, s.mean, s.rstd, s.x, s.gamma, s.beta, s.R, s.D, 1e-5)
}

func lnBwd(s *normBench) {
	LayerNormBackward(s.dx, s.dgamma, s.dbeta, s.dy, s.x, s.mean, s.rstd, s.gamma, s.R, s.D, true)
}

func rmsFwd(s *normBench) { RMSNormForward(s.y, s.rstd, s.x, s.gamma, s.R, s.D, 1e-5) }

func rmsBwd(s *normBench) {
	RMSNormBackward(s.dx, s.dgamma, s.dy, s.x, s.rstd, s.gamma, s.R, s.D, true)
}

// Forward: x read, y written. Backward, as autograd runs it into a fresh
// gradient (and as PyTorch does): dy and x read, dx written.
func BenchmarkLayerNormForward(b *testing.B)  { benchRows(b, 2, nil, lnFwd) }
func BenchmarkLayerNormBackward(b *testing.B) { benchRows(b, 3, lnFwd, lnBwd) }
func BenchmarkLayerNormFwdBwd(b *testing.B) {
	benchRows(b, 5, nil, func(s *normBench) { lnFwd(s); lnBwd(s) })
}
func BenchmarkRMSNormForward(b *testing.B)  { benchRows(b, 2, nil, rmsFwd) }
func BenchmarkRMSNormBackward(b *testing.B) { benchRows(b, 3, rmsFwd, rmsBwd) }
func BenchmarkRMSNormFwdBwd(b *testing.B) {
	benchRows(b, 5, nil, func(s *normBench) { rmsFwd(s); rmsBwd(s) })
}

// BenchmarkBatchNormTrain is one training step of BatchNorm2d on
// [32,14,14,64] channels last, as autograd runs it: statistics, forward,
// backward with batch statistics into dx, dgamma, dbeta.
func BenchmarkBatchNormTrain(b *testing.B) {
	const M, C = 32 * 14 * 14, 64
	s := newNormBench(M, C)
	variance := make([]float32, C)
	// x read by the statistics (one pass) and by forward, y written;
	// backward reads dy and x twice and reads and writes dx.
	b.SetBytes(4 * M * C * 8)
	for b.Loop() {
		BatchNormStats(s.mean[:C], variance, s.x, M, C)
		for c := range C {
			s.rstd[c] = float32(1 / math.Sqrt(float64(variance[c])+1e-5))
		}
		BatchNormForward(s.y, s.x, s.mean[:C], s.rstd[:C], s.gamma, s.beta, M, C)
		BatchNormBackward(s.dx, s.dgamma, s.dbeta, s.dy, s.x, s.mean[:C], s.rstd[:C], s.gamma, M, C, true, false)
	}
}

// BenchmarkMemBandwidth measures this machine's memory bandwidth the way
// the norm kernels use it, so their MB/s can be read as a fraction of it in
// the same run: STREAM's "add" a = b + c over three 32 MiB arrays (far
// beyond any cache), vectorised and parallel with ParallelFor, counting 12
// bytes per element (two reads and a write, as STREAM does).
func BenchmarkMemBandwidth(b *testing.B) { benchStreamAdd(b, false) }

// BenchmarkMemBandwidthNT is the same probe with non-temporal stores, as
// the streaming norm loops write their outputs: it skips the
// read-for-ownership of a's lines that STREAM's 12 bytes do not count, so
// it is the stricter yardstick for those loops.
func BenchmarkMemBandwidthNT(b *testing.B) { benchStreamAdd(b, true) }

func benchStreamAdd(b *testing.B, nt bool) {
	const n = 8 << 20
	a, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%7), float32(i%5)
	}
	if nt && !vStreamAdd(a, x, y) {
		b.Skip("no non-temporal stores here")
	}
	b.SetBytes(12 * n)
	for b.Loop() {
		ParallelFor(n, 1<<16, func(lo, hi int) {
			if nt && vStreamAdd(a[lo:hi], x[lo:hi], y[lo:hi]) {
				return
			}
			if !actBinary(OpAdd, a[lo:hi], x[lo:hi], y[lo:hi]) {
				for i := lo; i < hi; i++ {
					a[i] = x[i] + y[i]
				}
			}
		})
	}
}

// BenchmarkNormStreamStores sets streamMinFloats: a LayerNorm forward
// followed by a consumer that reads its output (as the next layer would),
// with the output stored normally and non-temporally, at sizes from well
// inside the caches to well beyond them.
func BenchmarkNormStreamStores(b *testing.B) {
	defer func(v int) { streamMinFloats = v }(streamMinFloats)
	for _, R := range []int{512, 2048, 8192, 16384, 32768} {
		for _, stream := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dx768/stream=%v", R, stream), func(b *testing.B) {
				s := newNormBench(R, 768)
				streamMinFloats = math.MaxInt
				if stream {
					streamMinFloats = 0
				}
				b.SetBytes(int64(3 * 4 * R * 768))
				for b.Loop() {
					lnFwd(s)
					ParallelFor(R, rowGrain(768), func(lo, hi int) {
						s.mean[lo] += vSum(s.y[lo*768 : hi*768])
					})
				}
			})
		}
	}
}
