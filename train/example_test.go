package train_test

import (
	"fmt"

	"github.com/resnorm/resnorm/data/mnistdata"
	"github.com/resnorm/resnorm/models"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/train"
)

// Train the source document's CNN on part of MNIST and evaluate it (the
// 250 steps also let BatchNorm's moving statistics, momentum 0.99, settle). With
// Progress set (e.g. to os.Stdout) Fit shows a Keras-style progress bar;
// with RunDir set it writes resumable checkpoints.
func ExampleFit() {
	trainSet, testSet, err := mnistdata.Load()
	if err != nil {
		panic(err)
	}
	m, err := models.SeedCNN(1)
	if err != nil {
		panic(err)
	}
	hist, err := train.Fit(m, optim.NewAdam(1e-3), trainSet.Slice(0, 4000), train.Config{Epochs: 1, BatchSize: 16, Seed: 1})
	if err != nil {
		panic(err)
	}
	res, err := train.Evaluate(m, testSet.Slice(0, 1000), 500)
	if err != nil {
		panic(err)
	}
	fmt.Println("epochs:", len(hist.Epochs))
	fmt.Println("better than chance:", res.Accuracy > 0.5)
	// Output:
	// epochs: 1
	// better than chance: true
}
