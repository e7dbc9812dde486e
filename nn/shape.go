package nn

// Layers that move values around without weights: Flatten, Reshape, Add,
// Dropout.

import (
	"fmt"
	"slices"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

// FlattenLayer turns [N, ...] into [N, product of the rest].
type FlattenLayer struct{ base }

// Flatten returns a flattening layer.
func Flatten(opts ...Option) *FlattenLayer {
	o, err := collect("Flatten", opts)
	return newFlatten(o.common(), err)
}

func newFlatten(c Common, err error) *FlattenLayer {
	return &FlattenLayer{base: newBase("Flatten", c, err)}
}

func (l *FlattenLayer) Build(b *Builder, in [][]int) ([]int, error) {
	if out, done, err := l.begin(in, 1); done || err != nil {
		return out, err
	}
	return l.finish(in, []int{tensor.Numel(in[0])})
}

func (l *FlattenLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return ctx.Tape.Reshape(in[0], in[0].Shape()[0], -1), nil
}

func (l *FlattenLayer) Config() any { return l.common() }

// ReshapeLayer reshapes each sample to a target shape.
type ReshapeLayer struct {
	base
	cfg ReshapeConfig
}

// ReshapeConfig is ReshapeLayer's configuration.
type ReshapeConfig struct {
	Common
	TargetShape []int `json:"target_shape"`
}

// Reshape returns a layer reshaping each sample to target (batch axis left
// out; one dimension may be -1 and is inferred).
func Reshape(target []int, opts ...Option) *ReshapeLayer {
	o, err := collect("Reshape", opts)
	return newReshape(ReshapeConfig{Common: o.common(), TargetShape: slices.Clone(target)}, err)
}

func newReshape(c ReshapeConfig, err error) *ReshapeLayer {
	if err == nil && len(c.TargetShape) == 0 {
		err = fmt.Errorf("target shape is empty")
	}
	return &ReshapeLayer{base: newBase("Reshape", c.Common, err), cfg: c}
}

func (l *ReshapeLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	out, err = tensor.InferShape(tensor.Numel(in[0]), l.cfg.TargetShape)
	if err != nil {
		return nil, l.errorf("cannot reshape input %s to %s: %v", shapeStr(in[0]), shapeStr(l.cfg.TargetShape), err)
	}
	return l.finish(in, out)
}

func (l *ReshapeLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return ctx.Tape.Reshape(in[0], batchShape(in[0].Shape()[0], l.outShape)...), nil
}

func (l *ReshapeLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// AddLayer adds two or more inputs of the same shape.
type AddLayer struct{ base }

// Add returns a layer that sums its inputs.
func Add(opts ...Option) *AddLayer {
	o, err := collect("Add", opts)
	return newAdd(o.common(), err)
}

func newAdd(c Common, err error) *AddLayer { return &AddLayer{base: newBase("Add", c, err)} }

func (l *AddLayer) Build(b *Builder, in [][]int) ([]int, error) {
	if out, done, err := l.begin(in, -2); done || err != nil {
		return out, err
	}
	for _, s := range in[1:] {
		if !slices.Equal(s, in[0]) {
			return nil, l.errorf("inputs must have the same shape, got %s and %s", shapeStr(in[0]), shapeStr(s))
		}
	}
	return l.finish(in, slices.Clone(in[0]))
}

func (l *AddLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	y := in[0]
	for _, x := range in[1:] {
		y = ctx.Tape.Add(y, x)
	}
	return y, nil
}

func (l *AddLayer) Config() any { return l.common() }

// DropoutLayer zeroes each element with probability Rate during training
// and scales the survivors by 1/(1−Rate); at inference it passes x through.
type DropoutLayer struct {
	base
	cfg DropoutConfig
}

// DropoutConfig is DropoutLayer's configuration.
type DropoutConfig struct {
	Common
	Rate float64 `json:"rate"`
}

// Dropout returns a dropout layer with the given rate in [0, 1).
func Dropout(rate float64, opts ...Option) *DropoutLayer {
	o, err := collect("Dropout", opts)
	return newDropout(DropoutConfig{Common: o.common(), Rate: rate}, err)
}

func newDropout(c DropoutConfig, err error) *DropoutLayer {
	if err == nil && !(c.Rate >= 0 && c.Rate < 1) {
		err = fmt.Errorf("rate must be in [0, 1), got %g", c.Rate)
	}
	return &DropoutLayer{base: newBase("Dropout", c.Common, err), cfg: c}
}

func (l *DropoutLayer) Build(b *Builder, in [][]int) ([]int, error) {
	if out, done, err := l.begin(in, 1); done || err != nil {
		return out, err
	}
	return l.finish(in, slices.Clone(in[0]))
}

func (l *DropoutLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	if !ctx.Training() || l.cfg.Rate == 0 {
		return in[0], nil
	}
	if ctx.RNG == nil {
		return nil, l.errorf("training needs Context.RNG for the dropout mask")
	}
	return ctx.Tape.Dropout(in[0], float32(l.cfg.Rate), ctx.RNG), nil
}

func (l *DropoutLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}
