// Package data holds resnorm's inputs: in-memory datasets of tensors and
// integer labels, batching with seeded shuffling that can resume mid-epoch,
// train/validation and (stratified) k-fold splits, and the IDX reader that
// MNIST and Fashion-MNIST come in. The MNIST files themselves are embedded
// by the separate package data/mnistdata, so only programs that want them
// carry their 11.6 MB.
package data

import (
	"fmt"

	"github.com/resnorm/resnorm/tensor"
)

// Dataset is a set of samples held in memory: X's first axis indexes the
// samples (e.g. [N, 28, 28, 1] images, NHWC) and Y[i] is sample i's class.
// Y may be nil for unlabelled data (prediction).
type Dataset struct {
	X *tensor.Tensor
	Y []int
}

// NewDataset checks that x has a sample axis and that y (unless nil) has one
// label per sample.
func NewDataset(x *tensor.Tensor, y []int) (*Dataset, error) {
	if x == nil || len(x.Shape) == 0 {
		return nil, fmt.Errorf("data: a dataset needs X with a sample axis, got %v", shapeOf(x))
	}
	if y != nil && len(y) != x.Shape[0] {
		return nil, fmt.Errorf("data: X has %d samples (shape %v) but Y has %d labels", x.Shape[0], x.Shape, len(y))
	}
	return &Dataset{X: x, Y: y}, nil
}

func shapeOf(x *tensor.Tensor) any {
	if x == nil {
		return "nil"
	}
	return x.Shape
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return d.X.Shape[0] }

// SampleShape returns the shape of one sample (X's shape without axis 0).
func (d *Dataset) SampleShape() []int { return append([]int{}, d.X.Shape[1:]...) }

// sampleSize is the number of values per sample.
func (d *Dataset) sampleSize() int { return tensor.Numel(d.X.Shape[1:]) }

// Subset returns a new dataset holding copies of the samples at idx, in that
// order (an index may repeat). It panics on an index out of range, as slice
// indexing does.
func (d *Dataset) Subset(idx []int) *Dataset {
	shape := append([]int{len(idx)}, d.X.Shape[1:]...)
	out := &Dataset{X: tensor.New(shape...)}
	gatherRows(out.X.Data, d.X.Data, idx, d.sampleSize(), d.Len())
	if d.Y != nil {
		out.Y = make([]int, len(idx))
		for i, j := range idx {
			out.Y[i] = d.Y[j]
		}
	}
	return out
}

// Slice returns samples lo..hi-1 as a dataset that SHARES memory with d (no
// copy), like a Go slice.
func (d *Dataset) Slice(lo, hi int) *Dataset {
	if lo < 0 || hi > d.Len() || lo > hi {
		panic(fmt.Sprintf("data: Slice(%d, %d) of a dataset of %d samples", lo, hi, d.Len()))
	}
	s := d.sampleSize()
	out := &Dataset{X: &tensor.Tensor{
		Shape: append([]int{hi - lo}, d.X.Shape[1:]...),
		Data:  d.X.Data[lo*s : hi*s : hi*s],
	}}
	if d.Y != nil {
		out.Y = d.Y[lo:hi:hi]
	}
	return out
}

// Split shuffles the sample indices with seed and returns a training set and
// a validation set holding round(valFrac·N) samples (copies, each in the
// original order). valFrac must be in [0, 1).
func (d *Dataset) Split(valFrac float64, seed uint64) (train, val *Dataset, err error) {
	tr, va, err := SplitIndices(d.Len(), valFrac, seed)
	if err != nil {
		return nil, nil, err
	}
	return d.Subset(tr), d.Subset(va), nil
}

// ClassCounts returns how many samples carry each label 0..numClasses-1.
// Labels outside that range are an error.
func ClassCounts(y []int, numClasses int) ([]int, error) {
	counts := make([]int, numClasses)
	for i, c := range y {
		if c < 0 || c >= numClasses {
			return nil, fmt.Errorf("data: label %d of sample %d is outside 0..%d", c, i, numClasses-1)
		}
		counts[c]++
	}
	return counts, nil
}

// gatherRows copies row idx[i] of src (rows of width w, n rows) to row i of
// dst.
func gatherRows(dst, src []float32, idx []int, w, n int) {
	for i, j := range idx {
		if j < 0 || j >= n {
			panic(fmt.Sprintf("data: sample index %d out of range [0, %d)", j, n))
		}
		copy(dst[i*w:(i+1)*w], src[j*w:(j+1)*w])
	}
}
