package nn

// Options shared by the layer constructors, in the spirit of Keras's keyword
// arguments: nn.Conv2D(64, 3, nn.Strides(2), nn.Padding("same"),
// nn.WithActivation("relu")). An option a layer does not take is an error
// reported when the layer is built.

import (
	"fmt"
	"slices"
	"strings"
)

// Option configures a layer at construction.
type Option func(*options)

type options struct {
	set        []string // option names given, in order
	name       string
	inputShape []int
	strides    []int
	padding    string
	activation string
	useBias    bool
	kernelInit Initializer
	biasInit   Initializer
	momentum   float64
	epsilon    float64
	center     bool
	scale      bool
	groups     int
	kernelSize []int
	shortcut   Shortcut
	normKind   NormKind
	normPlace  NormPlacement
}

func (o *options) mark(name string) {
	if !slices.Contains(o.set, name) {
		o.set = append(o.set, name)
	}
}

// has reports whether the option was given.
func (o *options) has(name string) bool { return slices.Contains(o.set, name) }

// collect applies opts and returns an error naming any option that the
// layer type does not take. Every layer takes Name and InputShape.
func collect(typ string, opts []Option, allowed ...string) (*options, error) {
	o := &options{}
	for _, f := range opts {
		if f != nil {
			f(o)
		}
	}
	var bad []string
	for _, s := range o.set {
		if s != "Name" && s != "InputShape" && !slices.Contains(allowed, s) {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		return o, fmt.Errorf("option(s) %s do not apply to %s", strings.Join(bad, ", "), typ)
	}
	return o, nil
}

// Name gives the layer a name instead of a default such as "conv2d_1".
func Name(name string) Option { return func(o *options) { o.mark("Name"); o.name = name } }

// InputShape declares the layer's input shape without the batch axis
// (Keras's input_shape): the first layer of a Sequential may carry it.
func InputShape(dims ...int) Option {
	return func(o *options) { o.mark("InputShape"); o.inputShape = slices.Clone(dims) }
}

// Strides sets a convolution's or pooling window's strides: one value for
// both axes or two (rows, columns).
func Strides(s ...int) Option {
	return func(o *options) { o.mark("Strides"); o.strides = slices.Clone(s) }
}

// Padding is "valid" (no padding, Keras's default) or "same" (output size
// ceil(in/stride), TensorFlow's rule).
func Padding(p string) Option { return func(o *options) { o.mark("Padding"); o.padding = p } }

// WithActivation applies an activation (see Activation) to the layer's output.
func WithActivation(a string) Option {
	return func(o *options) { o.mark("WithActivation"); o.activation = a }
}

// UseBias adds (true, the default) or leaves out a bias.
func UseBias(b bool) Option { return func(o *options) { o.mark("UseBias"); o.useBias = b } }

// KernelInitializer sets the kernel's initialiser (default GlorotUniform).
func KernelInitializer(in Initializer) Option {
	return func(o *options) { o.mark("KernelInitializer"); o.kernelInit = in }
}

// BiasInitializer sets the bias's initialiser (default Zeros).
func BiasInitializer(in Initializer) Option {
	return func(o *options) { o.mark("BiasInitializer"); o.biasInit = in }
}

// Momentum sets BatchNormalization's moving-average momentum (Keras's
// meaning: moving = moving·m + batch·(1−m); default 0.99).
func Momentum(m float64) Option { return func(o *options) { o.mark("Momentum"); o.momentum = m } }

// Epsilon sets a normalisation layer's epsilon, added to the variance.
func Epsilon(e float64) Option { return func(o *options) { o.mark("Epsilon"); o.epsilon = e } }

// Center adds (true, default) or leaves out a normalisation layer's β.
func Center(b bool) Option { return func(o *options) { o.mark("Center"); o.center = b } }

// Scale adds (true, default) or leaves out a normalisation layer's γ.
func Scale(b bool) Option { return func(o *options) { o.mark("Scale"); o.scale = b } }

// Groups sets GroupNormalization's number of groups (default 32).
func Groups(g int) Option { return func(o *options) { o.mark("Groups"); o.groups = g } }

// KernelSize sets a residual block's convolution kernel size (default 3),
// or a Conv2D's non-square kernel (rows, columns).
func KernelSize(k ...int) Option {
	return func(o *options) { o.mark("KernelSize"); o.kernelSize = slices.Clone(k) }
}

// WithShortcut sets a residual block's shortcut.
func WithShortcut(s Shortcut) Option {
	return func(o *options) { o.mark("WithShortcut"); o.shortcut = s }
}

// WithNorm adds a normalisation layer of the given kind to a Residual
// wrapper, before the body (PreNorm: y = x + f(norm(x))) or after the sum
// (PostNorm: y = norm(x + f(x))).
func WithNorm(kind NormKind, placement NormPlacement) Option {
	return func(o *options) { o.mark("WithNorm"); o.normKind = kind; o.normPlace = placement }
}

// pair expands a one- or two-value option (kernel size, strides) to two.
func pair(what string, v []int, def int) ([2]int, error) {
	switch len(v) {
	case 0:
		return [2]int{def, def}, nil
	case 1:
		return [2]int{v[0], v[0]}, nil
	case 2:
		return [2]int{v[0], v[1]}, nil
	}
	return [2]int{}, fmt.Errorf("%s takes one or two values, got %v", what, v)
}

func (o *options) common() Common { return Common{Name: o.name, InputShape: o.inputShape} }
