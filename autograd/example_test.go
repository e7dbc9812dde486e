package autograd_test

import (
	"fmt"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

// A residual connection y = x + f(x) sends gradient to x along both paths:
// here f(x) = relu(x·w), so dL/dx = 1 + (relu'·w) summed over the output.
func Example_residual() {
	x := autograd.Input(tensor.MustFromSlice([]float32{1, -2}, 1, 2))
	w := autograd.NewParam(tensor.MustFromSlice([]float32{0.5, 0, 0, 0.5}, 2, 2), "w")

	tp := autograd.NewTape()
	y := tp.Add(x, tp.ReLU(tp.MatMul(x, w))) // y = x + relu(x·w)
	loss := tp.Sum(y, nil, false)
	if err := tp.Backward(loss); err != nil {
		panic(err)
	}
	fmt.Println("loss:", loss.Value.Item())
	fmt.Println("dL/dx:", x.Grad.Data) // identity path 1, plus 0.5 where relu is active
	fmt.Println("dL/dw:", w.Grad.Data)
	// Output:
	// loss: -0.5
	// dL/dx: [1.5 1]
	// dL/dw: [1 0 -2 0]
}

// Shape mistakes inside the tape panic with a *ShapeError naming the op and
// the shapes; Try turns that into an error.
func ExampleTry() {
	tp := autograd.NewInferenceTape()
	a := autograd.Const(tensor.New(2, 3))
	b := autograd.Const(tensor.New(4, 5))
	err := autograd.Try(func() { tp.MatMul(a, b) })
	fmt.Println(err)
	// Output:
	// autograd: MatMulT: inner dimensions differ: [2 3] (transA=false) · [4 5] (transB=false) gives K=3 vs 4
}
