package data

// Batching. The order of epoch e is a pure function of (Seed, e, N), so a
// training run killed in the middle of an epoch resumes exactly: ask for the
// same epoch starting at the batch it had reached, and it sees the same
// batches the uninterrupted run would have.

import (
	"fmt"

	"github.com/resnorm/resnorm/tensor"
)

// Loader cuts a dataset into mini-batches, epoch after epoch.
//
//	l := &data.Loader{Data: train, BatchSize: 32, Shuffle: true, Seed: 1}
//	it, err := l.Epoch(epoch, 0)
//	for it.Next() {
//		x, y := it.Batch()
//		...
//	}
type Loader struct {
	Data      *Dataset
	BatchSize int
	Shuffle   bool   // a fresh permutation every epoch, from (Seed, epoch)
	Seed      uint64 // used only when Shuffle is set
	DropLast  bool   // skip a final batch smaller than BatchSize

	// Indices, if non-nil, restricts the loader to these samples of Data
	// (in this order before shuffling): a fold or split without copying.
	Indices []int
}

// Len returns the number of samples an epoch visits (before DropLast).
func (l *Loader) Len() int {
	if l.Indices != nil {
		return len(l.Indices)
	}
	return l.Data.Len()
}

// NumBatches returns the number of batches per epoch.
func (l *Loader) NumBatches() int {
	n := l.Len()
	if l.BatchSize <= 0 {
		return 0
	}
	if l.DropLast {
		return n / l.BatchSize
	}
	return (n + l.BatchSize - 1) / l.BatchSize
}

// Order returns the sample order of the given epoch: Indices (or 0..N-1)
// as they are without shuffling, otherwise permuted by an RNG seeded by a
// hash of (Seed, epoch), so epochs differ from each other and each can be
// recomputed alone.
func (l *Loader) Order(epoch int) []int {
	n := l.Len()
	var p []int
	if l.Shuffle {
		p = tensor.NewRNG(epochSeed(l.Seed, epoch)).Perm(n)
	} else {
		p = make([]int, n)
		for i := range p {
			p[i] = i
		}
	}
	if l.Indices != nil {
		for i, j := range p {
			p[i] = l.Indices[j]
		}
	}
	return p
}

// epochSeed mixes seed and epoch (SplitMix64's finaliser) so that nearby
// seeds and epochs give unrelated streams.
func epochSeed(seed uint64, epoch int) uint64 {
	z := seed + uint64(epoch+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Epoch returns an iterator over the batches of the given epoch (counted from
// 0), beginning at batch index start (0 for a whole epoch; k to resume a run
// that completed k batches of it).
func (l *Loader) Epoch(epoch, start int) (*Iter, error) {
	switch {
	case l.Data == nil || l.Data.X == nil || len(l.Data.X.Shape) == 0:
		return nil, fmt.Errorf("data: loader has no dataset")
	case l.BatchSize <= 0:
		return nil, fmt.Errorf("data: batch size must be positive, got %d", l.BatchSize)
	case epoch < 0:
		return nil, fmt.Errorf("data: epoch %d is negative", epoch)
	case start < 0 || start > l.NumBatches():
		return nil, fmt.Errorf("data: cannot start at batch %d of an epoch of %d batches", start, l.NumBatches())
	}
	for i, j := range l.Indices {
		if j < 0 || j >= l.Data.Len() {
			return nil, fmt.Errorf("data: loader index %d is sample %d, outside a dataset of %d", i, j, l.Data.Len())
		}
	}
	shape := append([]int{l.BatchSize}, l.Data.X.Shape[1:]...)
	it := &Iter{l: l, order: l.Order(epoch), next: start, cur: -1, batches: l.NumBatches(), buf: tensor.New(shape...)}
	if l.Data.Y != nil {
		it.ybuf = make([]int, l.BatchSize)
	}
	return it, nil
}

// Iter walks the batches of one epoch. The tensor and labels Batch returns
// are buffers of the iterator: the next call to Next overwrites them.
type Iter struct {
	l       *Loader
	order   []int
	next    int // index of the batch the next Next loads
	cur     int // index of the loaded batch, -1 before the first
	batches int
	buf     *tensor.Tensor // [BatchSize, sample...], reused every step
	ybuf    []int
	x       *tensor.Tensor
	y       []int
}

// Next loads the next batch and reports whether there was one.
func (it *Iter) Next() bool {
	if it.next >= it.batches {
		return false
	}
	bs := it.l.BatchSize
	lo := it.next * bs
	idx := it.order[lo:min(lo+bs, len(it.order))]
	w := it.l.Data.sampleSize()
	gatherRows(it.buf.Data, it.l.Data.X.Data, idx, w, it.l.Data.Len())
	if len(idx) == bs {
		it.x = it.buf
	} else { // the short last batch: a view of the buffer's head
		it.x = &tensor.Tensor{Shape: append([]int{len(idx)}, it.buf.Shape[1:]...), Data: it.buf.Data[:len(idx)*w]}
	}
	if it.ybuf != nil {
		it.y = it.ybuf[:len(idx)]
		for i, j := range idx {
			it.y[i] = it.l.Data.Y[j]
		}
	}
	it.cur = it.next
	it.next++
	return true
}

// Batch returns the loaded batch: x with the batch on axis 0, and its labels
// (nil for an unlabelled dataset).
func (it *Iter) Batch() (x *tensor.Tensor, y []int) { return it.x, it.y }

// Index returns the index of the loaded batch within its epoch.
func (it *Iter) Index() int { return it.cur }

// Indices returns the sample indices of the loaded batch (read-only).
func (it *Iter) Indices() []int {
	if it.cur < 0 {
		return nil
	}
	bs := it.l.BatchSize
	lo := it.cur * bs
	return it.order[lo:min(lo+bs, len(it.order)):min(lo+bs, len(it.order))]
}

// NumBatches returns the number of batches in the epoch (including those
// skipped by a non-zero start).
func (it *Iter) NumBatches() int { return it.batches }
