package models_test

import (
	"fmt"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/models"
	"github.com/resnorm/resnorm/tensor"
)

// The source document's build_model((28, 28, 1), 10) and its summary.
func ExampleSeedCNN() {
	m, err := models.SeedCNN(1)
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Summary())
	// Output:
	// Model: "seed_cnn"
	// ______________________________________________________________________________
	//  Layer (type)                             Output Shape              Param #
	// ==============================================================================
	//  reshape (Reshape)                        (None, 28, 28, 1)         0
	//  conv2d (Conv2D)                          (None, 14, 14, 64)        640
	//  batch_normalization (BatchNormalization) (None, 14, 14, 64)        256
	//  seed_block (SeedBlock)                   (None, 7, 7, 64)          41,536
	//  seed_block_1 (SeedBlock)                 (None, 7, 7, 64)          41,536
	//  flatten (Flatten)                        (None, 3136)              0
	//  dense (Dense)                            (None, 10)                31,370
	// ==============================================================================
	// Total params: 115,338 (450.54 KB)
	// Trainable params: 114,698 (448.04 KB)
	// Non-trainable params: 640 (2.50 KB)
	// ______________________________________________________________________________
}

// ResNet-20 for CIFAR-10 and its plain twin (no shortcuts), as in the
// degradation experiment of He et al. 2015.
func ExampleResNet() {
	for _, plain := range []bool{false, true} {
		m, err := models.ResNet(20, models.ResNetOptions{Plain: plain})
		if err != nil {
			panic(err)
		}
		total, _, _ := m.ParamCounts()
		x := autograd.Const(tensor.New(2, 32, 32, 3))
		y, err := m.Forward(autograd.NewInferenceTape(), x)
		if err != nil {
			panic(err)
		}
		fmt.Println(m.Name(), total, y.Shape())
	}
	// Output:
	// resnet20 271098 [2 10]
	// plain20 271098 [2 10]
}
