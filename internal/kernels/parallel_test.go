package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// checkChunks runs ParallelFor and checks that every item is visited once
// and every chunk has the boundaries n and grain dictate.
func checkChunks(t *testing.T, n, grain int) {
	t.Helper()
	seen := make([]atomic.Int32, max(n, 0))
	var bad atomic.Int32
	ParallelFor(n, grain, func(lo, hi int) {
		g := max(grain, 1)
		if lo%g != 0 || hi != min(lo+g, n) {
			bad.Add(1)
		}
		for i := lo; i < hi; i++ {
			seen[i].Add(1)
		}
	})
	if bad.Load() != 0 {
		t.Fatalf("n=%d grain=%d: %d chunks with wrong boundaries", n, grain, bad.Load())
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("n=%d grain=%d: item %d visited %d times", n, grain, i, seen[i].Load())
		}
	}
}

func TestParallelFor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 7, 100, 1000} {
			for _, grain := range []int{0, 1, 3, 64, 5000} {
				checkChunks(t, n, grain)
			}
		}
	}
}

// TestParallelForNested checks that ParallelFor inside ParallelFor, and
// calls from several goroutines at once, finish and cover every item.
func TestParallelForNested(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var total atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 50; rep++ {
				ParallelFor(8, 1, func(lo, hi int) {
					ParallelFor(10, 2, func(lo, hi int) { total.Add(int64(hi - lo)) })
				})
			}
		}()
	}
	wg.Wait()
	if got, want := total.Load(), int64(3*50*8*10); got != want {
		t.Fatalf("nested ParallelFor visited %d items, want %d", got, want)
	}
}
