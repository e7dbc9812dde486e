package optim_test

import (
	"fmt"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/tensor"
)

// minimize runs steps of o on f(x) = (x − 3)², whose gradient is 2(x − 3),
// starting from x = 0, and returns x.
func minimize(o optim.Optimizer, steps int) float32 {
	x := autograd.NewParam(tensor.Scalar(0), "x")
	x.Grad = tensor.Scalar(0)
	params := []*autograd.Var{x}
	for range steps {
		x.Grad.Data[0] = 2 * (x.Value.Data[0] - 3) // normally: tape.Backward(loss)
		if err := o.Step(params); err != nil {
			panic(err)
		}
	}
	return x.Value.Data[0]
}

func ExampleNewSGD() {
	o := optim.NewSGD(0.1)
	o.Momentum, o.Nesterov = 0.9, true
	fmt.Printf("x = %.4f after %d steps\n", minimize(o, 100), o.StepCount())
	// Output: x = 3.0000 after 100 steps
}

func ExampleNewAdam() {
	o := optim.NewAdam(0.1)
	o.SetSchedule(optim.Cosine{Initial: 0.1, Floor: 0.001, Steps: 300})
	fmt.Printf("x = %.3f, final lr %.3g\n", minimize(o, 300), o.LR())
	// Output: x = 3.000, final lr 0.001
}

func ExampleNewAdamW() {
	// Decoupled weight decay shrinks x by lr·0.5·x every step, whatever the
	// gradient's scale, while Adam's own step is at most about lr: x settles
	// where the two balance, well short of the minimum at 3.
	o := optim.NewAdamW(0.05)
	o.WeightDecay = 0.5
	fmt.Printf("x = %.2f\n", minimize(o, 2000))
	// Output: x = 1.88
}

func ExampleClipGlobalNorm() {
	a := autograd.NewParam(tensor.New(2), "a")
	a.Grad = tensor.MustFromSlice([]float32{3, 4}, 2)
	norm := optim.ClipGlobalNorm([]*autograd.Var{a}, 1)
	fmt.Println(norm, a.Grad.Data)
	// Output: 5 [0.6 0.8]
}
