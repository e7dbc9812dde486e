package tensor

import (
	"math"
	"strings"
	"testing"
)

func TestFromSliceChecksSize(t *testing.T) {
	if _, err := FromSlice(make([]float32, 5), 2, 3); err == nil || !strings.Contains(err.Error(), "[2 3]") {
		t.Fatalf("want error naming the shape, got %v", err)
	}
	if _, err := FromSlice(nil, -1); err == nil {
		t.Fatal("negative dimension accepted")
	}
	if _, err := FromSlice(nil, 1<<20, 1<<20, 1<<20); err == nil {
		t.Fatal("absurd shape accepted")
	}
}

func TestReshapeInfers(t *testing.T) {
	x := New(2, 3, 4)
	y, err := x.Reshape(-1, 4)
	if err != nil || !SameShape(y.Shape, []int{6, 4}) {
		t.Fatalf("got %v %v", y, err)
	}
	if _, err := x.Reshape(5, -1); err == nil {
		t.Fatal("reshape 24 -> (5,-1) accepted")
	}
	y.Data[0] = 7
	if x.Data[0] != 7 {
		t.Fatal("reshape must share data")
	}
}

func TestRNGDeterministicAndDistribution(t *testing.T) {
	a, b := NewRNG(42), NewRNG(42)
	for i := 0; i < 100; i++ {
		if a.Normal() != b.Normal() {
			t.Fatal("same seed, different streams")
		}
	}
	x := RandNormal(NewRNG(1), 0, 1, 100000)
	var s, s2 float64
	for _, v := range x.Data {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	mean, v := s/1e5, s2/1e5-(s/1e5)*(s/1e5)
	if math.Abs(mean) > 0.02 || math.Abs(v-1) > 0.02 {
		t.Fatalf("normal mean %g var %g", mean, v)
	}
	tn := RandTruncatedNormal(NewRNG(2), 0, 1, 10000)
	for _, v := range tn.Data {
		if v < -2 || v > 2 {
			t.Fatalf("truncated normal gave %g", v)
		}
	}
	u := RandUniform(NewRNG(3), -1, 1, 10000)
	for _, v := range u.Data {
		if v < -1 || v >= 1 {
			t.Fatalf("uniform gave %g", v)
		}
	}
}

func TestStringElides(t *testing.T) {
	s := New(2, 100).String()
	if !strings.Contains(s, "...") || len(s) > 300 {
		t.Fatalf("String did not elide: %q", s)
	}
	if got := Scalar(1.5).String(); got != "Tensor[] 1.5" {
		t.Fatalf("scalar prints %q", got)
	}
}

func TestAllClose(t *testing.T) {
	a := MustFromSlice([]float32{1, 2}, 2)
	b := MustFromSlice([]float32{1, 2.001}, 2)
	if !AllClose(a, b, 1e-2, 0) || AllClose(a, b, 1e-5, 1e-5) {
		t.Fatal("AllClose tolerance wrong")
	}
	n := MustFromSlice([]float32{float32(math.NaN()), 2}, 2)
	if AllClose(n, n, 1, 1) {
		t.Fatal("NaN matched")
	}
}

func TestFirstNonFinite(t *testing.T) {
	x := New(5)
	if i, bad := x.FirstNonFinite(); bad || x.HasNaNOrInf() {
		t.Fatalf("zeros: FirstNonFinite = %d, %v", i, bad)
	}
	x.Data[3] = float32(math.Inf(1))
	x.Data[4] = float32(math.NaN())
	if i, bad := x.FirstNonFinite(); !bad || i != 3 || !x.HasNaNOrInf() {
		t.Fatalf("Inf at 3, NaN at 4: FirstNonFinite = %d, %v", i, bad)
	}
}
