package autograd

import (
	"errors"
	"fmt"

	"github.com/resnorm/resnorm/tensor"
)

// Var is a value in a computation and, after Backward, its gradient.
type Var struct {
	Value *tensor.Tensor
	// Grad has Value's shape once a backward pass has reached this Var; nil
	// before. For parameters it accumulates across passes until ZeroGrad.
	Grad *tensor.Tensor
	// Name is optional; parameters carry their layer-qualified name.
	Name         string
	requiresGrad bool
}

// NewParam wraps t as a trainable leaf: gradients flow into it.
func NewParam(t *tensor.Tensor, name string) *Var {
	return &Var{Value: t, Name: name, requiresGrad: true}
}

// Const wraps t as a leaf that receives no gradient (inputs, labels, masks).
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// Input wraps t as a leaf that does receive a gradient, for when the
// gradient with respect to an input is wanted (gradient checks, saliency).
func Input(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true} }

// RequiresGrad reports whether gradients flow to this Var.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad freezes (false) or unfreezes (true) a leaf.
func (v *Var) SetRequiresGrad(b bool) { v.requiresGrad = b }

// Shape returns the value's shape.
func (v *Var) Shape() []int { return v.Value.Shape }

// ZeroGrad drops the accumulated gradient.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		clear(v.Grad.Data)
	}
}

// Record is one entry of the tape: the op's name, its output and inputs.
// Diagnostics read records to find per-op activations and gradients.
type Record struct {
	Op       string
	Out      *Var
	Inputs   []*Var
	backward func()
}

// Tape records differentiable ops for one forward/backward pass.
type Tape struct {
	records   []Record
	inference bool
	// Training tells ops whose behaviour differs between training and
	// inference (dropout, batch norm) which to do. NewTape sets it true,
	// NewInferenceTape false.
	Training bool
}

// NewTape returns a recording tape in training mode.
func NewTape() *Tape { return &Tape{Training: true} }

// NewInferenceTape returns a tape that records nothing and runs ops in
// inference mode: no gradients, nothing kept alive for a backward pass.
func NewInferenceTape() *Tape { return &Tape{inference: true} }

// Recording reports whether ops on this tape are recorded for Backward.
func (tp *Tape) Recording() bool { return !tp.inference }

// Records returns the ops recorded so far, in execution order.
func (tp *Tape) Records() []Record { return tp.records }

// Reset forgets every record so the tape can serve another step.
func (tp *Tape) Reset() {
	clear(tp.records)
	tp.records = tp.records[:0]
}

// record registers out as produced by op from inputs. The output requires a
// gradient iff the tape records and some input requires one; only then is
// backward kept. backward reads out.Grad and accumulates into inputs' grads
// (use tp.grad to get an input's buffer).
func (tp *Tape) record(op string, out *Var, inputs []*Var, backward func()) {
	if tp.inference {
		return
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			out.requiresGrad = true
			break
		}
	}
	if out.requiresGrad {
		tp.records = append(tp.records, Record{Op: op, Out: out, Inputs: inputs, backward: backward})
	}
}

// newVar allocates an output Var of the given shape. All op outputs come
// from here so buffer reuse can be added in one place.
func (tp *Tape) newVar(shape ...int) *Var {
	return &Var{Value: tensor.New(shape...)}
}

// grad returns v's gradient slice for accumulation, allocating a zeroed one
// on first use; nil when v takes no gradient (so kernels can skip work).
func grad(v *Var) []float32 {
	if v == nil || !v.requiresGrad {
		return nil
	}
	if v.Grad == nil {
		v.Grad = tensor.New(v.Value.Shape...)
	}
	return v.Grad.Data
}

// Backward runs the recorded ops in reverse from loss, which must hold a
// single value; d(loss)/d(v) accumulates into v.Grad for every Var v that
// requires a gradient. The tape is left intact; call Reset to reuse it.
func (tp *Tape) Backward(loss *Var) error {
	if loss.Value.Numel() != 1 {
		return fmt.Errorf("autograd: Backward needs a scalar loss, got shape %v", loss.Value.Shape)
	}
	return tp.BackwardWith(loss, tensor.Full(1, loss.Value.Shape...))
}

// BackwardWith back-propagates a given output gradient (a vector–Jacobian
// product, PyTorch's y.backward(gradient)): seed must have out's shape.
func (tp *Tape) BackwardWith(out *Var, seed *tensor.Tensor) error {
	if tp.inference {
		return errors.New("autograd: Backward on an inference tape")
	}
	if !tensor.SameShape(out.Value.Shape, seed.Shape) {
		return fmt.Errorf("autograd: output gradient shape %v does not match output %v", seed.Shape, out.Value.Shape)
	}
	if !out.requiresGrad {
		return errors.New("autograd: output does not depend on anything that requires a gradient")
	}
	g := grad(out)
	for i, v := range seed.Data {
		g[i] += v
	}
	for i := len(tp.records) - 1; i >= 0; i-- {
		r := &tp.records[i]
		if r.Out.Grad == nil {
			continue // no path from this op to the output
		}
		r.backward()
	}
	return nil
}

// ShapeError is the panic value of an op given inputs of incompatible shapes.
type ShapeError struct {
	Op  string
	Msg string
}

func (e *ShapeError) Error() string { return "autograd: " + e.Op + ": " + e.Msg }

// shapePanic panics with a ShapeError; format it to name every shape involved.
func shapePanic(op, format string, args ...any) {
	panic(&ShapeError{Op: op, Msg: fmt.Sprintf(format, args...)})
}

// Try runs fn and returns a ShapeError it panics with as an error; other
// panics propagate.
func Try(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if se, ok := r.(*ShapeError); ok {
				err = se
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}
