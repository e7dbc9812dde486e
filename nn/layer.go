package nn

// The layer abstraction: what every layer is, the context it runs in, and
// the base every built-in layer embeds. Layers are configuration until
// Build; Build creates weights once the input shape is known (Keras's lazy
// build), Forward delegates the math to autograd ops.

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

// Layer is one step of a model. Shapes passed to and returned by Build
// leave out the batch axis; Forward's inputs and output carry it first.
type Layer interface {
	// Name is the layer's unique name within its model ("" until a model
	// assigns a default).
	Name() string
	// SetName names the layer; models call it to assign default names
	// before building. Renaming a built layer is an error reported by Build.
	SetName(name string)
	// Type is the layer's class name, as in Keras ("Conv2D", "Dense").
	Type() string
	// Build checks the input shapes (batch axis left out), creates the
	// weights on the first call, and returns the output shape. A layer
	// built again (a shared layer) checks the new shapes against its weights.
	Build(b *Builder, inputShapes [][]int) (outputShape []int, err error)
	// Forward computes the layer's output. Ops it calls panic with an
	// *autograd.ShapeError on bad shapes; models turn those into errors.
	Forward(ctx *Context, inputs []*autograd.Var) (*autograd.Var, error)
	// Weights returns the layer's parameters and state in a fixed order.
	Weights() []*Weight
	// Config returns the layer's configuration as plain data that encodes to
	// JSON and that the layer's registered constructor decodes (see
	// RegisterLayer); it includes the name.
	Config() any
}

// Weight is a named parameter or piece of state of a layer.
type Weight struct {
	// Name is the full name: layer name (with any enclosing block's name)
	// and the weight's own name, e.g. "conv2d_1/kernel" or
	// "seed_block/shortcut_bn/moving_mean".
	Name string
	Var  *autograd.Var
	// Trainable is false for state that is updated by the forward pass
	// rather than by the optimiser (BatchNorm's moving statistics), like a
	// buffer in PyTorch.
	Trainable bool
}

// Context is what a forward pass runs with.
type Context struct {
	// Tape records the ops; Tape.Training selects training behaviour
	// (batch statistics, dropout).
	Tape *autograd.Tape
	// RNG draws dropout masks. Models fill it from their seed when nil.
	RNG *tensor.RNG
	// OnLayerOutput, when not nil, is called with each top-level layer's
	// name and output as the model runs (for per-layer statistics).
	OnLayerOutput func(layer string, out *autograd.Var)
}

// Training reports whether the pass is a training pass.
func (c *Context) Training() bool { return c.Tape.Training }

// Builder creates the weights of layers being built. Every weight's initial
// value is drawn from its own random stream, derived from the model seed and
// the weight's full name, so the same seed gives the same weights whatever
// the order of building and whatever other layers the model has.
type Builder struct {
	Seed uint64
}

// NewBuilder returns a Builder for the given seed.
func NewBuilder(seed uint64) *Builder { return &Builder{Seed: seed} }

