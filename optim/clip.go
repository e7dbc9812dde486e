package optim

import (
	"fmt"
	"math"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/internal/kernels"
)

// ClipGlobalNorm scales the gradients of params so that their global L2
// norm (all gradients taken as one vector) is at most maxNorm, and returns
// the norm before clipping. Like Step, it skips parameters that have no
// gradient or do not require one. The sum of squares is accumulated in
// float64, parameter by parameter in the given order, so the result does not
// depend on the thread count. When the norm is NaN or infinite the
// gradients are left alone: the caller decides whether to skip the step or
// stop. Gradients are multiplied by maxNorm/norm, only when norm > maxNorm
// (Keras's clipnorm; PyTorch's clip_grad_norm_ adds 1e-6 to the norm). It
// panics if maxNorm is not positive.
func ClipGlobalNorm(params []*autograd.Var, maxNorm float64) float64 {
	if !(maxNorm > 0) {
		panic(fmt.Sprintf("optim: ClipGlobalNorm with maxNorm %v, want > 0", maxNorm))
	}
	norm := GlobalNorm(params)
	if math.IsNaN(norm) || math.IsInf(norm, 0) || norm <= maxNorm {
		return norm
	}
	s := float32(maxNorm / norm)
	for _, p := range params {
		if p != nil && p.RequiresGrad() && p.Grad != nil {
			kernels.Scale(p.Grad.Data, s)
		}
	}
	return norm
}

// GlobalNorm returns the L2 norm of all gradients of params taken as one
// vector (see ClipGlobalNorm), without changing them.
func GlobalNorm(params []*autograd.Var) float64 {
	var sum float64
	for _, p := range params {
		if p != nil && p.RequiresGrad() && p.Grad != nil {
			sum += kernels.SumSquares(p.Grad.Data)
		}
	}
	return math.Sqrt(sum)
}
