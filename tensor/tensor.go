// Package tensor holds resnorm's n-dimensional float32 array: a shape and a
// contiguous, row-major []float32. It is deliberately plain: no strides, no
// views except reshape (which shares data), no device. Hot loops over tensors
// live in internal/kernels; this package creates, inspects and compares them.
package tensor

import (
	"fmt"
	"math"
	"strings"
)

// Tensor is a dense row-major float32 array. Shape and Data are exported so
// kernels can work on the slices directly; len(Data) == Numel(Shape) always.
// A rank-0 tensor (Shape == []int{}) holds one value: a scalar.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Numel returns the number of elements a tensor of the given shape holds.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// CheckShape returns an error for a shape New would panic on: a negative
// dimension, or more elements than any machine could hold. Code that takes
// shapes from users (layer sizes, configs) checks them with it first.
func CheckShape(shape []int) error { return checkShape(shape) }

// checkShape rejects negative dimensions and sizes that would overflow memory.
func checkShape(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("tensor: negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt32*8/d {
			return fmt.Errorf("tensor: shape %v is absurdly large", shape)
		}
		n *= d
	}
	return nil
}

// New returns a zero-filled tensor. It panics on a negative or absurd shape:
// shapes are chosen by code, not read from outside (use FromSlice to check).
func New(shape ...int) *Tensor {
	if err := checkShape(shape); err != nil {
		panic(err)
	}
	return &Tensor{Shape: append([]int{}, shape...), Data: make([]float32, Numel(shape))}
}

// Zeros is New under the name users of NumPy and PyTorch look for.
func Zeros(shape ...int) *Tensor { return New(shape...) }

// Ones returns a tensor filled with 1.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a tensor filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Scalar returns a rank-0 tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{Shape: []int{}, Data: []float32{v}} }

// FromSlice wraps data (without copying) in a tensor of the given shape, or
// returns an error naming both sizes when they disagree.
func FromSlice(data []float32, shape ...int) (*Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	if n := Numel(shape); n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d values, got %d", shape, n, len(data))
	}
	return &Tensor{Shape: append([]int{}, shape...), Data: data}, nil
}

// MustFromSlice is FromSlice for literals in code and tests; it panics on error.
func MustFromSlice(data []float32, shape ...int) *Tensor {
	t, err := FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.Shape) }

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return len(t.Data) }

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor: Item on a tensor of shape %v", t.Shape))
	}
	return t.Data[0]
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int{}, t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// Reshape returns a tensor sharing t's data with a new shape. One dimension
// may be -1 and is inferred. It returns an error when the sizes disagree.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	s, err := InferShape(len(t.Data), shape)
	if err != nil {
		return nil, fmt.Errorf("tensor: cannot reshape %v to %v: %w", t.Shape, shape, err)
	}
	return &Tensor{Shape: s, Data: t.Data}, nil
}

// InferShape resolves a single -1 in shape so that the shape holds n elements.
func InferShape(n int, shape []int) ([]int, error) {
	s := append([]int{}, shape...)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("invalid dimension %d", d)
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("%d elements do not divide into %v", n, shape)
		}
		s[infer] = n / known
		known = n
	}
	if known != n {
		return nil, fmt.Errorf("%d elements do not fit shape %v", n, shape)
	}
	return s, nil
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Strides returns the row-major strides (in elements) of shape.
func Strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// NormalizeAxis maps a possibly negative axis to [0, rank) or returns an error.
func NormalizeAxis(axis, rank int) (int, error) {
	a := axis
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return a, nil
}

// AllClose reports whether a and b have the same shape and every pair of
// elements satisfies |a-b| <= atol + rtol*|b| (NumPy's rule). NaNs never match.
func AllClose(a, b *Tensor, rtol, atol float64) bool {
	if !SameShape(a.Shape, b.Shape) {
		return false
	}
	for i := range a.Data {
		x, y := float64(a.Data[i]), float64(b.Data[i])
		if !(math.Abs(x-y) <= atol+rtol*math.Abs(y)) {
			return false
		}
	}
	return true
}

// MaxAbsDiff returns the largest |a-b| over elements (shapes must match),
// and the index where it occurs; useful in test failure messages.
func MaxAbsDiff(a, b *Tensor) (float64, int) {
	worst, at := 0.0, -1
	for i := range a.Data {
		d := math.Abs(float64(a.Data[i]) - float64(b.Data[i]))
		if d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	return worst, at
}

// HasNaNOrInf reports whether any element is NaN or ±Inf.
func (t *Tensor) HasNaNOrInf() bool {
	_, bad := t.FirstNonFinite()
	return bad
}

// FirstNonFinite returns the index (into Data) of the first NaN or ±Inf
// element, and whether there is one.
func (t *Tensor) FirstNonFinite() (int, bool) {
	for i, v := range t.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return i, true
		}
	}
	return 0, false
}

// String prints the shape and the values, NumPy-style, eliding the middle of
// long axes so that a large tensor still prints in a few lines.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v ", t.Shape)
	if len(t.Shape) == 0 {
		fmt.Fprintf(&b, "%g", t.Data[0])
		return b.String()
	}
	st := Strides(t.Shape)
	var rec func(dim, off int)
	rec = func(dim, off int) {
		b.WriteByte('[')
		n := t.Shape[dim]
		for i := 0; i < n; i++ {
			if n > 6 && i == 3 {
				b.WriteString("...")
				i = n - 3
				if dim == len(t.Shape)-1 {
					b.WriteString(", ")
				} else {
					b.WriteString(",\n" + strings.Repeat(" ", dim+1+len(fmt.Sprint(t.Shape))+7))
				}
			}
			if dim == len(t.Shape)-1 {
				fmt.Fprintf(&b, "%.4g", t.Data[off+i])
			} else {
				rec(dim+1, off+i*st[dim])
			}
			if i < n-1 {
				if dim == len(t.Shape)-1 {
					b.WriteString(", ")
				} else {
					b.WriteString(",\n" + strings.Repeat(" ", dim+1+len(fmt.Sprint(t.Shape))+7))
				}
			}
		}
		b.WriteByte(']')
	}
	rec(0, 0)
	return b.String()
}
