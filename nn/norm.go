package nn

// Normalisation layers: x̂ = (x − μ) / sqrt(σ² + ε), then γ·x̂ + β, over
// different sets of axes. Each is a thin layer over one autograd op;
// GroupNormalization is a permutation around LayerNorm.

import (
	"fmt"

	"github.com/resnorm/resnorm/autograd"
)

// NormConfig is the part of their configuration the normalisation layers share.
type NormConfig struct {
	Common
	Epsilon float64 `json:"epsilon"`
	Center  bool    `json:"center"`
	Scale   bool    `json:"scale"`
}

func newNormConfig(typ string, opts []Option, eps float64, extra ...string) (NormConfig, *options, error) {
	o, err := collect(typ, opts, append([]string{"Epsilon", "Center", "Scale"}, extra...)...)
	c := NormConfig{Common: o.common(), Epsilon: eps, Center: true, Scale: true}
	if o.has("Epsilon") {
		c.Epsilon = o.epsilon
	}
	if o.has("Center") {
		c.Center = o.center
	}
	if o.has("Scale") {
		c.Scale = o.scale
	}
	if err == nil && !(c.Epsilon > 0) {
		err = fmt.Errorf("epsilon must be positive, got %g", c.Epsilon)
	}
	return c, o, err
}

// affine creates γ (ones) and β (zeros) of shape [c] as configured, or
// checks them for a shared layer built again.
func (l *base) affine(b *Builder, nc NormConfig, c int, in []int, gamma, beta **Weight) error {
	if *gamma != nil || *beta != nil {
		w := *gamma
		if w == nil {
			w = *beta
		}
		return l.checkWeight(w, []int{c}, in)
	}
	var err error
	if nc.Scale {
		if *gamma, err = l.newWeight(b, "gamma", Ones, true, c); err != nil {
			return err
		}
	}
	if nc.Center {
		if *beta, err = l.newWeight(b, "beta", Zeros, true, c); err != nil {
			return err
		}
	}
	return nil
}

func wvar(w *Weight) *autograd.Var {
	if w == nil {
		return nil
	}
	return w.Var
}

// BatchNormalizationLayer normalises each channel (the last axis) over the
// batch and every other axis. Training uses the batch statistics and
// updates the moving mean and variance (non-trainable weights); inference
// uses the moving statistics.
type BatchNormalizationLayer struct {
	base
	cfg                   BatchNormalizationConfig
	gamma, beta           *Weight
	movingMean, movingVar *Weight
}

// BatchNormalizationConfig is BatchNormalizationLayer's configuration.
type BatchNormalizationConfig struct {
	NormConfig
	Momentum float64 `json:"momentum"`
}

// BatchNormalization returns a batch normalisation layer with Keras's
// defaults: momentum 0.99, epsilon 1e-3, γ and β. Options: Momentum,
// Epsilon, Center, Scale.
func BatchNormalization(opts ...Option) *BatchNormalizationLayer {
	// autograd.KerasBatchNorm's values, written as float64 literals so the
	// JSON config says 0.99 and 0.001.
	nc, o, err := newNormConfig("BatchNormalization", opts, 1e-3, "Momentum")
	c := BatchNormalizationConfig{NormConfig: nc, Momentum: 0.99}
	if o.has("Momentum") {
		c.Momentum = o.momentum
	}
	return newBatchNormalization(c, err)
}

func newBatchNormalization(c BatchNormalizationConfig, err error) *BatchNormalizationLayer {
	if err == nil && !(c.Momentum >= 0 && c.Momentum < 1) {
		err = fmt.Errorf("momentum must be in [0, 1), got %g", c.Momentum)
	}
	return &BatchNormalizationLayer{base: newBase("BatchNormalization", c.Common, err), cfg: c}
}

