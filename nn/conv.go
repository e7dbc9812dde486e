package nn

// Convolution and pooling layers on NHWC (channels-last) images.

import (
	"fmt"

	"github.com/resnorm/resnorm/autograd"
)

// Conv2DLayer is a 2-D convolution over [N, H, W, Cin] with a kernel
// [KH, KW, Cin, filters] (HWIO, as Keras), plus bias and activation.
type Conv2DLayer struct {
	base
	cfg          Conv2DConfig
	kernel, bias *Weight
}

// Conv2DConfig is Conv2DLayer's configuration.
type Conv2DConfig struct {
	Common
	Filters           int         `json:"filters"`
	KernelSize        [2]int      `json:"kernel_size"`
	Strides           [2]int      `json:"strides"`
	Padding           string      `json:"padding"`
	Activation        string      `json:"activation"`
	UseBias           bool        `json:"use_bias"`
	KernelInitializer Initializer `json:"kernel_initializer"`
	BiasInitializer   Initializer `json:"bias_initializer"`
}

// Conv2D returns a convolution with the given number of filters and a
// square kernel. Options: Strides (default 1), Padding ("valid" default,
// or "same"), WithActivation, UseBias (default true), KernelSize (for a
// non-square kernel), KernelInitializer, BiasInitializer.
func Conv2D(filters, kernelSize int, opts ...Option) *Conv2DLayer {
	o, err := collect("Conv2D", opts, "Strides", "Padding", "WithActivation", "UseBias",
		"KernelSize", "KernelInitializer", "BiasInitializer")
	c := Conv2DConfig{Common: o.common(), Filters: filters, Padding: "valid", Activation: o.activation,
		UseBias: true, KernelInitializer: GlorotUniform, BiasInitializer: Zeros}
	var e1, e2 error
	c.KernelSize, e1 = pair("kernel size", o.kernelSize, kernelSize)
	c.Strides, e2 = pair("strides", o.strides, 1)
	if err == nil {
		err = firstErr(e1, e2)
	}
	if o.has("Padding") {
		c.Padding = o.padding
	}
	if o.has("UseBias") {
		c.UseBias = o.useBias
	}
	if o.has("KernelInitializer") {
		c.KernelInitializer = o.kernelInit
	}
	if o.has("BiasInitializer") {
		c.BiasInitializer = o.biasInit
	}
	return newConv2D(c, err)
}

func newConv2D(c Conv2DConfig, err error) *Conv2DLayer {
	if err == nil {
		err = firstErr(checkActivation(c.Activation), checkPadding(c.Padding),
			checkPositive("filters", c.Filters), checkPositive("kernel size", c.KernelSize[:]...),
			checkPositive("strides", c.Strides[:]...))
	}
	return &Conv2DLayer{base: newBase("Conv2D", c.Common, err), cfg: c}
}

func (l *Conv2DLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	if len(x) != 3 {
		return nil, l.errorf("needs input (None, height, width, channels), got %s", shapeStr(x))
	}
	oh, ow, err := windowOut(x, l.cfg.KernelSize, l.cfg.Strides, l.cfg.Padding)
	if err != nil {
		return nil, l.errorf("%v", err)
	}
	k := l.cfg.KernelSize
	kshape := []int{k[0], k[1], x[2], l.cfg.Filters}
	if l.kernel == nil {
		if l.kernel, err = l.newWeight(b, "kernel", l.cfg.KernelInitializer, true, kshape...); err != nil {
			return nil, err
		}
		if l.cfg.UseBias {
			if l.bias, err = l.newWeight(b, "bias", l.cfg.BiasInitializer, true, l.cfg.Filters); err != nil {
				return nil, err
			}
		}
	} else if err := l.checkWeight(l.kernel, kshape, x); err != nil {
		return nil, err
	}
	return l.finish(in, []int{oh, ow, l.cfg.Filters})
}

func (l *Conv2DLayer) forwardLinear(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	var b *autograd.Var
	if l.bias != nil {
		b = l.bias.Var
	}
	return ctx.Tape.Conv2D(in[0], l.kernel.Var, b, l.cfg.Strides, padding(l.cfg.Padding)), nil
}

func (l *Conv2DLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	if l.cfg.Activation == "relu" { // one fused op
		var b *autograd.Var
		if l.bias != nil {
			b = l.bias.Var
		}
		return ctx.Tape.Conv2DReLU(in[0], l.kernel.Var, b, l.cfg.Strides, padding(l.cfg.Padding)), nil
	}
	y, _ := l.forwardLinear(ctx, in)
	return activate(ctx.Tape, l.cfg.Activation, y), nil
}

