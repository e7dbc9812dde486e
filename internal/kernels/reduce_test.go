package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

var mtSumCases = []struct {
	shape []int
	keep  []bool // true: axis kept in the output
}{
	{[]int{3, 4}, []bool{true, false}},
	{[]int{3, 4}, []bool{false, true}},
	{[]int{3, 4}, []bool{false, false}},
	{[]int{3, 4}, []bool{true, true}},
	{[]int{600, 130}, []bool{false, true}}, // column sums over many rows
	{[]int{600, 130}, []bool{true, false}}, // row sums
	{[]int{40, 50, 70}, []bool{true, false, true}},
	{[]int{4, 5, 6, 7}, []bool{false, true, false, true}}, // general path
	{[]int{4, 5, 6, 7}, []bool{true, false, true, false}},
}

// mtSumDst returns the output size and the strides into it (0 on summed axes).
func mtSumDst(shape []int, keep []bool) (int, []int) {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if keep[i] {
			st[i] = s
			s *= shape[i]
		}
	}
	return s, st
}

func TestSumIntoMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range mtSumCases {
		src := mtRand(r, mtNumel(c.shape))
		n, ds := mtSumDst(c.shape, c.keep)
		want := make([]float64, n)
		for i, v := range src {
			want[mtDot(mtUnravel(i, c.shape), ds)] += float64(v)
		}
		got := make([]float32, n)
		for i := range got {
			got[i] = 1 // SumInto accumulates
		}
		SumInto(got, src, c.shape, ds, 0.5)
		for i := range got {
			w := 1 + 0.5*want[i]
			if math.Abs(float64(got[i])-w) > 1e-5*(1+math.Abs(w))*math.Sqrt(float64(len(src)/n)) {
				t.Fatalf("%v keep %v: element %d = %g, want %g", c.shape, c.keep, i, got[i], w)
			}
		}
	}
}