func (l *BatchNormalizationLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	if len(x) == 0 {
		return nil, l.errorf("needs an input with a channel axis, got %s", shapeStr(x))
	}
	c := x[len(x)-1]
	if err := l.affine(b, l.cfg.NormConfig, c, x, &l.gamma, &l.beta); err != nil {
		return nil, err
	}
	if l.movingMean == nil {
		if l.movingMean, err = l.newWeight(b, "moving_mean", Zeros, false, c); err != nil {
			return nil, err
		}
		if l.movingVar, err = l.newWeight(b, "moving_variance", Ones, false, c); err != nil {
			return nil, err
		}
	} else if err := l.checkWeight(l.movingMean, []int{c}, x); err != nil {
		return nil, err
	}
	return l.finish(in, append([]int{}, x...))
}

func (l *BatchNormalizationLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return ctx.Tape.BatchNorm(in[0], wvar(l.gamma), wvar(l.beta),
		l.movingMean.Var.Value, l.movingVar.Var.Value, l.opConfig()), nil
}

// forwardReLU is ReLU(Forward(x)) as one fused op, for the blocks.
func (l *BatchNormalizationLayer) forwardReLU(ctx *Context, x *autograd.Var) *autograd.Var {
	return ctx.Tape.BatchNormReLU(x, wvar(l.gamma), wvar(l.beta),
		l.movingMean.Var.Value, l.movingVar.Var.Value, l.opConfig())
}

func (l *BatchNormalizationLayer) opConfig() autograd.BatchNormConfig {
	return autograd.BatchNormConfig{Momentum: float32(l.cfg.Momentum), Epsilon: float32(l.cfg.Epsilon)}
}

