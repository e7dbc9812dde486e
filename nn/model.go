package nn

// Models: a graph of layer applications (nodes) from inputs to outputs,
// made by Sequential (a chain) or Functional (any DAG, several inputs and
// outputs, shared layers). Building names the layers, infers every shape and
// creates the weights; calling runs the nodes in topological order.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

// Node is a symbolic value in a functional model: a model input (from
// Input) or the output of a layer applied to other nodes (from Apply).
type Node struct {
	layer Layer // nil for a model input
	in    []*Node
	name  string // inputs only
	shape []int  // input: declared; others: set by Build
	id    int    // index in the model's node order
	call  int    // which application of layer this is
}

// Input returns a model input of the given per-sample shape (no batch axis).
func Input(shape ...int) *Node { return &Node{shape: slices.Clone(shape)} }

// NamedInput is Input with a name instead of the default "input_layer".
func NamedInput(name string, shape ...int) *Node {
	return &Node{name: name, shape: slices.Clone(shape)}
}

// Apply returns the node for layer l applied to the given nodes. Shapes are
// inferred, and checked, when the model is built. Applying one layer at
// several places shares its weights.
func Apply(l Layer, inputs ...*Node) *Node { return &Node{layer: l, in: inputs} }

// Shape returns the node's per-sample shape (known once its model is built).
func (n *Node) Shape() []int { return slices.Clone(n.shape) }

// label is how a node appears in "Connected to": layer[call][0].
func (n *Node) label() string {
	if n.layer == nil {
		return n.name + "[0][0]"
	}
	return fmt.Sprintf("%s[%d][0]", n.layer.Name(), n.call)
}

// Model is a built network: layers with weights, ready to run.
// A Model is not safe for concurrent Calls (BatchNorm updates its moving
// statistics, dropout draws from the model's RNG).
type Model struct {
	name       string
	kind       string // "Sequential" or "Functional"
	seed       uint64
	layers     []Layer // unique, in order of first application
	nodes      []*Node // topological order, inputs first
	inputs     []*Node
	outputs    []*Node
	consumers  map[*Node]int // how many nodes read each node
	dropoutRNG *tensor.RNG
}

// Sequential describes a stack of single-input layers; Build turns it into
// a Model.
//
// The input shape comes from InputShape, or from an InputLayer at the front
// of Layers, or from the first layer's InputShape option.
type Sequential struct {
	Name       string // default "sequential"
	Seed       uint64 // seeds the initial weights and dropout
	InputShape []int  // per sample, without the batch axis
	Layers     []Layer
}

// NewSequential builds a Sequential with seed 0 and the default name.
func NewSequential(layers ...Layer) (*Model, error) { return Sequential{Layers: layers}.Build() }

// Build names the layers, infers every shape and creates the weights. The
// model uses the layer values themselves: building the same layers twice
// gives two models that share weights.
func (s Sequential) Build() (*Model, error) {
	name := s.Name
	if name == "" {
		name = "sequential"
	}
	layers := s.Layers
	shape := slices.Clone(s.InputShape)
	if len(layers) > 0 {
		if il, ok := layers[0].(*InputLayerLayer); ok {
			if shape != nil && !slices.Equal(shape, il.inputShape) {
				return nil, fmt.Errorf("nn: Sequential %q: InputShape %s disagrees with its InputLayer's %s",
					name, shapeStr(shape), shapeStr(il.inputShape))
			}
			shape = slices.Clone(il.inputShape)
			layers = layers[1:]
		}
	}
	for i, l := range layers {
		if l == nil {
			return nil, fmt.Errorf("nn: Sequential %q: layer %d is nil", name, i)
		}
		if _, ok := l.(*InputLayerLayer); ok {
			return nil, fmt.Errorf("nn: Sequential %q: an InputLayer may only come first (found at position %d)", name, i)
		}
	}
	if shape == nil && len(layers) > 0 {
		if d, ok := layers[0].(interface{ DeclaredInputShape() []int }); ok {
			shape = d.DeclaredInputShape()
		}
	}
	if shape == nil {
		first := "it has no layers"
		if len(layers) > 0 {
			first = fmt.Sprintf("its first layer %s does not declare one", describe(layers[0]))
		}
		return nil, fmt.Errorf("nn: Sequential %q has no input shape: %s; set Sequential.InputShape, "+
			"start the layers with nn.InputLayer(...) (e.g. nn.InputLayer(28, 28, 1)), "+
			"or give the first layer the option nn.InputShape(...)", name, first)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("nn: Sequential %q has no layers", name)
	}
	in := Input(shape...)
	x := in
	for _, l := range layers {
		x = Apply(l, x)
	}
	return build(name, "Sequential", s.Seed, []*Node{in}, []*Node{x})
}

