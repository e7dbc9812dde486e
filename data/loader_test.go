package data

import (
	"slices"
	"strings"
	"testing"
)

// epochSamples runs one epoch from batch start and returns, per batch, the
// sample indices read back from the batch's rows, checking rows and labels
// agree with the dataset.
func epochSamples(t *testing.T, l *Loader, epoch, start int) [][]int {
	t.Helper()
	it, err := l.Epoch(epoch, start)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]int
	for it.Next() {
		x, y := it.Batch()
		if x.Shape[0] != len(y) || len(x.Data) != 2*len(y) || !slices.Equal(x.Shape[1:], []int{2, 1}) {
			t.Fatalf("batch %d: x %v with %d labels", it.Index(), x.Shape, len(y))
		}
		var ids []int
		for r := range y {
			s := sampleOf(x, r)
			if x.Data[2*r+1] != float32(10*s+1) || y[r] != l.Data.Y[s] {
				t.Fatalf("batch %d row %d: sample %d's row or label is wrong", it.Index(), r, s)
			}
			ids = append(ids, s)
		}
		if !slices.Equal(ids, it.Indices()) {
			t.Fatalf("batch %d: rows hold %v, Indices says %v", it.Index(), ids, it.Indices())
		}
		if it.Index() != start+len(out) {
			t.Fatalf("Index() = %d, want %d", it.Index(), start+len(out))
		}
		out = append(out, ids)
	}
	if len(out) != it.NumBatches()-start {
		t.Fatalf("epoch %d from %d: %d batches, want %d", epoch, start, len(out), it.NumBatches()-start)
	}
	return out
}

func TestLoaderInOrder(t *testing.T) {
	l := &Loader{Data: toy(10, 3), BatchSize: 4}
	got := epochSamples(t, l, 0, 0)
	want := [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v", got, want)
	}
	l.DropLast = true
	if got := epochSamples(t, l, 3, 0); len(got) != 2 || l.NumBatches() != 2 {
		t.Errorf("DropLast: %d batches (NumBatches %d), want 2", len(got), l.NumBatches())
	}
}

func TestLoaderShuffleDeterministic(t *testing.T) {
	d := toy(23, 4)
	l := &Loader{Data: d, BatchSize: 5, Shuffle: true, Seed: 11}
	e0 := epochSamples(t, l, 0, 0)
	e1 := epochSamples(t, l, 1, 0)
	if !slices.EqualFunc(e0, epochSamples(t, &Loader{Data: d, BatchSize: 5, Shuffle: true, Seed: 11}, 0, 0), slices.Equal) {
		t.Error("the same (seed, epoch) gave a different order")
	}
	if slices.EqualFunc(e0, e1, slices.Equal) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if other := epochSamples(t, &Loader{Data: d, BatchSize: 5, Shuffle: true, Seed: 12}, 0, 0); slices.EqualFunc(e0, other, slices.Equal) {
		t.Error("seeds 11 and 12 give the same order")
	}
	for _, e := range [][][]int{e0, e1} {
		all := slices.Concat(e...)
		slices.Sort(all)
		for i, s := range all {
			if s != i {
				t.Fatalf("an epoch does not visit every sample exactly once: %v", all)
			}
		}
	}
	if slices.IsSorted(slices.Concat(e0...)) {
		t.Error("shuffled epoch is in order")
	}
	// Resume: starting epoch 1 at batch 2 yields exactly its batches 2…
	if got := epochSamples(t, l, 1, 2); !slices.EqualFunc(got, e1[2:], slices.Equal) {
		t.Errorf("resumed batches %v, want %v", got, e1[2:])
	}
	if got := epochSamples(t, l, 1, l.NumBatches()); len(got) != 0 {
		t.Errorf("starting at the end gave %d batches", len(got))
	}
}

// The order of an epoch is fixed by (Seed, epoch) alone: pin one so that a
// change to the shuffling (which would break resuming old checkpoints) shows.
func TestLoaderOrderPinned(t *testing.T) {
	l := &Loader{Data: toy(8, 2), BatchSize: 3, Shuffle: true, Seed: 1}
	if got, want := l.Order(0), []int{7, 2, 3, 6, 1, 0, 5, 4}; !slices.Equal(got, want) {
		t.Errorf("Order(0) with seed 1 = %v, want %v", got, want)
	}
}

// A loader restricted by Indices sees the same batches as a loader over the
// copied Subset, in the same shuffled order.
func TestLoaderIndices(t *testing.T) {
	d := toy(30, 3)
	folds, _ := StratifiedKFold(d.Y, 3, 2)
	val := folds[1].Val
	got := epochSamples(t, &Loader{Data: d, Indices: val, BatchSize: 4, Shuffle: true, Seed: 3}, 2, 0)
	sub := d.Subset(val)
	l := &Loader{Data: sub, BatchSize: 4, Shuffle: true, Seed: 3}
	it, _ := l.Epoch(2, 0)
	var want [][]int
	for it.Next() {
		x, _ := it.Batch()
		var ids []int
		for r := range x.Shape[0] {
			ids = append(ids, sampleOf(x, r))
		}
		want = append(want, ids)
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("with Indices: %v; over the Subset: %v", got, want)
	}
	all := slices.Sorted(slices.Values(slices.Concat(got...)))
	if !slices.Equal(all, val) {
		t.Errorf("visited %v, want the fold %v", all, val)
	}
	if _, err := (&Loader{Data: d, Indices: []int{0, 30}, BatchSize: 1}).Epoch(0, 0); err == nil || !strings.Contains(err.Error(), "index 1 is sample 30, outside a dataset of 30") {
		t.Errorf("bad index: %v", err)
	}
}

func TestLoaderReusesBuffers(t *testing.T) {
	l := &Loader{Data: toy(64, 3), BatchSize: 8, Shuffle: true, Seed: 5}
	it, _ := l.Epoch(0, 0)
	allocs := testing.AllocsPerRun(7, func() {
		it.Next()
		it.Batch()
	})
	if allocs != 0 {
		t.Errorf("Next allocates %v times per full batch, want 0", allocs)
	}
}

func TestLoaderUnlabelled(t *testing.T) {
	d := toy(5, 2)
	d.Y = nil
	it, err := (&Loader{Data: d, BatchSize: 2}).Epoch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it.Next() {
		x, y := it.Batch()
		if y != nil {
			t.Errorf("labels %v for an unlabelled dataset", y)
		}
		n += x.Shape[0]
	}
	if n != 5 {
		t.Errorf("saw %d samples, want 5", n)
	}
}

func TestLoaderErrors(t *testing.T) {
	d := toy(10, 2)
	for _, c := range []struct {
		l            *Loader
		epoch, start int
		want         string
	}{
		{&Loader{Data: d, BatchSize: 0}, 0, 0, "batch size must be positive, got 0"},
		{&Loader{Data: d, BatchSize: 3}, -1, 0, "epoch -1"},
		{&Loader{Data: d, BatchSize: 3}, 0, 5, "batch 5 of an epoch of 4"},
		{&Loader{Data: d, BatchSize: 3, DropLast: true}, 0, 4, "batch 4 of an epoch of 3"},
		{&Loader{BatchSize: 3}, 0, 0, "no dataset"},
	} {
		if _, err := c.l.Epoch(c.epoch, c.start); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Epoch(%d, %d): %v, want %q", c.epoch, c.start, err, c.want)
		}
	}
}
