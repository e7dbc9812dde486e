package autograd

import (
	"errors"
	"fmt"

	"github.com/resnorm/resnorm/internal/kernels"
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
	// tape is set on op outputs: their value and gradient buffers belong
	// to its pool and are valid until its Reset.
	tape *Tape
	// val, gr and shape hold an op output's tensors and shape in place, so
	// that an output costs one allocation besides its (pooled) buffers.
	val, gr tensor.Tensor
	shape   [4]int
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
	// Buffers of op outputs, gradients and saved state, reused after Reset.
	f32  bufPool[float32]
	i32  bufPool[int32]
	ints bufPool[int]
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

// Reset forgets every record so the tape can serve another step, and takes
// back every buffer it handed out: the values and gradients of all Vars
// made on this tape since the last Reset become invalid (see the package
// doc). The buffers are kept for the next step; drop the tape to free them.
func (tp *Tape) Reset() {
	clear(tp.records)
	tp.records = tp.records[:0]
	tp.f32.release()
	tp.i32.release()
	tp.ints.release()
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

// newVar returns an op output of the given shape, zeroed, with its buffer
// from the tape's pool.
func (tp *Tape) newVar(shape ...int) *Var {
	v := tp.newVarUninit(shape...)
	kernels.Zero(v.Value.Data)
	return v
}

// newVarUninit is newVar without the zeroing, for ops whose forward kernel
// provably writes every element of the output.
func (tp *Tape) newVarUninit(shape ...int) *Var {
	v := tp.wrap(shape, nil)
	v.val.Data = tp.f32.get(tensor.Numel(shape))
	return v
}

// wrap returns an output Var of this tape holding data (not copied; the
// caller owns it) under a copy of shape.
func (tp *Tape) wrap(shape []int, data []float32) *Var {
	v := &Var{tape: tp}
	s := v.shape[:0]
	if len(shape) > len(v.shape) {
		s = make([]int, 0, len(shape))
	}
	v.val = tensor.Tensor{Shape: append(s, shape...), Data: data}
	v.Value = &v.val
	return v
}

// alloc returns a zeroed buffer of n float32s valid until Reset, for state
// an op keeps for its backward pass.
func (tp *Tape) alloc(n int) []float32 {
	b := tp.f32.get(n)
	clear(b)
	return b
}

// allocLarge is alloc for a buffer that may be large (an op output or a
// gradient): it is zeroed in parallel.
func (tp *Tape) allocLarge(n int) []float32 {
	b := tp.f32.get(n)
	kernels.Zero(b)
	return b
}

// allocUninit is alloc without the zeroing: only for a buffer that the
// kernel filling it provably writes wherever it is later read.
func (tp *Tape) allocUninit(n int) []float32 { return tp.f32.get(n) }

// copyInts returns a copy of s valid until Reset (labels and ids the
// caller may reuse before Backward).
func (tp *Tape) copyInts(s []int) []int {
	b := tp.ints.get(len(s))
	copy(b, s)
	return b
}

// allocInt32 returns a buffer of n int32s with unspecified contents, valid
// until Reset (argmax indices, which the forward kernel writes in full).
func (tp *Tape) allocInt32(n int) []int32 { return tp.i32.get(n) }

// scratch lends a buffer of n float32s with unspecified contents, for a
// temporary inside one backward closure that the closure overwrites before
// reading; give it back with unscratch before the closure returns.
func (tp *Tape) scratch(n int) []float32 { return tp.f32.take(n) }

// unscratch returns a buffer lent by scratch.
func (tp *Tape) unscratch(b []float32) { tp.f32.put(b) }

// grad returns v's gradient slice for accumulation, allocating a zeroed one
// on first use (from v's tape's pool for op outputs); nil when v takes no
// gradient (so kernels can skip work).
func grad(v *Var) []float32 {
	if v == nil || !v.requiresGrad {
		return nil
	}
	if v.Grad == nil {
		if v.tape == nil {
			v.Grad = tensor.New(v.Value.Shape...)
		} else {
			v.gr = tensor.Tensor{Shape: v.Value.Shape, Data: v.tape.allocLarge(v.Value.Numel())}
			v.Grad = &v.gr
		}
	}
	return v.Grad.Data
}

// bufPool hands out buffers for one step at a time and takes them all back
// at release. A request gets the free buffer of exactly its size when there
// is one (always, in a steady state whose steps repeat the same shapes),
// else the smallest larger one (a short last batch reuses a full batch's
// buffers), else a new one. Contents are unspecified.
type bufPool[T float32 | int32 | int] struct {
	free map[int][][]T // free buffers by capacity
	used [][]T         // handed out since the last release, each once
}

// get returns a buffer of length n that stays out of the pool until release.
func (p *bufPool[T]) get(n int) []T {
	b := p.take(n)
	if cap(b) > 0 {
		p.used = append(p.used, b)
	}
	return b
}

// take returns a buffer of length n that its caller gives back with put.
func (p *bufPool[T]) take(n int) []T {
	if n == 0 {
		return []T{}
	}
	c := n
	if len(p.free[c]) == 0 {
		c = 0
		for k, l := range p.free {
			if k > n && len(l) > 0 && (c == 0 || k < c) {
				c = k
			}
		}
		if c == 0 {
			return make([]T, n)
		}
	}
	l := p.free[c]
	b := l[len(l)-1]
	l[len(l)-1] = nil
	p.free[c] = l[:len(l)-1]
	return b[:n]
}

// put makes b (from take) free again.
func (p *bufPool[T]) put(b []T) {
	c := cap(b)
	if c == 0 {
		return
	}
	if p.free == nil {
		p.free = make(map[int][][]T)
	}
	p.free[c] = append(p.free[c], b[:c])
}

// release makes every buffer handed out by get free again.
func (p *bufPool[T]) release() {
	for _, b := range p.used {
		p.put(b)
	}
	clear(p.used)
	p.used = p.used[:0]
}

// Backward runs the recorded ops in reverse from loss, which must hold a
// single value; d(loss)/d(v) accumulates into v.Grad for every Var v that
// requires a gradient. The tape is left intact; call Reset to reuse it.
func (tp *Tape) Backward(loss *Var) error {
	if loss == nil || loss.Value == nil {
		return errors.New("autograd: Backward of a nil loss")
	}
	if loss.Value.Numel() != 1 {
		return fmt.Errorf("autograd: Backward needs a scalar loss, got shape %v", loss.Value.Shape)
	}
	one := [1]float32{1}
	return tp.backward(loss, one[:])
}

// BackwardWith back-propagates a given output gradient (a vector–Jacobian
// product, PyTorch's y.backward(gradient)): seed must have out's shape.
func (tp *Tape) BackwardWith(out *Var, seed *tensor.Tensor) error {
	if tp.inference {
		return errors.New("autograd: Backward on an inference tape")
	}
	if out == nil || out.Value == nil || seed == nil {
		return errors.New("autograd: BackwardWith needs an output and its gradient, got nil")
	}
	if !tensor.SameShape(out.Value.Shape, seed.Shape) {
		return fmt.Errorf("autograd: output gradient shape %v does not match output %v", seed.Shape, out.Value.Shape)
	}
	return tp.backward(out, seed.Data)
}

// backward runs the records in reverse from out, seeded with seed.
func (tp *Tape) backward(out *Var, seed []float32) error {
	if tp.inference {
		return errors.New("autograd: Backward on an inference tape")
	}
	if !out.requiresGrad {
		return errors.New("autograd: output does not depend on anything that requires a gradient")
	}
	g := grad(out)
	for i, v := range seed {
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