// describe names a layer for messages: "reshape" (Reshape), or just the
// type before the layer has a name.
func describe(l Layer) string {
	if l.Name() == "" {
		return "(" + l.Type() + ")"
	}
	return fmt.Sprintf("%q (%s)", l.Name(), l.Type())
}

// Functional describes a model as a graph from input nodes to output nodes
// (see Input and Apply); Build turns it into a Model.
type Functional struct {
	Name    string // default "functional"
	Seed    uint64
	Inputs  []*Node
	Outputs []*Node
}

// Build collects the graph reachable from the outputs, names the layers,
// infers every shape and creates the weights.
func (f Functional) Build() (*Model, error) {
	name := f.Name
	if name == "" {
		name = "functional"
	}
	return build(name, "Functional", f.Seed, f.Inputs, f.Outputs)
}

func build(name, kind string, seed uint64, inputs, outputs []*Node) (*Model, error) {
	m := &Model{name: name, kind: kind, seed: seed, consumers: map[*Node]int{},
		dropoutRNG: tensor.NewRNG(splitmix(seed + 1))}
	fail := func(format string, args ...any) (*Model, error) {
		return nil, fmt.Errorf("nn: %s %q: %s", kind, name, fmt.Sprintf(format, args...))
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		return fail("needs at least one input and one output")
	}
	// Topological order: inputs first, then a depth-first post-order from
	// the outputs, so the order depends only on how the graph was written.
	seen := map[*Node]bool{}
	isInput := map[*Node]bool{}
	for i, in := range inputs {
		if in == nil || in.layer != nil {
			return fail("input %d is not a node made by nn.Input", i)
		}
		if isInput[in] {
			return fail("input %d is listed twice", i)
		}
		isInput[in] = true
		seen[in] = true
		m.nodes = append(m.nodes, in)
	}
	onStack := map[*Node]bool{}
	var visit func(n *Node) error
	visit = func(n *Node) error {
		if seen[n] {
			return nil
		}
		if n.layer == nil {
			return fmt.Errorf("an output depends on an input of shape %s that is not among the model's inputs", shapeStr(n.shape))
		}
		if onStack[n] {
			return errors.New("the graph has a cycle")
		}
		onStack[n] = true
		for _, p := range n.in {
			if p == nil {
				return fmt.Errorf("a %s layer is applied to a nil node", n.layer.Type())
			}
			if err := visit(p); err != nil {
				return err
			}
		}
		onStack[n] = false
		seen[n] = true
		m.nodes = append(m.nodes, n)
		return nil
	}
	for _, o := range outputs {
		if o == nil {
			return fail("an output is nil")
		}
		if err := visit(o); err != nil {
			return fail("%v", err)
		}
	}
	m.inputs = slices.Clone(inputs)
	m.outputs = slices.Clone(outputs)

	// Names: user names are reserved first, then defaults are numbered per
	// type in order of first application.
	nm := newNamer()
	calls := map[Layer]int{}
	for _, n := range m.nodes {
		if n.layer == nil {
			if n.name != "" {
				if err := nm.reserve(n.name); err != nil {
					return fail("%v", err)
				}
			}
			continue
		}
		if calls[n.layer] == 0 && n.layer.Name() != "" {
			if err := nm.reserve(n.layer.Name()); err != nil {
				return fail("%v", err)
			}
		}
		calls[n.layer]++
	}
	clear(calls)
	for i, n := range m.nodes {
		n.id = i
		if n.layer == nil {
			if n.name == "" {
				n.name = nm.next("InputLayer")
			}
			continue
		}
		if calls[n.layer] == 0 {
			if n.layer.Name() == "" {
				n.layer.SetName(nm.next(n.layer.Type()))
			}
			m.layers = append(m.layers, n.layer)
		}
		n.call = calls[n.layer]
		calls[n.layer]++
		for _, p := range n.in {
			m.consumers[p]++
		}
	}

	b := NewBuilder(seed)
	for _, n := range m.nodes {
		if n.layer == nil {
			continue
		}
		shapes := make([][]int, len(n.in))
		for i, p := range n.in {
			shapes[i] = p.shape
		}
		out, err := n.layer.Build(b, shapes)
		if err != nil {
			return nil, err
		}
		// One sample's output must be a tensor a machine can hold (a
		// 2^20 × 2^20 input would otherwise build, then panic on its
		// first batch).
		if err := checkSize(out); err != nil {
			return nil, fmt.Errorf("nn: model %q: layer %s output for one sample: %w", m.name, describe(n.layer), err)
		}
		n.shape = out
	}
	return m, nil
}

