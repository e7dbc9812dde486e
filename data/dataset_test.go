package data

import (
	"slices"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// toy returns n samples of shape [2, 1] whose values encode their index
// (sample i holds 10i, 10i+1) and label i mod classes.
func toy(n, classes int) *Dataset {
	x := tensor.New(n, 2, 1)
	y := make([]int, n)
	for i := range n {
		x.Data[2*i], x.Data[2*i+1] = float32(10*i), float32(10*i+1)
		y[i] = i % classes
	}
	return &Dataset{X: x, Y: y}
}

// sampleOf recovers a toy sample's index from its first value.
func sampleOf(x *tensor.Tensor, row int) int { return int(x.Data[2*row]) / 10 }

func TestNewDataset(t *testing.T) {
	if _, err := NewDataset(tensor.New(3, 2), []int{0, 1}); err == nil || !strings.Contains(err.Error(), "3 samples (shape [3 2]) but Y has 2 labels") {
		t.Errorf("mismatched labels: %v", err)
	}
	if _, err := NewDataset(tensor.Scalar(1), nil); err == nil || !strings.Contains(err.Error(), "sample axis") {
		t.Errorf("scalar X: %v", err)
	}
	d, err := NewDataset(tensor.New(3, 2), nil)
	if err != nil || d.Len() != 3 || !slices.Equal(d.SampleShape(), []int{2}) {
		t.Errorf("unlabelled dataset: %v, %v", d, err)
	}
}

func TestSubsetAndSlice(t *testing.T) {
	d := toy(6, 3)
	s := d.Subset([]int{4, 1, 1})
	if !slices.Equal(s.X.Shape, []int{3, 2, 1}) || !slices.Equal(s.X.Data, []float32{40, 41, 10, 11, 10, 11}) || !slices.Equal(s.Y, []int{1, 1, 1}) {
		t.Errorf("Subset = %v %v %v", s.X.Shape, s.X.Data, s.Y)
	}
	s.X.Data[0] = -1
	if d.X.Data[40/10*2] != 40 {
		t.Error("Subset shares memory with its source")
	}
	v := d.Slice(2, 4)
	if !slices.Equal(v.X.Shape, []int{2, 2, 1}) || !slices.Equal(v.X.Data, []float32{20, 21, 30, 31}) || !slices.Equal(v.Y, []int{2, 0}) {
		t.Errorf("Slice = %v %v %v", v.X.Shape, v.X.Data, v.Y)
	}
	v.X.Data[0] = -1
	if d.X.Data[4] != -1 {
		t.Error("Slice does not share memory with its source")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "index 6 out of range [0, 6)") {
			t.Errorf("Subset with a bad index: panic %v", r)
		}
	}()
	d.Subset([]int{0, 6})
}

func TestClassCounts(t *testing.T) {
	if c, err := ClassCounts([]int{0, 2, 2, 1, 2}, 4); err != nil || !slices.Equal(c, []int{1, 1, 3, 0}) {
		t.Errorf("ClassCounts = %v, %v", c, err)
	}
	if _, err := ClassCounts([]int{0, 4}, 4); err == nil || !strings.Contains(err.Error(), "label 4 of sample 1 is outside 0..3") {
		t.Errorf("ClassCounts out of range: %v", err)
	}
}