// Weight creates a weight of the given shape initialised by init. fanIn and
// fanOut for the variance-scaling initialisers come from the shape (see
// Initializer).
func (b *Builder) Weight(name string, init Initializer, trainable bool, shape ...int) (*Weight, error) {
	if err := checkSize(shape); err != nil { // e.g. Dense(1<<40): an error, not a panic or an out-of-memory crash
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := tensor.NewRNG(splitmix(b.Seed) ^ h.Sum64())
	t, err := init.Init(rng, shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w := &Weight{Name: name, Trainable: trainable}
	if trainable {
		w.Var = autograd.NewParam(t, name)
	} else {
		w.Var = autograd.Const(t)
		w.Var.Name = name
	}
	return w, nil
}

// maxValues bounds a weight and one sample's layer output (2^30 float32s,
// 4 GiB). Go cannot recover from running out of memory, so a size read
// from a config or a typo (Dense(1<<30)) must fail here, as an error,
// rather than crash the process later; real layers are far smaller (the
// largest matrices of the biggest language models hold under 2^30 values).
const maxValues = 1 << 30

// checkSize returns an error for a shape with a negative dimension or more
// than maxValues values.
func checkSize(shape []int) error {
	if err := tensor.CheckShape(shape); err != nil {
		return err
	}
	if n := tensor.Numel(shape); n > maxValues {
		return fmt.Errorf("shape %v holds %d values (%.1f GiB of float32), more than the %d (4 GiB) resnorm allows one tensor", shape, n, float64(n)*4/(1<<30), maxValues)
	}
	return nil
}

// splitmix scrambles the seed so that nearby seeds give unrelated streams.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// base holds what every built-in layer has: its type and name, the input
// shape it may declare (Keras's input_shape argument), an error from its
// construction (reported by Build so constructors can stay chainable), and
// the shapes it was first built for.
type base struct {
	typ        string
	name       string
	inputShape []int
	err        error
	built      bool
	builtName  string
	inShapes   [][]int
	outShape   []int
	weights    []*Weight
}

func (l *base) Name() string        { return l.name }
func (l *base) SetName(name string) { l.name = name }
func (l *base) Type() string        { return l.typ }
func (l *base) Weights() []*Weight  { return l.weights }

// DeclaredInputShape returns the input shape given with the InputShape
// option, or nil.
func (l *base) DeclaredInputShape() []int { return slices.Clone(l.inputShape) }

// errorf returns an error that names the layer and its type.
func (l *base) errorf(format string, args ...any) error {
	return fmt.Errorf("nn: layer %q (%s): %s", l.name, l.typ, fmt.Sprintf(format, args...))
}

// begin starts a Build: it reports a construction error, checks the number
// of inputs (n < 0: at least -n), and, for a layer built before, that the
// name has not changed and the shapes are the ones it was built for.
// It returns done=true with the known output shape when nothing is left to do.
func (l *base) begin(in [][]int, n int) (out []int, done bool, err error) {
	if l.err != nil {
		return nil, false, l.errorf("%v", l.err)
	}
	if l.name == "" {
		return nil, false, fmt.Errorf("nn: %s layer has no name (add it to a model, or call SetName before Build)", l.typ)
	}
	if n >= 0 && len(in) != n {
		return nil, false, l.errorf("takes %d input(s), got %d", n, len(in))
	}
	if n < 0 && len(in) < -n {
		return nil, false, l.errorf("takes at least %d inputs, got %d", -n, len(in))
	}
	if l.inputShape != nil && !slices.Equal(l.inputShape, in[0]) {
		return nil, false, l.errorf("declared input shape %s, got %s", shapeStr(l.inputShape), shapeStr(in[0]))
	}
	if l.built {
		if l.name != l.builtName {
			return nil, false, l.errorf("renamed after it was built as %q", l.builtName)
		}
		if shapesEqual(l.inShapes, in) {
			return slices.Clone(l.outShape), true, nil
		}
	}
	return nil, false, nil
}

// finish records a successful Build.
func (l *base) finish(in [][]int, out []int) ([]int, error) {
	if !l.built {
		l.built = true
		l.builtName = l.name
		l.inShapes = cloneShapes(in)
		l.outShape = slices.Clone(out)
	}
	return out, nil
}

// newWeight creates a weight named "<layer>/<local>" and appends it.
func (l *base) newWeight(b *Builder, local string, init Initializer, trainable bool, shape ...int) (*Weight, error) {
	w, err := b.Weight(l.name+"/"+local, init, trainable, shape...)
	if err != nil {
		return nil, l.errorf("%v", err)
	}
	l.weights = append(l.weights, w)
	return w, nil
}

// checkWeight verifies that an existing weight fits a new build of a shared
// layer.
func (l *base) checkWeight(w *Weight, shape []int, in []int) error {
	if !slices.Equal(w.Var.Value.Shape, shape) {
		return l.errorf("was built with %s of shape %v; input shape %s needs %v",
			w.Name, w.Var.Value.Shape, shapeStr(in), shape)
	}
	return nil
}

// shapeStr formats a shape without the batch axis as Keras does: (None, 14, 14, 64).
func shapeStr(s []int) string {
	var b strings.Builder
	b.WriteString("(None")
	for _, d := range s {
		fmt.Fprintf(&b, ", %d", d)
	}
	b.WriteString(")")
	return b.String()
}

func shapesEqual(a, b [][]int) bool {
	return slices.EqualFunc(a, b, func(x, y []int) bool { return slices.Equal(x, y) })
}

func cloneShapes(s [][]int) [][]int {
	out := make([][]int, len(s))
	for i, x := range s {
		out[i] = slices.Clone(x)
	}
	return out
}

// batchShape prepends the batch size n to a per-sample shape.
func batchShape(n int, s []int) []int { return append([]int{n}, s...) }

// Common is the part of every layer's configuration that base holds.
type Common struct {
	Name       string `json:"name"`
	InputShape []int  `json:"input_shape,omitempty"`
}

func newBase(typ string, c Common, err error) base {
	return base{typ: typ, name: c.Name, inputShape: slices.Clone(c.InputShape), err: err}
}

func (l *base) common() Common {
	return Common{Name: l.name, InputShape: slices.Clone(l.inputShape)}
}

// errorf is fmt.Errorf; constructors use it for errors that Build reports
// with the layer's name.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
