package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPermuteMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cases := []struct{ shape, axes []int }{
		{[]int{2, 3, 4}, []int{2, 0, 1}},
		{[]int{2, 3, 4}, []int{0, 1, 2}},
		{[]int{8, 64, 12, 16}, []int{0, 2, 1, 3}},
		{[]int{300, 257}, []int{1, 0}},
	}
	for _, c := range cases {
		src := mtRand(r, mtNumel(c.shape))
		dst := make([]float32, len(src))
		Permute(dst, src, c.shape, c.axes)
		outShape := make([]int, len(c.axes))
		for i, a := range c.axes {
			outShape[i] = c.shape[a]
		}
		srcIdx := make([]int, len(c.shape))
		for i, v := range dst {
			idx := mtUnravel(i, outShape)
			for k, a := range c.axes {
				srcIdx[a] = idx[k]
			}
			if w := src[mtDot(srcIdx, mtStrides(c.shape))]; v != w {
				t.Fatalf("Permute %v %v: element %d = %g, want %g", c.shape, c.axes, i, v, w)
			}
		}
		// Backward of a permutation puts every value back where it came from.
		back := make([]float32, len(src))
		PermuteBackward(back, dst, c.shape, c.axes)
		if !slices.Equal(back, src) {
			t.Fatalf("PermuteBackward %v %v does not invert Permute", c.shape, c.axes)
		}
	}
}

func mtStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

func TestSlabsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	outer, inner, sizes := 5, 3, []int{2, 0, 4}
	total := 6
	parts := [][]float32{mtRand(r, outer*2*inner), nil, mtRand(r, outer*4*inner)}
	all := make([]float32, outer*total*inner)
	off := 0
	for i, n := range sizes {
		PlaceSlab(all, parts[i], outer, total, off, n, inner, false)
		off += n
	}
	// Row o of all is [part0 row o | part2 row o].
	for o := range outer {
		row := all[o*total*inner : (o+1)*total*inner]
		want := append(slices.Clone(parts[0][o*2*inner:(o+1)*2*inner]), parts[2][o*4*inner:(o+1)*4*inner]...)
		if !slices.Equal(row, want) {
			t.Fatalf("PlaceSlab row %d = %v, want %v", o, row, want)
		}
	}
	got := make([]float32, outer*4*inner)
	TakeSlab(got, all, outer, total, 2, 4, inner, false)
	if !slices.Equal(got, parts[2]) {
		t.Fatal("TakeSlab does not recover the placed slab")
	}
	TakeSlab(got, all, outer, total, 2, 4, inner, true) // adds: now twice
	for i := range got {
		if got[i] != 2*parts[2][i] {
			t.Fatal("TakeSlab with add does not accumulate")
		}
	}
}