// Name returns the model's name.
func (m *Model) Name() string { return m.name }

// Seed returns the seed the model was built with.
func (m *Model) Seed() uint64 { return m.seed }

// Layers returns the model's layers in order of first application.
func (m *Model) Layers() []Layer { return slices.Clone(m.layers) }

// Layer returns the layer with the given name, or nil.
func (m *Model) Layer(name string) Layer {
	for _, l := range m.layers {
		if l.Name() == name {
			return l
		}
	}
	return nil
}

// InputShape returns the per-sample shape of a single-input model's input
// (nil for several inputs; see InputShapes).
func (m *Model) InputShape() []int {
	if len(m.inputs) != 1 {
		return nil
	}
	return slices.Clone(m.inputs[0].shape)
}

// OutputShape returns the per-sample shape of a single-output model's
// output (nil for several outputs; see OutputShapes).
func (m *Model) OutputShape() []int {
	if len(m.outputs) != 1 {
		return nil
	}
	return slices.Clone(m.outputs[0].shape)
}

// InputShapes returns every input's per-sample shape.
func (m *Model) InputShapes() [][]int {
	out := make([][]int, len(m.inputs))
	for i, n := range m.inputs {
		out[i] = slices.Clone(n.shape)
	}
	return out
}

// OutputShapes returns every output's per-sample shape.
func (m *Model) OutputShapes() [][]int {
	out := make([][]int, len(m.outputs))
	for i, n := range m.outputs {
		out[i] = slices.Clone(n.shape)
	}
	return out
}

// Weights returns every weight of the model, layer by layer in order of
// first application, each layer's in its own fixed order.
func (m *Model) Weights() []*Weight {
	var ws []*Weight
	for _, l := range m.layers {
		ws = append(ws, l.Weights()...)
	}
	return ws
}

// TrainableVars returns the Vars of the trainable weights, in Weights order.
func (m *Model) TrainableVars() []*autograd.Var {
	var vs []*autograd.Var
	for _, w := range m.Weights() {
		if w.Trainable {
			vs = append(vs, w.Var)
		}
	}
	return vs
}

// ParamCounts returns the number of weight values: all of them, the
// trainable ones, and the others (BatchNorm's moving statistics).
func (m *Model) ParamCounts() (total, trainable, nonTrainable int) {
	for _, w := range m.Weights() {
		n := w.Var.Value.Numel()
		if w.Trainable {
			trainable += n
		} else {
			nonTrainable += n
		}
	}
	return trainable + nonTrainable, trainable, nonTrainable
}

// Call runs the model on one batch per input (batch axis first) and returns
// one batch per output. Wrong shapes give an error naming the input or
// layer and both shapes. When ctx.RNG is nil, dropout draws from the
// model's own RNG (seeded from the model seed).
func (m *Model) Call(ctx *Context, inputs ...*autograd.Var) ([]*autograd.Var, error) {
	outs, _, err := m.run(ctx, inputs, false)
	return outs, err
}

