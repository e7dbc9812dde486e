// Package nn holds resnorm's layers and models: a Keras-like API in plain
// Go, over the autograd package's ops.
//
// A layer is configuration until it is built: Build receives the input
// shape (without the batch axis), checks it, creates the weights and
// returns the output shape, so shape mistakes are caught, with the layer's
// name and both shapes, before anything runs. Forward computes the output
// on an autograd tape; the tape's Training flag selects batch statistics
// and dropout. Weights carry full names ("conv2d_1/kernel",
// "batch_normalization/moving_mean") and say whether they are trainable:
// BatchNorm's moving statistics are state, not parameters, as PyTorch's
// buffers.
//
// Residual blocks are layers (SeedBlock, BasicBlock, PreActBlock, and the
// generic Residual wrapper y = x + f(x) with optional pre- or post-norm),
// so the source document's network is a Sequential:
//
//	m, err := nn.Sequential{
//		Name: "seed_cnn", Seed: 1, InputShape: []int{28, 28, 1},
//		Layers: []nn.Layer{
//			nn.Reshape([]int{28, 28, 1}),
//			nn.Conv2D(64, 3, nn.Strides(2), nn.Padding("same"), nn.WithActivation("relu")),
//			nn.BatchNormalization(),
//			nn.SeedBlock(64, nn.Strides(2)),
//			nn.SeedBlock(64),
//			nn.Flatten(),
//			nn.Dense(10, nn.WithActivation("softmax")),
//		},
//	}.Build()
//	fmt.Print(m.Summary())
//
// Functional models wire layers as a graph, with several inputs and
// outputs and shared layers (see Input, Apply and Functional).
//
// # Names
//
// Layers without a name get Keras's default, the snake-case type name
// numbered per type: conv2d, conv2d_1, conv2d_2, … Keras numbers across a
// whole session; resnorm numbers within each model, in order of first
// application, so the same code always gives the same names, weight names
// and summary. Sublayers of a block are named "<block>/<role>"
// ("seed_block/shortcut_conv").
//
// # Determinism
//
// Initial weights are drawn from a stream derived from the model's seed
// and the weight's full name: the same seed gives the same weights,
// independent of thread count and of other layers in the model.
//
// # Saving
//
// MarshalConfig / ModelFromConfig round-trip the architecture through JSON
// ({"class_name": ..., "config": ...} per layer, as Keras); SaveWeights /
// LoadWeights store the weights as safetensors under their full names.
package nn
