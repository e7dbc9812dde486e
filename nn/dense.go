package nn

import (
	"slices"

	"github.com/resnorm/resnorm/autograd"
)

// DenseLayer is a fully connected layer: y = activation(x·kernel + bias),
// kernel [in, units], applied to the last axis of an input [..., in].
type DenseLayer struct {
	base
	cfg          DenseConfig
	kernel, bias *Weight
}

// DenseConfig is DenseLayer's configuration.
type DenseConfig struct {
	Common
	Units             int         `json:"units"`
	Activation        string      `json:"activation"`
	UseBias           bool        `json:"use_bias"`
	KernelInitializer Initializer `json:"kernel_initializer"`
	BiasInitializer   Initializer `json:"bias_initializer"`
}

// Dense returns a fully connected layer with the given number of output
// units. Options: WithActivation, UseBias, KernelInitializer,
// BiasInitializer.
func Dense(units int, opts ...Option) *DenseLayer {
	o, err := collect("Dense", opts, "WithActivation", "UseBias", "KernelInitializer", "BiasInitializer")
	c := DenseConfig{Common: o.common(), Units: units, Activation: o.activation, UseBias: true,
		KernelInitializer: GlorotUniform, BiasInitializer: Zeros}
	if o.has("UseBias") {
		c.UseBias = o.useBias
	}
	if o.has("KernelInitializer") {
		c.KernelInitializer = o.kernelInit
	}
	if o.has("BiasInitializer") {
		c.BiasInitializer = o.biasInit
	}
	return newDense(c, err)
}

func newDense(c DenseConfig, err error) *DenseLayer {
	if err == nil {
		err = checkActivation(c.Activation)
	}
	if err == nil && c.Units <= 0 {
		err = errorf("units must be positive, got %d", c.Units)
	}
	return &DenseLayer{base: newBase("Dense", c.Common, err), cfg: c}
}

func (l *DenseLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	if len(x) == 0 {
		return nil, l.errorf("needs an input with a feature axis, got %s", shapeStr(x))
	}
	kshape := []int{x[len(x)-1], l.cfg.Units}
	if l.kernel == nil {
		if l.kernel, err = l.newWeight(b, "kernel", l.cfg.KernelInitializer, true, kshape...); err != nil {
			return nil, err
		}
		if l.cfg.UseBias {
			if l.bias, err = l.newWeight(b, "bias", l.cfg.BiasInitializer, true, l.cfg.Units); err != nil {
				return nil, err
			}
		}
	} else if err := l.checkWeight(l.kernel, kshape, x); err != nil {
		return nil, err
	}
	out = append(slices.Clone(x[:len(x)-1]), l.cfg.Units)
	return l.finish(in, out)
}

func (l *DenseLayer) forwardLinear(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	var b *autograd.Var
	if l.bias != nil {
		b = l.bias.Var
	}
	return ctx.Tape.Linear(in[0], l.kernel.Var, b), nil
}

func (l *DenseLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	y, err := l.forwardLinear(ctx, in)
	if err != nil {
		return nil, err
	}
	return activate(ctx.Tape, l.cfg.Activation, y), nil
}

func (l *DenseLayer) activationName() string { return l.cfg.Activation }

func (l *DenseLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}
