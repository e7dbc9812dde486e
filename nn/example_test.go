package nn_test

import (
	"fmt"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/nn"
	"github.com/resnorm/resnorm/tensor"
)

// The source document's model: its residual_block is nn.SeedBlock, so the
// whole network is a Sequential.
func ExampleSequential() {
	m, err := nn.Sequential{
		Name: "seed_cnn", Seed: 1, InputShape: []int{28, 28, 1},
		Layers: []nn.Layer{
			nn.Reshape([]int{28, 28, 1}),
			nn.Conv2D(64, 3, nn.Strides(2), nn.Padding("same"), nn.WithActivation("relu")),
			nn.BatchNormalization(),
			nn.SeedBlock(64, nn.Strides(2)),
			nn.SeedBlock(64),
			nn.Flatten(),
			nn.Dense(10, nn.WithActivation("softmax")),
		},
	}.Build()
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

// A Pre-LN feed-forward sub-block, y = x + f(LayerNorm(x)), as one layer.
func ExampleResidual() {
	m, err := nn.Sequential{
		InputShape: []int{16, 32}, // 16 tokens of width 32
		Layers: []nn.Layer{
			nn.Residual([]nn.Layer{
				nn.Dense(128, nn.WithActivation("gelu")),
				nn.Dense(32),
			}, nn.WithNorm(nn.LayerNorm, nn.PreNorm), nn.Name("ffn")),
		},
	}.Build()
	if err != nil {
		panic(err)
	}
	for _, w := range m.Weights() {
		fmt.Println(w.Name, w.Var.Value.Shape)
	}
	x := autograd.Const(tensor.New(2, 16, 32))
	y, err := m.Forward(autograd.NewInferenceTape(), x)
	if err != nil {
		panic(err)
	}
	fmt.Println("output", y.Shape())
	// Output:
	// ffn/norm/gamma [32]
	// ffn/norm/beta [32]
	// ffn/dense/kernel [32 128]
	// ffn/dense/bias [128]
	// ffn/dense_1/kernel [128 32]
	// ffn/dense_1/bias [32]
	// output [2 16 32]
}

// A functional model with two inputs, a shared layer and two outputs.
func ExampleFunctional() {
	left, right := nn.NamedInput("left", 8), nn.NamedInput("right", 8)
	encode := nn.Dense(4, nn.WithActivation("tanh"), nn.Name("encoder"))
	l, r := nn.Apply(encode, left), nn.Apply(encode, right)
	joined := nn.Apply(nn.Add(), l, r)
	class := nn.Apply(nn.Dense(3, nn.WithActivation("softmax"), nn.Name("classes")), joined)
	score := nn.Apply(nn.Dense(1, nn.Name("score")), l)

	m, err := nn.Functional{Name: "siamese", Inputs: []*nn.Node{left, right}, Outputs: []*nn.Node{class, score}}.Build()
	if err != nil {
		panic(err)
	}
	fmt.Print(m.Summary())
	// Output:
	// Model: "siamese"
	// __________________________________________________________________________________________________
	//  Layer (type)                   Output Shape          Param #    Connected to
	// ==================================================================================================
	//  left (InputLayer)              (None, 8)             0          -
	//  right (InputLayer)             (None, 8)             0          -
	//  encoder (Dense)                (None, 4)             36         left[0][0]
	//                                                                  right[0][0]
	//  add (Add)                      (None, 4)             0          encoder[0][0]
	//                                                                  encoder[1][0]
	//  classes (Dense)                (None, 3)             15         add[0][0]
	//  score (Dense)                  (None, 1)             5          encoder[0][0]
	// ==================================================================================================
	// Total params: 56 (224.00 B)
	// Trainable params: 56 (224.00 B)
	// Non-trainable params: 0 (0.00 B)
	// __________________________________________________________________________________________________
}