func (l *BatchNormalizationLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// LayerNormalizationLayer normalises each sample over its last axis
// (Keras's default axis=-1), with per-feature γ and β.
type LayerNormalizationLayer struct {
	base
	cfg         LayerNormalizationConfig
	gamma, beta *Weight
}

// LayerNormalizationConfig is LayerNormalizationLayer's configuration.
type LayerNormalizationConfig struct{ NormConfig }

// LayerNormalization returns a layer normalisation over the last axis with
// Keras's defaults (epsilon 1e-3, γ and β). Options: Epsilon, Center, Scale.
func LayerNormalization(opts ...Option) *LayerNormalizationLayer {
	nc, _, err := newNormConfig("LayerNormalization", opts, 1e-3)
	return newLayerNormalization(LayerNormalizationConfig{nc}, err)
}

func newLayerNormalization(c LayerNormalizationConfig, err error) *LayerNormalizationLayer {
	return &LayerNormalizationLayer{base: newBase("LayerNormalization", c.Common, err), cfg: c}
}

func (l *LayerNormalizationLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	if len(x) == 0 {
		return nil, l.errorf("needs an input with a feature axis, got %s", shapeStr(x))
	}
	if err := l.affine(b, l.cfg.NormConfig, x[len(x)-1], x, &l.gamma, &l.beta); err != nil {
		return nil, err
	}
	return l.finish(in, append([]int{}, x...))
}

func (l *LayerNormalizationLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return ctx.Tape.LayerNorm(in[0], wvar(l.gamma), wvar(l.beta), 1, float32(l.cfg.Epsilon)), nil
}

func (l *LayerNormalizationLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// RMSNormalizationLayer scales each sample by 1/sqrt(mean(x²) + ε) over its
// last axis and multiplies by γ; no centring, no β.
type RMSNormalizationLayer struct {
	base
	cfg   RMSNormalizationConfig
	gamma *Weight
}

// RMSNormalizationConfig is RMSNormalizationLayer's configuration.
type RMSNormalizationConfig struct {
	Common
	Epsilon float64 `json:"epsilon"`
	Scale   bool    `json:"scale"`
}

// RMSNormalization returns an RMS normalisation over the last axis with
// Keras's defaults (epsilon 1e-6, γ). Options: Epsilon, Scale.
func RMSNormalization(opts ...Option) *RMSNormalizationLayer {
	o, err := collect("RMSNormalization", opts, "Epsilon", "Scale")
	c := RMSNormalizationConfig{Common: o.common(), Epsilon: 1e-6, Scale: true}
	if o.has("Epsilon") {
		c.Epsilon = o.epsilon
	}
	if o.has("Scale") {
		c.Scale = o.scale
	}
	return newRMSNormalization(c, err)
}

func newRMSNormalization(c RMSNormalizationConfig, err error) *RMSNormalizationLayer {
	if err == nil && !(c.Epsilon > 0) {
		err = fmt.Errorf("epsilon must be positive, got %g", c.Epsilon)
	}
	return &RMSNormalizationLayer{base: newBase("RMSNormalization", c.Common, err), cfg: c}
}

func (l *RMSNormalizationLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	if len(x) == 0 {
		return nil, l.errorf("needs an input with a feature axis, got %s", shapeStr(x))
	}
	var beta *Weight
	nc := NormConfig{Scale: l.cfg.Scale}
	if err := l.affine(b, nc, x[len(x)-1], x, &l.gamma, &beta); err != nil {
		return nil, err
	}
	return l.finish(in, append([]int{}, x...))
}

func (l *RMSNormalizationLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return ctx.Tape.RMSNorm(in[0], wvar(l.gamma), 1, float32(l.cfg.Epsilon)), nil
}

func (l *RMSNormalizationLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// GroupNormalizationLayer splits the channels (last axis) into groups and
// normalises each sample over every position and the channels of a group
// (Wu & He 2018), then applies per-channel γ and β. Groups = channels is
// instance norm; groups = 1 is layer norm over all axes.
type GroupNormalizationLayer struct {
	base
	cfg         GroupNormalizationConfig
	gamma, beta *Weight
}

// GroupNormalizationConfig is GroupNormalizationLayer's configuration.
type GroupNormalizationConfig struct {
	NormConfig
	Groups int `json:"groups"`
}

// GroupNormalization returns a group normalisation with Keras's defaults
// (32 groups, epsilon 1e-3, γ and β). Options: Groups, Epsilon, Center, Scale.
func GroupNormalization(opts ...Option) *GroupNormalizationLayer {
	nc, o, err := newNormConfig("GroupNormalization", opts, 1e-3, "Groups")
	c := GroupNormalizationConfig{NormConfig: nc, Groups: 32}
	if o.has("Groups") {
		c.Groups = o.groups
	}
	return newGroupNormalization(c, err)
}

func newGroupNormalization(c GroupNormalizationConfig, err error) *GroupNormalizationLayer {
	if err == nil {
		err = checkPositive("groups", c.Groups)
	}
	return &GroupNormalizationLayer{base: newBase("GroupNormalization", c.Common, err), cfg: c}
}

func (l *GroupNormalizationLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	if len(x) < 2 {
		return nil, l.errorf("needs an input (None, ..., channels) with at least one axis before the channels, got %s", shapeStr(x))
	}
	c := x[len(x)-1]
	if c%l.cfg.Groups != 0 {
		return nil, l.errorf("%d channels of input %s do not split into %d groups", c, shapeStr(x), l.cfg.Groups)
	}
	if err := l.affine(b, l.cfg.NormConfig, c, x, &l.gamma, &l.beta); err != nil {
		return nil, err
	}
	return l.finish(in, append([]int{}, x...))
}

// Forward views x [N, ..., C] as [N, S, G, C/G], moves the group axis
// ahead of the positions, normalises each [S, C/G] slab with LayerNorm
// (no affine), moves the axes back, and applies γ and β per channel.
func (l *GroupNormalizationLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	tp := ctx.Tape
	x := in[0]
	shape := x.Shape()
	n, c, g := shape[0], shape[len(shape)-1], l.cfg.Groups
	s := x.Value.Numel() / (n * c)
	y := tp.Reshape(x, n, s, g, c/g)
	y = tp.Permute(y, 0, 2, 1, 3)
	y = tp.LayerNorm(y, nil, nil, 2, float32(l.cfg.Epsilon))
	y = tp.Permute(y, 0, 2, 1, 3)
	y = tp.Reshape(y, shape...)
	if l.gamma != nil {
		y = tp.Mul(y, l.gamma.Var)
	}
	if l.beta != nil {
		y = tp.Add(y, l.beta.Var)
	}
	return y, nil
}

func (l *GroupNormalizationLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}
