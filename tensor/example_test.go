package tensor_test

import (
	"fmt"

	"github.com/resnorm/resnorm/tensor"
)

func ExampleTensor() {
	x := tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	y, err := x.Reshape(3, -1) // shares x's data
	if err != nil {
		panic(err)
	}
	fmt.Println(y)
	fmt.Println(tensor.Scalar(0.5))
	_, err = tensor.FromSlice([]float32{1, 2, 3}, 2, 2)
	fmt.Println(err)
	// Output:
	// Tensor[3 2] [[1, 2],
	//              [3, 4],
	//              [5, 6]]
	// Tensor[] 0.5
	// tensor: shape [2 2] needs 4 values, got 3
}

// The same seed gives the same numbers on every platform and Go version.
func ExampleRNG() {
	r := tensor.NewRNG(42)
	w := tensor.RandTruncatedNormal(r, 0, 0.02, 2, 2)
	fmt.Printf("%.5f\n", w.Data)
	// Output:
	// [-0.02607 -0.00102 -0.00148 0.00489]
}
