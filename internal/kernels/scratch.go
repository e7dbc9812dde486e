package kernels

import (
	"math/bits"
	"sync"
)

// Kernel scratch: temporaries that do not outlive one kernel call (im2col
// columns, per-chunk partial sums) come from size-classed pools instead of
// make, so a training loop does not turn megabytes into garbage per step.
// A buffer's contents are whatever its last user left: callers overwrite or
// clear every element they read, so results never depend on the pool.

// sizedPool holds free buffers of T in classes by capacity: class c holds
// buffers of capacity exactly 1<<c. Buffers travel as *[]T so that Put
// does not allocate.
type sizedPool[T float32 | float64] struct {
	classes [bits.UintSize]sync.Pool
}

var (
	f32Scratch sizedPool[float32]
	f64Scratch sizedPool[float64]
)

// get returns a buffer of length n with unspecified contents; give it back
// with put once the call is done with it.
func (s *sizedPool[T]) get(n int) *[]T {
	c := bits.Len(uint(max(n, 1) - 1)) // smallest c with 1<<c >= n
	if p, ok := s.classes[c].Get().(*[]T); ok {
		*p = (*p)[:n]
		return p
	}
	b := make([]T, n, 1<<c)
	return &b
}

// getZeroed is get with every element set to zero.
func (s *sizedPool[T]) getZeroed(n int) *[]T {
	p := s.get(n)
	clear(*p)
	return p
}

// put returns a buffer obtained from get.
func (s *sizedPool[T]) put(p *[]T) {
	s.classes[bits.Len(uint(cap(*p)))-1].Put(p)
}
