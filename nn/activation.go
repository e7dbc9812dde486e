package nn

import (
	"fmt"
	"slices"

	"github.com/resnorm/resnorm/autograd"
)

// Activations by name, as Keras spells them.
var activations = []string{"linear", "relu", "gelu", "gelu_tanh", "sigmoid", "tanh", "softmax"}

func checkActivation(a string) error {
	if a == "" || slices.Contains(activations, a) {
		return nil
	}
	return fmt.Errorf("unknown activation %q (have %v)", a, activations)
}

// activate applies the named activation; "" and "linear" are the identity.
// softmax is over the last axis.
func activate(tp *autograd.Tape, a string, x *autograd.Var) *autograd.Var {
	switch a {
	case "", "linear":
		return x
	case "relu":
		return tp.ReLU(x)
	case "gelu":
		return tp.GELU(x)
	case "gelu_tanh":
		return tp.GELUTanh(x)
	case "sigmoid":
		return tp.Sigmoid(x)
	case "tanh":
		return tp.Tanh(x)
	case "softmax":
		return tp.Softmax(x)
	}
	panic("nn: unchecked activation " + a) // constructors validate names
}

// ActivationLayer applies an elementwise activation (or softmax over the
// last axis).
type ActivationLayer struct {
	base
	cfg ActivationConfig
}

// ActivationConfig is ActivationLayer's configuration.
type ActivationConfig struct {
	Common
	Activation string `json:"activation"`
}

// Activation returns a layer applying the named activation: "relu", "gelu"
// (exact, erf), "gelu_tanh" (tanh approximation), "sigmoid", "tanh",
// "softmax" (last axis) or "linear".
func Activation(name string, opts ...Option) *ActivationLayer {
	o, err := collect("Activation", opts)
	return newActivation(ActivationConfig{Common: o.common(), Activation: name}, err)
}

func newActivation(c ActivationConfig, err error) *ActivationLayer {
	if err == nil {
		err = checkActivation(c.Activation)
	}
	return &ActivationLayer{base: newBase("Activation", c.Common, err), cfg: c}
}

func (l *ActivationLayer) Build(b *Builder, in [][]int) ([]int, error) {
	if out, done, err := l.begin(in, 1); done || err != nil {
		return out, err
	}
	return l.finish(in, slices.Clone(in[0]))
}

func (l *ActivationLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return activate(ctx.Tape, l.cfg.Activation, in[0]), nil
}

func (l *ActivationLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// activationName reports the activation a layer applies last; ForwardLogits
// uses it to find a final softmax.
func (l *ActivationLayer) activationName() string { return l.cfg.Activation }

func (l *ActivationLayer) forwardLinear(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return in[0], nil
}
