package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ParallelFor calls fn(lo, hi) over [0, n) in chunks of `grain` items
// (the last chunk may be shorter). Chunk boundaries depend only on n and
// grain, so a kernel that writes disjoint outputs per chunk, or that stores
// per-chunk partial results and combines them in chunk order, gives the same
// bits for any GOMAXPROCS. Small problems run on the calling goroutine.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	workers := runtime.GOMAXPROCS(0)
	if workers > chunks {
		workers = chunks
	}
	if workers <= 1 {
		for lo := 0; lo < n; lo += grain {
			fn(lo, min(lo+grain, n))
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			lo := c * grain
			fn(lo, min(lo+grain, n))
		}
	}
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		go func() { defer wg.Done(); work() }()
	}
	work()
	wg.Wait()
}

// Grain picks a chunk size so that each chunk carries roughly `work` units
// of work given `perItem` units per item, never less than one item. It is a
// function of the problem only (not of the thread count), as ParallelFor
// needs for determinism.
func Grain(perItem, work int) int {
	if perItem < 1 {
		perItem = 1
	}
	g := work / perItem
	if g < 1 {
		g = 1
	}
	return g
}
