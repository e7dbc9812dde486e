package data_test

import (
	"fmt"

	"github.com/resnorm/resnorm/data"
	"github.com/resnorm/resnorm/tensor"
)

func ExampleLoadMNIST() {
	// Any directory holding the four MNIST files (gzipped or not) works; this
	// one is the copy that ships with resnorm (package data/mnistdata embeds
	// it, for programs that must run without the source tree).
	train, test, err := data.LoadMNIST("mnistdata")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train:", train.X.Shape, len(train.Y), "labels; first label", train.Y[0])
	fmt.Println("test: ", test.X.Shape, len(test.Y), "labels")
	// Output:
	// train: [60000 28 28 1] 60000 labels; first label 5
	// test:  [10000 28 28 1] 10000 labels
}

func ExampleLoader() {
	// Ten samples of one value each; sample i holds i and is labelled i mod 2.
	x := tensor.New(10, 1)
	y := make([]int, 10)
	for i := range 10 {
		x.Data[i], y[i] = float32(i), i%2
	}
	ds, _ := data.NewDataset(x, y)
	l := &data.Loader{Data: ds, BatchSize: 4, Shuffle: true, Seed: 1}
	for epoch := range 2 {
		it, _ := l.Epoch(epoch, 0)
		for it.Next() {
			xb, yb := it.Batch()
			fmt.Println("epoch", epoch, "batch", it.Index(), xb.Shape, xb.Data, yb)
		}
	}
	// Resuming a run that stopped after batch 1 of epoch 1 replays batch 2:
	it, _ := l.Epoch(1, 2)
	for it.Next() {
		xb, _ := it.Batch()
		fmt.Println("resumed: epoch 1 batch", it.Index(), xb.Data)
	}
	// Output:
	// epoch 0 batch 0 [4 1] [5 6 0 2] [1 0 0 0]
	// epoch 0 batch 1 [4 1] [8 7 1 9] [0 1 1 1]
	// epoch 0 batch 2 [2 1] [3 4] [1 0]
	// epoch 1 batch 0 [4 1] [9 5 8 2] [1 1 0 0]
	// epoch 1 batch 1 [4 1] [7 1 3 4] [1 1 1 0]
	// epoch 1 batch 2 [2 1] [6 0] [0 0]
	// resumed: epoch 1 batch 2 [6 0]
}

func ExampleStratifiedKFold() {
	labels := []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2}
	folds, _ := data.StratifiedKFold(labels, 3, 7)
	for i, f := range folds {
		counts, _ := data.ClassCounts(pick(labels, f.Val), 3)
		fmt.Println("fold", i, "validates on", len(f.Val), "samples, per class", counts)
	}
	// Output:
	// fold 0 validates on 4 samples, per class [2 1 1]
	// fold 1 validates on 4 samples, per class [2 1 1]
	// fold 2 validates on 4 samples, per class [2 1 1]
}

func pick(y, idx []int) []int {
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = y[j]
	}
	return out
}