// Forward runs a single-input, single-output model on x.
func (m *Model) Forward(tp *autograd.Tape, x *autograd.Var) (*autograd.Var, error) {
	if err := m.single(); err != nil {
		return nil, err
	}
	outs, _, err := m.run(&Context{Tape: tp}, []*autograd.Var{x}, false)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// ForwardLogits is Forward without a final softmax: when the output layer
// is Activation("softmax") it is skipped, and when it is a Dense or Conv2D
// with a softmax activation the activation is left out; softmaxStripped
// says whether that happened. Training computes the cross-entropy from
// these logits with the fused softmax-cross-entropy op: log(softmax(z))
// computed in two steps loses precision (a probability that underflows to 0
// gives log 0 = −Inf), while the fused op uses log-sum-exp and has the
// simple, stable gradient softmax(z) − onehot. The model's probabilities
// are unchanged: Forward still applies the softmax.
func (m *Model) ForwardLogits(tp *autograd.Tape, x *autograd.Var) (logits *autograd.Var, softmaxStripped bool, err error) {
	return m.CallLogits(&Context{Tape: tp}, x)
}

// CallLogits is ForwardLogits with a full Context (dropout RNG, layer
// hooks). The hook sees the stripped output layer's logits.
func (m *Model) CallLogits(ctx *Context, x *autograd.Var) (logits *autograd.Var, softmaxStripped bool, err error) {
	if err := m.single(); err != nil {
		return nil, false, err
	}
	outs, stripped, err := m.run(ctx, []*autograd.Var{x}, true)
	if err != nil {
		return nil, false, err
	}
	return outs[0], stripped, nil
}

func (m *Model) single() error {
	if len(m.inputs) != 1 || len(m.outputs) != 1 {
		return fmt.Errorf("nn: model %q has %d inputs and %d outputs; Forward needs one of each (use Call)",
			m.name, len(m.inputs), len(m.outputs))
	}
	return nil
}

// linearOutput is a layer whose last step is a named activation that it can
// leave out (Dense, Conv2D, Activation).
type linearOutput interface {
	activationName() string
	forwardLinear(ctx *Context, in []*autograd.Var) (*autograd.Var, error)
}

func (m *Model) run(ctx *Context, inputs []*autograd.Var, stripSoftmax bool) ([]*autograd.Var, bool, error) {
	if ctx == nil || ctx.Tape == nil {
		return nil, false, fmt.Errorf("nn: model %q: Call needs a Context with a Tape", m.name)
	}
	if len(inputs) != len(m.inputs) {
		return nil, false, fmt.Errorf("nn: model %q takes %d input(s), got %d", m.name, len(m.inputs), len(inputs))
	}
	if ctx.RNG == nil {
		c := *ctx
		c.RNG = m.dropoutRNG
		ctx = &c
	}
	vals := make([]*autograd.Var, len(m.nodes))
	batch := -1
	for i, n := range m.inputs {
		x := inputs[i]
		if x == nil || x.Value == nil {
			return nil, false, fmt.Errorf("nn: model %q: input %q is nil", m.name, n.name)
		}
		s := x.Shape()
		if len(s) != len(n.shape)+1 || !slices.Equal(s[1:], n.shape) {
			return nil, false, fmt.Errorf("nn: model %q: input %q expects shape %s, got %s",
				m.name, n.name, shapeStr(n.shape), batchStr(s))
		}
		if batch >= 0 && s[0] != batch {
			return nil, false, fmt.Errorf("nn: model %q: inputs have different batch sizes (%d and %d)", m.name, batch, s[0])
		}
		batch = s[0]
		vals[n.id] = x
	}
	stripped := false
	for _, n := range m.nodes {
		if n.layer == nil {
			continue
		}
		ins := make([]*autograd.Var, len(n.in))
		for i, p := range n.in {
			ins[i] = vals[p.id]
		}
		var out *autograd.Var
		var ferr error
		lin, isLin := n.layer.(linearOutput)
		strip := stripSoftmax && len(m.outputs) == 1 && n == m.outputs[0] && m.consumers[n] == 0 &&
			isLin && lin.activationName() == "softmax"
		err := autograd.Try(func() {
			if strip {
				out, ferr = lin.forwardLinear(ctx, ins)
			} else {
				out, ferr = n.layer.Forward(ctx, ins)
			}
		})
		if err == nil {
			err = ferr
		}
		if err != nil {
			var se *autograd.ShapeError
			if errors.As(err, &se) {
				return nil, false, fmt.Errorf("nn: model %q: layer %s with input shape(s) %s: %w",
					m.name, describe(n.layer), batchShapesStr(ins), err)
			}
			return nil, false, err
		}
		stripped = stripped || strip
		if ctx.OnLayerOutput != nil {
			ctx.OnLayerOutput(n.layer.Name(), out)
		}
		vals[n.id] = out
	}
	outs := make([]*autograd.Var, len(m.outputs))
	for i, n := range m.outputs {
		outs[i] = vals[n.id]
	}
	return outs, stripped, nil
}

// batchStr formats a full shape, batch axis included: (4, 28, 28, 1).
func batchStr(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func batchShapesStr(vs []*autograd.Var) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = batchStr(v.Shape())
	}
	return strings.Join(parts, ", ")
}

// InputLayerLayer declares a Sequential's input shape; it passes its input
// through and is not one of the model's layers.
type InputLayerLayer struct{ base }

// InputLayer declares the per-sample input shape at the front of a
// Sequential, as keras.layers.InputLayer / keras.Input does.
func InputLayer(shape ...int) *InputLayerLayer {
	return newInputLayer(Common{InputShape: slices.Clone(shape)}, nil)
}

func newInputLayer(c Common, err error) *InputLayerLayer {
	if c.InputShape == nil {
		c.InputShape = []int{}
	}
	return &InputLayerLayer{base: newBase("InputLayer", c, err)}
}

func (l *InputLayerLayer) Build(b *Builder, in [][]int) ([]int, error) {
	if out, done, err := l.begin(in, 1); done || err != nil {
		return out, err
	}
	return l.finish(in, slices.Clone(in[0]))
}

func (l *InputLayerLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return in[0], nil
}

func (l *InputLayerLayer) Config() any { return l.common() }
