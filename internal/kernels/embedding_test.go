package kernels

import (
	"slices"
	"testing"
)

func TestEmbeddingKernels(t *testing.T) {
	table := []float32{0, 1, 10, 11, 20, 21}
	ids := []int{2, 0, 2}
	out := make([]float32, 6)
	EmbeddingForward(out, table, ids, 2)
	if !slices.Equal(out, []float32{20, 21, 0, 1, 20, 21}) {
		t.Fatalf("EmbeddingForward = %v", out)
	}
	d := make([]float32, 6)
	EmbeddingBackward(d, []float32{1, 2, 3, 4, 5, 6}, ids, 2)
	if !slices.Equal(d, []float32{3, 4, 0, 0, 6, 8}) {
		t.Fatalf("EmbeddingBackward = %v", d)
	}
}
