package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// Kernel tests against naive index-by-index references, on shapes large
// enough to be split into several parallel chunks, and bit-identity of the
// results for 1 and several threads.

func mtRand(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func mtNumel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// mtBcast returns shape s right-aligned to rank n with its broadcast strides.
func mtBcast(s []int, n int) []int {
	st := make([]int, n)
	stride := 1
	for i := 1; i <= len(s); i++ {
		if s[len(s)-i] != 1 {
			st[n-i] = stride
		}
		stride *= s[len(s)-i]
	}
	return st
}

// mtUnravel returns the multi-index of flat index i in shape.
func mtUnravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = i % shape[k]
		i /= shape[k]
	}
	return idx
}

func mtDot(idx, st []int) int {
	o := 0
	for k := range idx {
		o += idx[k] * st[k]
	}
	return o
}

// mtWithThreads runs f with GOMAXPROCS set to n.
func mtWithThreads(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

var mtBinaryShapes = []struct{ out, a, b []int }{
	{[]int{3, 4}, []int{3, 4}, []int{3, 4}},
	{[]int{300, 257}, []int{300, 257}, []int{257}},
	{[]int{300, 257}, []int{300, 1}, []int{257}},
	{[]int{4, 70000}, []int{4, 70000}, []int{4, 70000}},
	{[]int{2, 3, 4, 5}, []int{2, 1, 4, 1}, []int{3, 1, 5}},
	{[]int{5, 6}, []int{}, []int{5, 6}},
	{[]int{}, []int{}, []int{}},
}

func TestBinaryMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range mtBinaryShapes {
		a, b := mtRand(r, mtNumel(c.a)), mtRand(r, mtNumel(c.b))
		sa, sb := mtBcast(c.a, len(c.out)), mtBcast(c.b, len(c.out))
		for op, name := range []string{"add", "sub", "mul", "div"} {
			got := make([]float32, mtNumel(c.out))
			Binary(BinaryOp(op), got, a, b, c.out, sa, sb)
			for i := range got {
				idx := mtUnravel(i, c.out)
				x, y := a[mtDot(idx, sa)], b[mtDot(idx, sb)]
				want := [...]float32{x + y, x - y, x * y, x / y}[op]
				if got[i] != want && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
					t.Fatalf("%s %v: element %d = %g, want %g", name, c.out, i, got[i], want)
				}
			}
		}
	}
}

// TestKernelsDeterministicAcrossThreads runs each parallel kernel with 1 and
// 4 threads on inputs big enough for many chunks and requires equal bits.
func TestKernelsDeterministicAcrossThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	big := []int{130, 20, 70}
	src := mtRand(r, mtNumel(big))
	ids := make([]int, 5000)
	for i := range ids {
		ids[i] = r.IntN(7)
	}
	dout := mtRand(r, 5000*64)
	run := func() [][]float32 {
		var res [][]float32
		for _, keep := range [][]bool{{false, true, false}, {true, false, true}, {false, false, true}, {false, false, false}} {
			n, ds := mtSumDst(big, keep)
			d := make([]float32, n)
			SumInto(d, src, big, ds, 1)
			res = append(res, d)
		}
		p := make([]float32, len(src))
		Permute(p, src, big, []int{2, 0, 1})
		sm := make([]float32, len(src))
		SoftmaxForward(sm, src, 130*20, 70)
		emb := make([]float32, 7*64)
		EmbeddingBackward(emb, dout, ids, 64)
		b := make([]float32, len(src))
		Binary(OpMul, b, src, src[:70], big, mtStrides(big), []int{0, 0, 1})
		return append(res, p, sm, emb, b)
	}
	var one, many [][]float32
	mtWithThreads(1, func() { one = run() })
	mtWithThreads(4, func() { many = run() })
	for i := range one {
		if !slices.Equal(one[i], many[i]) {
			t.Errorf("result %d differs between 1 and 4 threads", i)
		}
	}
}

func ExampleBinary() {
	// A bias [3] added to each row of [2, 3]: the bias is read with stride 0
	// along the row axis.
	x := []float32{1, 2, 3, 4, 5, 6}
	bias := []float32{10, 20, 30}
	out := make([]float32, 6)
	Binary(OpAdd, out, x, bias, []int{2, 3}, []int{3, 1}, []int{0, 1})
	fmt.Println(out)
	// Output: [11 22 33 14 25 36]
}
