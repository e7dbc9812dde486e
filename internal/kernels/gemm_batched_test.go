package kernels

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// TestSgemmBatched checks every product of a batch against Sgemm on the
// same operands: bit for bit (the one-thread path shares Sgemm's packing,
// kernel and summation order), for all transposes, with ragged edges,
// shared operands (stride 0) and beta ≠ 0.
func TestSgemmBatched(t *testing.T) {
	rng := tensor.NewRNG(11)
	shapes := [][3]int{{128, 128, 64}, {128, 64, 128}, {17, 33, 5}, {3, 1, 255}, {14, 32, 384}, {30, 70, 400}, {4, 4, 4}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, ab := range [][2]float32{{1, 0}, {-0.5, 0.75}} {
				for _, shareB := range []bool{false, true} {
					const batch = 5
					ldc := n + 3
					sa, sb, sc := m*k+7, k*n+1, m*ldc+2
					if shareB {
						sb = 0
					}
					lda, ldb := k, n
					if tr[0] {
						lda = m
					}
					if tr[1] {
						ldb = k
					}
					a := tensor.RandNormal(rng, 0, 1, batch*sa+m*k).Data
					b := tensor.RandNormal(rng, 0, 1, batch*(k*n+1)+k*n).Data
					c0 := tensor.RandNormal(rng, 0, 1, batch*sc).Data
					want := append([]float32(nil), c0...)
					for i := range batch {
						Sgemm(tr[0], tr[1], m, n, k, ab[0], a[i*sa:], lda, b[i*sb:], ldb, ab[1], want[i*sc:], ldc)
					}
					for _, procs := range []int{1, 2, 3} {
						got := append([]float32(nil), c0...)
						old := runtime.GOMAXPROCS(procs)
						SgemmBatched(batch, tr[0], tr[1], m, n, k, ab[0], a, lda, sa, b, ldb, sb, ab[1], got, ldc, sc)
						runtime.GOMAXPROCS(old)
						for i := range got {
							if got[i] != want[i] {
								t.Fatalf("%dx%dx%d trans %v alpha,beta %v shareB %v procs %d: c[%d] = %g, Sgemm gives %g",
									m, n, k, tr, ab, shareB, procs, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemmBatchedBadArgs(t *testing.T) {
	c := make([]float32, 100)
	for name, f := range map[string]func(){
		"overlap": func() { SgemmBatched(2, false, false, 4, 4, 4, 1, c, 4, 16, c, 4, 16, 0, c, 4, 8) },
		"short":   func() { SgemmBatched(8, false, false, 4, 4, 4, 1, c, 4, 16, c, 4, 16, 0, c, 4, 16) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkSgemmBatched times attention's products (64 of 128×128×64 and
// 128×64×128) batched against one Sgemm call after another.
func BenchmarkSgemmBatched(b *testing.B) {
	const batch = 64
	for _, s := range [][5]int{{128, 128, 64, 0, 1}, {128, 64, 128, 0, 0}} {
		m, n, k, ta, tb := s[0], s[1], s[2], s[3] == 1, s[4] == 1
		lda, ldb := k, n
		if tb {
			ldb = k
		}
		a := make([]float32, batch*m*k)
		bb := make([]float32, batch*k*n)
		c := make([]float32, batch*m*n)
		name := func(kind string) string {
			return kind + "/" + strconv.Itoa(m) + "x" + strconv.Itoa(n) + "x" + strconv.Itoa(k)
		}
		b.Run(name("batched"), func(b *testing.B) {
			for b.Loop() {
				SgemmBatched(batch, ta, tb, m, n, k, 1, a, lda, m*k, bb, ldb, k*n, 0, c, n, m*n)
			}
			b.ReportMetric(2*float64(batch*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name("loop"), func(b *testing.B) {
			for b.Loop() {
				for i := range batch {
					Sgemm(ta, tb, m, n, k, 1, a[i*m*k:], lda, bb[i*k*n:], ldb, 0, c[i*m*n:], n)
				}
			}
			b.ReportMetric(2*float64(batch*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
