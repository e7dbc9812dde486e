package data

import (
	"slices"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// checkPartition fails unless train and val are sorted, disjoint and together
// hold exactly 0..n-1.
func checkPartition(t *testing.T, what string, n int, train, val []int) {
	t.Helper()
	if !slices.IsSorted(train) || !slices.IsSorted(val) {
		t.Errorf("%s: index lists are not sorted", what)
	}
	seen := make([]int, n)
	for _, s := range append(slices.Clone(train), val...) {
		if s < 0 || s >= n {
			t.Fatalf("%s: index %d outside [0, %d)", what, s, n)
		}
		seen[s]++
	}
	for s, c := range seen {
		if c != 1 {
			t.Fatalf("%s: sample %d appears %d times in train ∪ val", what, s, c)
		}
	}
}

func TestSplitIndices(t *testing.T) {
	train, val, err := SplitIndices(1000, 0.1, 7)
	if err != nil || len(val) != 100 || len(train) != 900 {
		t.Fatalf("SplitIndices(1000, 0.1) = %d/%d, %v", len(train), len(val), err)
	}
	checkPartition(t, "split", 1000, train, val)
	train2, val2, _ := SplitIndices(1000, 0.1, 7)
	if !slices.Equal(val, val2) || !slices.Equal(train, train2) {
		t.Error("the same seed gave different splits")
	}
	_, val3, _ := SplitIndices(1000, 0.1, 8)
	if slices.Equal(val, val3) {
		t.Error("seeds 7 and 8 gave the same split")
	}
	if val[len(val)-1]-val[0] < 500 {
		t.Errorf("validation indices are not spread over the data: %v…", val[:5])
	}
	for _, f := range []float64{-0.1, 1, 1.5} {
		if _, _, err := SplitIndices(10, f, 1); err == nil || !strings.Contains(err.Error(), "outside [0, 1)") {
			t.Errorf("SplitIndices(frac %v): %v", f, err)
		}
	}
	if _, _, err := SplitCount(10, 11, 1); err == nil || !strings.Contains(err.Error(), "11 of 10") {
		t.Errorf("SplitCount(10, 11): %v", err)
	}
	tr, va, err := SplitCount(5, 0, 1)
	if err != nil || len(va) != 0 || !slices.Equal(tr, []int{0, 1, 2, 3, 4}) {
		t.Errorf("SplitCount(5, 0) = %v %v %v", tr, va, err)
	}
}

func TestDatasetSplit(t *testing.T) {
	d := toy(20, 4)
	train, val, err := d.Split(0.25, 3)
	if err != nil || train.Len() != 15 || val.Len() != 5 {
		t.Fatalf("Split = %v, %v, %v", train, val, err)
	}
	seen := map[int]bool{}
	for _, part := range []*Dataset{train, val} {
		for i := range part.Len() {
			s := sampleOf(part.X, i)
			if seen[s] || part.Y[i] != s%4 || part.X.Data[2*i+1] != float32(10*s+1) {
				t.Errorf("sample %d duplicated or its row/label mangled", s)
			}
			seen[s] = true
		}
	}
}

func TestKFold(t *testing.T) {
	for _, c := range []struct{ n, k int }{{10, 2}, {10, 3}, {103, 5}, {7, 7}} {
		folds, err := KFold(c.n, c.k, 42)
		if err != nil || len(folds) != c.k {
			t.Fatalf("KFold(%d, %d): %d folds, %v", c.n, c.k, len(folds), err)
		}
		inVal := make([]int, c.n)
		for i, f := range folds {
			checkPartition(t, "fold", c.n, f.Train, f.Val)
			if want := c.n / c.k; len(f.Val) != want && len(f.Val) != want+1 {
				t.Errorf("KFold(%d, %d): fold %d validates on %d samples, want %d or %d", c.n, c.k, i, len(f.Val), want, want+1)
			}
			for _, s := range f.Val {
				inVal[s]++
			}
		}
		for s, m := range inVal {
			if m != 1 {
				t.Errorf("KFold(%d, %d): sample %d validated %d times, want once", c.n, c.k, s, m)
			}
		}
		again, _ := KFold(c.n, c.k, 42)
		for i := range folds {
			if !slices.Equal(folds[i].Val, again[i].Val) {
				t.Errorf("KFold(%d, %d) is not deterministic", c.n, c.k)
			}
		}
	}
	for _, c := range []struct{ n, k int }{{10, 1}, {3, 4}, {0, 2}} {
		if _, err := KFold(c.n, c.k, 1); err == nil || !strings.Contains(err.Error(), "2 <= k <= n") {
			t.Errorf("KFold(%d, %d): %v", c.n, c.k, err)
		}
	}
}

func TestStratifiedKFold(t *testing.T) {
	// Unbalanced classes, shuffled: 50 of class 0, 23 of class 1, 7 of class
	// 2, none of class 3, and 3 of class 4 (fewer than k).
	var labels []int
	for c, n := range []int{50, 23, 7, 0, 3} {
		for range n {
			labels = append(labels, c)
		}
	}
	tensor.NewRNG(1).Shuffle(labels)
	const k = 5
	classes := 5
	total, _ := ClassCounts(labels, classes)
	folds, err := StratifiedKFold(labels, k, 9)
	if err != nil || len(folds) != k {
		t.Fatalf("StratifiedKFold: %d folds, %v", len(folds), err)
	}
	inVal := make([]int, len(labels))
	for i, f := range folds {
		checkPartition(t, "stratified fold", len(labels), f.Train, f.Val)
		if n := len(labels) / k; len(f.Val) != n && len(f.Val) != n+1 {
			t.Errorf("fold %d validates on %d samples, want %d or %d", i, len(f.Val), n, n+1)
		}
		valY := make([]int, len(f.Val))
		for j, s := range f.Val {
			valY[j] = labels[s]
			inVal[s]++
		}
		counts, _ := ClassCounts(valY, classes)
		for c := range classes {
			if lo := total[c] / k; counts[c] != lo && counts[c] != lo+1 {
				t.Errorf("fold %d holds %d of class %d's %d samples, want %d or %d", i, counts[c], c, total[c], lo, lo+1)
			}
		}
	}
	for s, m := range inVal {
		if m != 1 {
			t.Errorf("sample %d validated %d times, want once", s, m)
		}
	}
	other, _ := StratifiedKFold(labels, k, 10)
	if slices.Equal(folds[0].Val, other[0].Val) {
		t.Error("seeds 9 and 10 gave the same folds")
	}
	if _, err := StratifiedKFold([]int{0, 1, -1, 0}, 2, 1); err == nil || !strings.Contains(err.Error(), "label -1 of sample 2") {
		t.Errorf("negative label: %v", err)
	}
	if _, err := StratifiedKFold([]int{0, 1}, 3, 1); err == nil {
		t.Error("k > n: no error")
	}
}
