package kernels

import (
	"math"
	"testing"
)

func TestSoftmaxKernels(t *testing.T) {
	x := []float32{1, 2, 3, 1000, 1000, -1000}
	y := make([]float32, 6)
	SoftmaxForward(y, x, 2, 3)
	for r := range 2 {
		s := y[3*r] + y[3*r+1] + y[3*r+2]
		if math.Abs(float64(s)-1) > 1e-6 {
			t.Fatalf("softmax row %d sums to %g: %v", r, s, y)
		}
	}
	if y[3] != 0.5 || y[5] != 0 {
		t.Fatalf("softmax of [1000 1000 -1000] = %v", y[3:])
	}
	probs, losses := make([]float32, 6), make([]float32, 2)
	CrossEntropyForward(probs, losses, x, []int{2, -1}, -1, 2, 3)
	want := math.Log(math.Exp(-2) + math.Exp(-1) + 1)
	if math.Abs(float64(losses[0])-want) > 1e-6 || losses[1] != 0 {
		t.Fatalf("cross-entropy losses %v, want [%g 0]", losses, want)
	}
}
