package data

// Index splits for validation and cross-validation. They return sample
// indices, not data, so one copy of a dataset serves every fold (use
// Dataset.Subset to materialise a fold). Each returned index list is sorted,
// so an unshuffled pass over a fold keeps the dataset's order; the
// randomness is only in which samples land where, fixed by the seed.

import (
	"fmt"
	"math"
	"slices"

	"github.com/resnorm/resnorm/tensor"
)

// Fold is one train/validation partition of the sample indices.
type Fold struct {
	Train, Val []int
}

// SplitIndices shuffles 0..n-1 with seed and puts round(valFrac·n) of them in
// val and the rest in train. valFrac must be in [0, 1).
func SplitIndices(n int, valFrac float64, seed uint64) (train, val []int, err error) {
	if !(valFrac >= 0 && valFrac < 1) {
		return nil, nil, fmt.Errorf("data: validation fraction %v is outside [0, 1)", valFrac)
	}
	return SplitCount(n, int(math.Round(valFrac*float64(n))), seed)
}

// SplitCount shuffles 0..n-1 with seed and puts nVal of them in val and the
// rest in train.
func SplitCount(n, nVal int, seed uint64) (train, val []int, err error) {
	if nVal < 0 || nVal > n {
		return nil, nil, fmt.Errorf("data: cannot hold out %d of %d samples for validation", nVal, n)
	}
	p := tensor.NewRNG(seed).Perm(n)
	val, train = p[:nVal:nVal], p[nVal:]
	slices.Sort(val)
	slices.Sort(train)
	return train, val, nil
}

// KFold shuffles 0..n-1 with seed and cuts it into k folds whose sizes differ
// by at most one (the first n mod k folds are the larger). Fold i validates
// on its part and trains on the other k-1.
func KFold(n, k int, seed uint64) ([]Fold, error) {
	if k < 2 || k > n {
		return nil, fmt.Errorf("data: k-fold needs 2 <= k <= n samples, got k=%d, n=%d", k, n)
	}
	p := tensor.NewRNG(seed).Perm(n)
	assign := make([]int, n) // fold of each sample
	pos := 0
	for f := range k {
		size := n / k
		if f < n%k {
			size++
		}
		for _, s := range p[pos : pos+size] {
			assign[s] = f
		}
		pos += size
	}
	return foldsFrom(assign, k), nil
}

// StratifiedKFold is KFold that keeps every class's share equal across the
// folds: each class's samples, shuffled with seed, are dealt to the folds in
// turn, each class continuing where the previous one stopped. So for every
// class the folds' counts differ by at most one, and so do the folds' total
// sizes. labels must be non-negative; a class with fewer than k samples is
// missing from some folds' validation parts.
func StratifiedKFold(labels []int, k int, seed uint64) ([]Fold, error) {
	n := len(labels)
	if k < 2 || k > n {
		return nil, fmt.Errorf("data: stratified k-fold needs 2 <= k <= n samples, got k=%d, n=%d", k, n)
	}
	numClasses := 0
	for i, c := range labels {
		if c < 0 {
			return nil, fmt.Errorf("data: stratified k-fold: label %d of sample %d is negative", c, i)
		}
		numClasses = max(numClasses, c+1)
	}
	if numClasses > n {
		return nil, fmt.Errorf("data: stratified k-fold: label %d is absurd for %d samples", numClasses-1, n)
	}
	byClass := make([][]int, numClasses)
	for i, c := range labels {
		byClass[c] = append(byClass[c], i)
	}
	rng := tensor.NewRNG(seed)
	assign := make([]int, n)
	next := 0
	for _, members := range byClass {
		rng.Shuffle(members)
		for _, s := range members {
			assign[s] = next
			next = (next + 1) % k
		}
	}
	return foldsFrom(assign, k), nil
}

// foldsFrom turns a fold number per sample into k sorted train/val lists.
func foldsFrom(assign []int, k int) []Fold {
	sizes := make([]int, k)
	for _, f := range assign {
		sizes[f]++
	}
	folds := make([]Fold, k)
	for f := range folds {
		folds[f] = Fold{Train: make([]int, 0, len(assign)-sizes[f]), Val: make([]int, 0, sizes[f])}
	}
	for s, f := range assign {
		for g := range folds {
			if g == f {
				folds[g].Val = append(folds[g].Val, s)
			} else {
				folds[g].Train = append(folds[g].Train, s)
			}
		}
	}
	return folds
}
