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
//
// The chunks run on the caller plus a persistent pool of GOMAXPROCS-1
// worker goroutines, so a call costs a wake-up, not a goroutine start. A
// call made while the pool is busy (fn itself calling ParallelFor, or
// another goroutine's call) starts goroutines of its own instead.
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
	if pfPool.busy.CompareAndSwap(false, true) {
		pfPool.run(n, grain, chunks, workers, fn)
		pfPool.busy.Store(false)
		return
	}
	j := &pfJob{fn: fn, n: n, grain: grain, chunks: chunks}
	j.wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		go func() { defer j.wg.Done(); j.work() }()
	}
	j.work()
	j.wg.Wait()
}

// pfJob is one ParallelFor call: chunks are claimed in order by an atomic
// counter, by whichever goroutine is free.
type pfJob struct {
	fn               func(lo, hi int)
	n, grain, chunks int
	next             atomic.Int64
	finished         atomic.Int64 // pool workers done with this job
	wg               sync.WaitGroup
}

func (j *pfJob) work() {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		lo := c * j.grain
		j.fn(lo, min(lo+j.grain, j.n))
	}
}

// pfPool is the persistent worker pool; busy guards its single job.
var pfPool workerPool

type workerPool struct {
	busy    atomic.Bool
	job     pfJob
	workers []*poolWorker
}

// poolWorker is one pool goroutine. After a job it spins for about a tenth
// of a millisecond waiting for the next (GEMM issues several ParallelFor calls
// in a row, and waking a parked thread costs as much as a small chunk of
// work, more in a VM), then parks on wake.
type poolWorker struct {
	job    atomic.Pointer[pfJob]
	parked atomic.Bool
	wake   chan struct{} // buffered (1)
}

const poolSpin = 1 << 17 // polls of job before parking (~100 µs of loads)

func (w *poolWorker) loop() {
	for {
		var j *pfJob
		for i := 0; i < poolSpin && j == nil; i++ {
			// Poll with a plain load, which keeps the cache line shared
			// (a locked swap per poll takes it exclusive, slowing the
			// caller's store of the next job); swap only once one shows.
			if w.job.Load() != nil {
				j = w.job.Swap(nil)
			} else if i%1024 == 1023 {
				runtime.Gosched() // let other goroutines have this P
			}
		}
		if j == nil {
			w.parked.Store(true)
			if j = w.job.Swap(nil); j == nil { // recheck: a job may have come meanwhile
				<-w.wake
				w.parked.Store(false)
				continue
			}
			w.parked.Store(false)
		}
		j.work()
		j.finished.Add(1)
		j.wg.Done()
	}
}

// give hands j to w, waking it if it is parked. (If w sees j before
// parking, the wake token just makes its next park return at once.)
func (w *poolWorker) give(j *pfJob) {
	w.job.Store(j)
	if w.parked.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// run executes a job on the caller and workers-1 pool goroutines. Only the
// holder of busy calls it, so the job struct is its own.
func (p *workerPool) run(n, grain, chunks, workers int, fn func(lo, hi int)) {
	for len(p.workers) < workers-1 {
		w := &poolWorker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		go w.loop()
	}
	j := &p.job
	j.fn, j.n, j.grain, j.chunks = fn, n, grain, chunks
	j.next.Store(0)
	j.finished.Store(0)
	j.wg.Add(workers - 1)
	for _, w := range p.workers[:workers-1] {
		w.give(j)
	}
	j.work()
	// The workers are finishing their last chunks: wait for them spinning
	// before blocking, because a blocked caller gives up its thread, and
	// waking a sleeping thread takes longer than most chunks (tens of µs
	// in a VM), which made short memory-bound kernels slower on two
	// threads than on one.
	for i := 0; i < poolSpin && j.finished.Load() < int64(workers-1); i++ {
		if i%1024 == 1023 {
			runtime.Gosched()
		}
	}
	j.wg.Wait()
	j.fn = nil // do not keep the caller's closure alive
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