func (l *Conv2DLayer) activationName() string { return l.cfg.Activation }

func (l *Conv2DLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// MaxPooling2DLayer takes the maximum over windows of [N, H, W, C].
type MaxPooling2DLayer struct {
	base
	cfg MaxPooling2DConfig
}

// MaxPooling2DConfig is MaxPooling2DLayer's configuration.
type MaxPooling2DConfig struct {
	Common
	PoolSize [2]int `json:"pool_size"`
	Strides  [2]int `json:"strides"`
	Padding  string `json:"padding"`
}

// MaxPooling2D returns a max-pooling layer with a square window. Options:
// Strides (default: the pool size), Padding ("valid" default, or "same").
func MaxPooling2D(pool int, opts ...Option) *MaxPooling2DLayer {
	o, err := collect("MaxPooling2D", opts, "Strides", "Padding")
	c := MaxPooling2DConfig{Common: o.common(), PoolSize: [2]int{pool, pool}, Padding: "valid"}
	var e error
	c.Strides, e = pair("strides", o.strides, pool)
	if err == nil {
		err = e
	}
	if o.has("Padding") {
		c.Padding = o.padding
	}
	return newMaxPooling2D(c, err)
}

func newMaxPooling2D(c MaxPooling2DConfig, err error) *MaxPooling2DLayer {
	if err == nil {
		err = firstErr(checkPadding(c.Padding), checkPositive("pool size", c.PoolSize[:]...),
			checkPositive("strides", c.Strides[:]...))
	}
	return &MaxPooling2DLayer{base: newBase("MaxPooling2D", c.Common, err), cfg: c}
}

func (l *MaxPooling2DLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	if len(x) != 3 {
		return nil, l.errorf("needs input (None, height, width, channels), got %s", shapeStr(x))
	}
	oh, ow, err := windowOut(x, l.cfg.PoolSize, l.cfg.Strides, l.cfg.Padding)
	if err != nil {
		return nil, l.errorf("%v", err)
	}
	return l.finish(in, []int{oh, ow, x[2]})
}

func (l *MaxPooling2DLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return ctx.Tape.MaxPool2D(in[0], l.cfg.PoolSize, l.cfg.Strides, padding(l.cfg.Padding)), nil
}

func (l *MaxPooling2DLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// GlobalAveragePooling2DLayer averages [N, H, W, C] over H and W, giving [N, C].
type GlobalAveragePooling2DLayer struct {
	base
}

// GlobalAveragePooling2D returns a global average pooling layer.
func GlobalAveragePooling2D(opts ...Option) *GlobalAveragePooling2DLayer {
	o, err := collect("GlobalAveragePooling2D", opts)
	return newGlobalAveragePooling2D(o.common(), err)
}

func newGlobalAveragePooling2D(c Common, err error) *GlobalAveragePooling2DLayer {
	return &GlobalAveragePooling2DLayer{base: newBase("GlobalAveragePooling2D", c, err)}
}

func (l *GlobalAveragePooling2DLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	if len(in[0]) != 3 {
		return nil, l.errorf("needs input (None, height, width, channels), got %s", shapeStr(in[0]))
	}
	return l.finish(in, []int{in[0][2]})
}

func (l *GlobalAveragePooling2DLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	return ctx.Tape.GlobalAvgPool2D(in[0]), nil
}

func (l *GlobalAveragePooling2DLayer) Config() any { return l.common() }

// windowOut returns the output height and width of a window op on x
// (height, width, channels).
func windowOut(x []int, k, s [2]int, pad string) (int, int, error) {
	var out [2]int
	for i := range 2 {
		if pad == "same" {
			out[i] = (x[i] + s[i] - 1) / s[i]
			continue
		}
		if x[i] < k[i] {
			return 0, 0, fmt.Errorf("input %s is smaller than the %dx%d window with padding \"valid\"",
				shapeStr(x), k[0], k[1])
		}
		out[i] = (x[i]-k[i])/s[i] + 1
	}
	return out[0], out[1], nil
}

func padding(p string) autograd.Padding {
	if p == "same" {
		return autograd.Same
	}
	return autograd.Valid
}

func checkPadding(p string) error {
	if p != "same" && p != "valid" {
		return fmt.Errorf(`padding must be "same" or "valid", got %q`, p)
	}
	return nil
}

func checkPositive(what string, v ...int) error {
	for _, x := range v {
		if x <= 0 {
			return fmt.Errorf("%s must be positive, got %v", what, v)
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
