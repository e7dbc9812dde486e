package nn

// Residual blocks as layers, so that a residual network fits in a
// Sequential. A block owns sublayers named "<block>/<role>"; their weights
// appear under those names ("seed_block/shortcut_bn/gamma"), and a summary
// shows the block as one row.
//
// Shortcut kind and norm placement are data (Shortcut, NormKind,
// NormPlacement) so experiments can sweep them.

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

// Shortcut is the path that carries x around a residual block's body.
type Shortcut string

const (
	// ShortcutProjection is a strided 1×1 convolution (no bias) and, in the
	// post-activation blocks, a BatchNorm: it matches any change of size or
	// channels (He et al. 2015, option B/C).
	ShortcutProjection Shortcut = "projection"
	// ShortcutIdentity passes x unchanged; the block's input and output
	// shapes must then be equal.
	ShortcutIdentity Shortcut = "identity"
	// ShortcutAuto is identity when the shapes match and projection when
	// they do not.
	ShortcutAuto Shortcut = "auto"
	// ShortcutZeroPad subsamples x by the stride and pads the new channels
	// with zeros: no parameters (He et al. 2015, option A, used for the
	// CIFAR ResNets).
	ShortcutZeroPad Shortcut = "zero_pad"
	// ShortcutNone removes the shortcut: a "plain" block, for the
	// degradation experiment.
	ShortcutNone Shortcut = "none"
)

func checkShortcut(s Shortcut) error {
	switch s {
	case ShortcutProjection, ShortcutIdentity, ShortcutAuto, ShortcutZeroPad, ShortcutNone:
		return nil
	}
	return fmt.Errorf("unknown shortcut %q", s)
}

// resolve turns auto into identity or projection and checks that identity
// and zero-pad shortcuts fit the shapes.
func resolveShortcut(s Shortcut, in, out []int) (Shortcut, error) {
	switch s {
	case ShortcutAuto:
		if slices.Equal(in, out) {
			return ShortcutIdentity, nil
		}
		return ShortcutProjection, nil
	case ShortcutIdentity:
		if !slices.Equal(in, out) {
			return s, fmt.Errorf("identity shortcut needs equal shapes, but the input is %s and the block's output %s (use a projection shortcut)",
				shapeStr(in), shapeStr(out))
		}
	case ShortcutZeroPad:
		if out[2] < in[2] {
			return s, fmt.Errorf("zero-pad shortcut cannot shrink %d channels to %d (use a projection shortcut)", in[2], out[2])
		}
	}
	return s, nil
}

// zeroPadShortcut subsamples x [N,H,W,C] by the strides (a 1×1 max pool is
// a strided slice) and appends f−C zero channels.
func zeroPadShortcut(tp *autograd.Tape, x *autograd.Var, strides, f int) *autograd.Var {
	if strides != 1 {
		x = tp.MaxPool2D(x, [2]int{1, 1}, [2]int{strides, strides}, autograd.Valid)
	}
	s := x.Shape()
	if s[3] == f {
		return x
	}
	return tp.Concat(3, x, autograd.Const(tensor.New(s[0], s[1], s[2], f-s[3])))
}

// BlockConfig is the configuration the convolutional blocks share.
type BlockConfig struct {
	Common
	Filters    int      `json:"filters"`
	KernelSize int      `json:"kernel_size"`
	Strides    int      `json:"strides"`
	Shortcut   Shortcut `json:"shortcut"`
}

func newBlockConfig(typ string, filters int, def Shortcut, opts []Option) (BlockConfig, error) {
	o, err := collect(typ, opts, "Strides", "KernelSize", "WithShortcut")
	c := BlockConfig{Common: o.common(), Filters: filters, KernelSize: 3, Strides: 1, Shortcut: def}
	if len(o.strides) > 1 || len(o.kernelSize) > 1 {
		err = firstErr(err, fmt.Errorf("%s takes one stride and one kernel size for both axes", typ))
	}
	if len(o.strides) == 1 {
		c.Strides = o.strides[0]
	}
	if len(o.kernelSize) == 1 {
		c.KernelSize = o.kernelSize[0]
	}
	if o.has("WithShortcut") {
		c.Shortcut = o.shortcut
	}
	return c, err
}

func (c BlockConfig) validate() error {
	return firstErr(checkPositive("filters", c.Filters), checkPositive("kernel size", c.KernelSize),
		checkPositive("strides", c.Strides), checkShortcut(c.Shortcut))
}

// block is the machinery of the convolutional residual blocks: sublayers
// by role, created on the first Build once the shortcut is resolved.
type block struct {
	base
	cfg      BlockConfig
	shortcut Shortcut // resolved
	roles    []string
	subs     map[string]Layer
}

func newBlock(typ string, c BlockConfig, err error) block {
	if err == nil {
		err = c.validate()
	}
	return block{base: newBase(typ, c.Common, err), cfg: c}
}

func (l *block) Config() any {
	c := l.cfg
	c.Common = l.common()
	return c
}

// add registers a sublayer under a role.
func (l *block) add(role string, s Layer) {
	if l.subs == nil {
		l.subs = map[string]Layer{}
	}
	l.roles = append(l.roles, role)
	l.subs[role] = s
}

// build builds the sublayer of a role on input shape x.
func (l *block) build(b *Builder, role string, x []int) ([]int, error) {
	s := l.subs[role]
	s.SetName(l.name + "/" + role)
	return s.Build(b, [][]int{x})
}

// chain builds the given roles one after another from x.
func (l *block) chain(b *Builder, x []int, roles ...string) ([]int, error) {
	var err error
	for _, r := range roles {
		if x, err = l.build(b, r, x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// run applies the given roles one after another.
func (l *block) run(ctx *Context, x *autograd.Var, roles ...string) (*autograd.Var, error) {
	var err error
	for _, r := range roles {
		if x, err = l.subs[r].Forward(ctx, []*autograd.Var{x}); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// runReLU applies the given roles, the last of them a batch norm, and a
// ReLU after it, fused into the batch norm (one op, the same results).
func (l *block) runReLU(ctx *Context, x *autograd.Var, roles ...string) (*autograd.Var, error) {
	n := len(roles) - 1
	x, err := l.run(ctx, x, roles[:n]...)
	if err != nil {
		return nil, err
	}
	bn, ok := l.subs[roles[n]].(*BatchNormalizationLayer)
	if !ok { // not a batch norm (cannot happen in the blocks here): unfused
		if x, err = l.run(ctx, x, roles[n]); err != nil {
			return nil, err
		}
		return ctx.Tape.ReLU(x), nil
	}
	return bn.forwardReLU(ctx, x), nil
}

// addReLU is ReLU(m + sc), or ReLU(m) without a shortcut, fused.
func addReLU(tp *autograd.Tape, m, sc *autograd.Var) *autograd.Var {
	if sc == nil {
		return tp.ReLU(m)
	}
	if !tensor.SameShape(m.Shape(), sc.Shape()) {
		return tp.ReLU(tp.Add(m, sc)) // let Add report (or broadcast) the shapes
	}
	return tp.AddReLU(m, sc)
}

func (l *block) Weights() []*Weight {
	var ws []*Weight
	for _, r := range l.roles {
		ws = append(ws, l.subs[r].Weights()...)
	}
	return ws
}

// Sublayers returns the block's sublayers in order, for inspection.
func (l *block) Sublayers() []Layer {
	out := make([]Layer, len(l.roles))
	for i, r := range l.roles {
		out[i] = l.subs[r]
	}
	return out
}

// startConvBlock checks a block's input and computes its output shape and
// shortcut. On a rebuild with new shapes the resolved shortcut must not change.
func (l *block) startConvBlock(in [][]int) (x, out []int, done bool, err error) {
	out, done, err = l.begin(in, 1)
	if done || err != nil {
		return nil, out, done, err
	}
	x = in[0]
	if len(x) != 3 {
		return nil, nil, false, l.errorf("needs input (None, height, width, channels), got %s", shapeStr(x))
	}
	s := l.cfg.Strides
	out = []int{(x[0] + s - 1) / s, (x[1] + s - 1) / s, l.cfg.Filters}
	sc, err := resolveShortcut(l.cfg.Shortcut, x, out)
	if err != nil {
		return nil, nil, false, l.errorf("%v", err)
	}
	if l.shortcut != "" && sc != l.shortcut {
		return nil, nil, false, l.errorf("was built with a %s shortcut; input %s needs %s", l.shortcut, shapeStr(x), sc)
	}
	l.shortcut = sc
	return x, out, false, nil
}

// conv returns a same-padded convolution for a block.
func (l *block) conv(k, strides int, bias bool) Layer {
	return Conv2D(l.cfg.Filters, k, Strides(strides), Padding("same"), UseBias(bias))
}

// SeedBlockLayer is the source document's residual_block: main path
// Conv2D(filters, k, strides, same) → BatchNorm → ReLU; shortcut
// Conv2D(filters, 1, strides, same, no bias) → BatchNorm; output
// ReLU(main + shortcut).
type SeedBlockLayer struct{ block }

// SeedBlock returns the source document's residual block. As in the
// document the shortcut is a projection by default, even when the shapes
// match; WithShortcut(ShortcutAuto) uses the identity when they do.
// Options: Strides (default 1), KernelSize (default 3), WithShortcut.
func SeedBlock(filters int, opts ...Option) *SeedBlockLayer {
	c, err := newBlockConfig("SeedBlock", filters, ShortcutProjection, opts)
	return newSeedBlock(c, err)
}

func newSeedBlock(c BlockConfig, err error) *SeedBlockLayer {
	return &SeedBlockLayer{newBlock("SeedBlock", c, err)}
}

func (l *SeedBlockLayer) Build(b *Builder, in [][]int) ([]int, error) {
	x, out, done, err := l.startConvBlock(in)
	if done || err != nil {
		return out, err
	}
	if l.subs == nil {
		l.add("conv", l.conv(l.cfg.KernelSize, l.cfg.Strides, true))
		l.add("bn", BatchNormalization())
		if l.shortcut == ShortcutProjection {
			l.add("shortcut_conv", l.conv(1, l.cfg.Strides, false))
			l.add("shortcut_bn", BatchNormalization())
		}
	}
	if _, err := l.chain(b, x, "conv", "bn"); err != nil {
		return nil, err
	}
	if l.shortcut == ShortcutProjection {
		if _, err := l.chain(b, x, "shortcut_conv", "shortcut_bn"); err != nil {
			return nil, err
		}
	}
	return l.finish(in, out)
}

func (l *SeedBlockLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	tp := ctx.Tape
	x := in[0]
	// The shortcut first, so that its backward runs last: the main path's
	// input gradient, which covers every pixel, then writes x's gradient
	// and the 1×1 shortcut's adds into it, instead of the shortcut's
	// clearing it all for a quarter of the pixels (stride 2) and the main
	// path's reading it back.
	sc, err := l.shortcutPath(ctx, x, "shortcut_conv", "shortcut_bn")
	if err != nil {
		return nil, err
	}
	m, err := l.runReLU(ctx, x, "conv", "bn")
	if err != nil {
		return nil, err
	}
	return addReLU(tp, m, sc), nil
}

// shortcutPath computes the shortcut (nil for none); projection runs the
// given roles.
func (l *block) shortcutPath(ctx *Context, x *autograd.Var, roles ...string) (*autograd.Var, error) {
	switch l.shortcut {
	case ShortcutIdentity:
		return x, nil
	case ShortcutZeroPad:
		return zeroPadShortcut(ctx.Tape, x, l.cfg.Strides, l.cfg.Filters), nil
	case ShortcutNone:
		return nil, nil
	}
	return l.run(ctx, x, roles...)
}

// BasicBlockLayer is the two-convolution block of He et al. 2015:
// conv3×3(strides) → BN → ReLU → conv3×3 → BN, plus the shortcut, then ReLU.
// The convolutions have no bias (BN's β plays its part).
type BasicBlockLayer struct{ block }

// BasicBlock returns He et al.'s basic block. The shortcut defaults to
// ShortcutAuto (identity, or a projection when the shape changes).
// Options: Strides, KernelSize, WithShortcut (ShortcutNone: a plain block).
func BasicBlock(filters int, opts ...Option) *BasicBlockLayer {
	c, err := newBlockConfig("BasicBlock", filters, ShortcutAuto, opts)
	return newBasicBlock(c, err)
}

func newBasicBlock(c BlockConfig, err error) *BasicBlockLayer {
	return &BasicBlockLayer{newBlock("BasicBlock", c, err)}
}

func (l *BasicBlockLayer) Build(b *Builder, in [][]int) ([]int, error) {
	x, out, done, err := l.startConvBlock(in)
	if done || err != nil {
		return out, err
	}
	if l.subs == nil {
		l.add("conv1", l.conv(l.cfg.KernelSize, l.cfg.Strides, false))
		l.add("bn1", BatchNormalization())
		l.add("conv2", l.conv(l.cfg.KernelSize, 1, false))
		l.add("bn2", BatchNormalization())
		if l.shortcut == ShortcutProjection {
			l.add("shortcut_conv", l.conv(1, l.cfg.Strides, false))
			l.add("shortcut_bn", BatchNormalization())
		}
	}
	if _, err := l.chain(b, x, "conv1", "bn1", "conv2", "bn2"); err != nil {
		return nil, err
	}
	if l.shortcut == ShortcutProjection {
		if _, err := l.chain(b, x, "shortcut_conv", "shortcut_bn"); err != nil {
			return nil, err
		}
	}
	return l.finish(in, out)
}

func (l *BasicBlockLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	tp := ctx.Tape
	x := in[0]
	sc, err := l.shortcutPath(ctx, x, "shortcut_conv", "shortcut_bn") // first: see SeedBlockLayer.Forward
	if err != nil {
		return nil, err
	}
	m, err := l.runReLU(ctx, x, "conv1", "bn1")
	if err != nil {
		return nil, err
	}
	if m, err = l.run(ctx, m, "conv2", "bn2"); err != nil {
		return nil, err
	}
	return addReLU(tp, m, sc), nil
}

// PreActBlockLayer is the pre-activation block of He et al. 2016:
// a = ReLU(BN(x)); out = conv(ReLU(BN(conv(a, strides)))) + shortcut, where
// the identity shortcut carries x and a projection shortcut is a 1×1
// convolution of a. Nothing follows the addition, so a stack of these
// blocks has a clean identity path; end the stack with BN → ReLU.
type PreActBlockLayer struct{ block }

// PreActBlock returns the pre-activation block. The shortcut defaults to
// ShortcutAuto. Options: Strides, KernelSize, WithShortcut.
func PreActBlock(filters int, opts ...Option) *PreActBlockLayer {
	c, err := newBlockConfig("PreActBlock", filters, ShortcutAuto, opts)
	return newPreActBlock(c, err)
}

func newPreActBlock(c BlockConfig, err error) *PreActBlockLayer {
	return &PreActBlockLayer{newBlock("PreActBlock", c, err)}
}

func (l *PreActBlockLayer) Build(b *Builder, in [][]int) ([]int, error) {
	x, out, done, err := l.startConvBlock(in)
	if done || err != nil {
		return out, err
	}
	if l.subs == nil {
		l.add("bn1", BatchNormalization())
		l.add("conv1", l.conv(l.cfg.KernelSize, l.cfg.Strides, false))
		l.add("bn2", BatchNormalization())
		l.add("conv2", l.conv(l.cfg.KernelSize, 1, false))
		if l.shortcut == ShortcutProjection {
			l.add("shortcut_conv", l.conv(1, l.cfg.Strides, false))
		}
	}
	h, err := l.chain(b, x, "bn1")
	if err != nil {
		return nil, err
	}
	if _, err := l.chain(b, h, "conv1", "bn2", "conv2"); err != nil {
		return nil, err
	}
	if l.shortcut == ShortcutProjection {
		if _, err := l.chain(b, h, "shortcut_conv"); err != nil {
			return nil, err
		}
	}
	return l.finish(in, out)
}

func (l *PreActBlockLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	tp := ctx.Tape
	x := in[0]
	a, err := l.runReLU(ctx, x, "bn1")
	if err != nil {
		return nil, err
	}
	m, err := l.runReLU(ctx, a, "conv1", "bn2")
	if err != nil {
		return nil, err
	}
	if m, err = l.run(ctx, m, "conv2"); err != nil {
		return nil, err
	}
	var sc *autograd.Var
	if l.shortcut == ShortcutProjection {
		sc, err = l.run(ctx, a, "shortcut_conv")
	} else {
		sc, err = l.shortcutPath(ctx, x)
	}
	if err != nil {
		return nil, err
	}
	if sc != nil {
		m = tp.Add(m, sc)
	}
	return m, nil
}

// NormKind names a normalisation layer type for Residual and other
// configurable blocks.
type NormKind string

const (
	BatchNorm NormKind = "batch_normalization"
	LayerNorm NormKind = "layer_normalization"
	RMSNorm   NormKind = "rms_normalization"
	GroupNorm NormKind = "group_normalization"
)

// NormPlacement says where a Residual wrapper puts its norm.
type NormPlacement string

const (
	// PreNorm normalises the body's input: y = x + f(norm(x)) (Pre-LN).
	PreNorm NormPlacement = "pre"
	// PostNorm normalises the sum: y = norm(x + f(x)) (Post-LN, as BERT).
	PostNorm NormPlacement = "post"
)

// newNorm returns a normalisation layer of the given kind with its defaults.
func newNorm(k NormKind) (Layer, error) {
	switch k {
	case BatchNorm:
		return BatchNormalization(), nil
	case LayerNorm:
		return LayerNormalization(), nil
	case RMSNorm:
		return RMSNormalization(), nil
	case GroupNorm:
		return GroupNormalization(), nil
	}
	return nil, fmt.Errorf("unknown norm kind %q", k)
}

// ResidualLayer wraps a stack of layers f as y = x + f(x), with an
// optional norm before f (PreNorm) or after the sum (PostNorm). f must keep
// the shape of x.
type ResidualLayer struct {
	base
	cfg    ResidualConfig
	body   []Layer
	locals []string // body layers' names within the wrapper
	norm   Layer
}

// ResidualConfig is ResidualLayer's configuration. Body holds the body
// layers' configurations, with names local to the wrapper.
type ResidualConfig struct {
	Common
	Body          []LayerSpec   `json:"body"`
	Norm          NormKind      `json:"norm,omitempty"`
	NormPlacement NormPlacement `json:"norm_placement,omitempty"`
}

// Residual returns y = x + f(x) for f = body[len-1] ∘ … ∘ body[0].
// Option WithNorm adds a pre- or post-norm. Body layers are named
// "<wrapper>/<name>", with default names numbered within the wrapper.
func Residual(body []Layer, opts ...Option) *ResidualLayer {
	o, err := collect("Residual", opts, "WithNorm")
	l := &ResidualLayer{body: body}
	l.cfg = ResidualConfig{Common: o.common(), Norm: o.normKind, NormPlacement: o.normPlace}
	if err == nil {
		err = l.init()
	}
	l.base = newBase("Residual", l.cfg.Common, err)
	return l
}

func (l *ResidualLayer) init() error {
	if len(l.body) == 0 {
		return fmt.Errorf("empty body")
	}
	if l.cfg.Norm != "" || l.cfg.NormPlacement != "" {
		if l.cfg.NormPlacement != PreNorm && l.cfg.NormPlacement != PostNorm {
			return fmt.Errorf("norm placement must be %q or %q, got %q", PreNorm, PostNorm, l.cfg.NormPlacement)
		}
		n, err := newNorm(l.cfg.Norm)
		if err != nil {
			return err
		}
		l.norm = n
	}
	nm := newNamer()
	for _, s := range l.body {
		if s.Name() != "" {
			if err := nm.reserve(s.Name()); err != nil {
				return err
			}
		}
	}
	for _, s := range l.body {
		name := s.Name()
		if name == "" {
			name = nm.next(s.Type())
		}
		l.locals = append(l.locals, name)
	}
	return nil
}

func (l *ResidualLayer) Build(b *Builder, in [][]int) ([]int, error) {
	out, done, err := l.begin(in, 1)
	if done || err != nil {
		return out, err
	}
	x := in[0]
	h := x
	if l.norm != nil && l.cfg.NormPlacement == PreNorm {
		l.norm.SetName(l.name + "/norm")
		if h, err = l.norm.Build(b, [][]int{h}); err != nil {
			return nil, err
		}
	}
	for i, s := range l.body {
		s.SetName(l.name + "/" + l.locals[i])
		if h, err = s.Build(b, [][]int{h}); err != nil {
			return nil, err
		}
	}
	if !slices.Equal(h, x) {
		return nil, l.errorf("body output %s differs from input %s; y = x + f(x) needs equal shapes (use a block with a projection shortcut)",
			shapeStr(h), shapeStr(x))
	}
	if l.norm != nil && l.cfg.NormPlacement == PostNorm {
		l.norm.SetName(l.name + "/norm")
		if _, err = l.norm.Build(b, [][]int{h}); err != nil {
			return nil, err
		}
	}
	return l.finish(in, slices.Clone(x))
}

func (l *ResidualLayer) Forward(ctx *Context, in []*autograd.Var) (*autograd.Var, error) {
	x := in[0]
	h := x
	var err error
	if l.norm != nil && l.cfg.NormPlacement == PreNorm {
		if h, err = l.norm.Forward(ctx, []*autograd.Var{h}); err != nil {
			return nil, err
		}
	}
	for _, s := range l.body {
		if h, err = s.Forward(ctx, []*autograd.Var{h}); err != nil {
			return nil, err
		}
	}
	y := ctx.Tape.Add(x, h)
	if l.norm != nil && l.cfg.NormPlacement == PostNorm {
		return l.norm.Forward(ctx, []*autograd.Var{y})
	}
	return y, nil
}

func (l *ResidualLayer) Weights() []*Weight {
	var ws []*Weight
	if l.norm != nil && l.cfg.NormPlacement == PreNorm {
		ws = append(ws, l.norm.Weights()...)
	}
	for _, s := range l.body {
		ws = append(ws, s.Weights()...)
	}
	if l.norm != nil && l.cfg.NormPlacement == PostNorm {
		ws = append(ws, l.norm.Weights()...)
	}
	return ws
}

// Sublayers returns the body layers (and the norm, if any, in place).
func (l *ResidualLayer) Sublayers() []Layer {
	var out []Layer
	if l.norm != nil && l.cfg.NormPlacement == PreNorm {
		out = append(out, l.norm)
	}
	out = append(out, l.body...)
	if l.norm != nil && l.cfg.NormPlacement == PostNorm {
		out = append(out, l.norm)
	}
	return out
}

func (l *ResidualLayer) Config() any {
	c := l.cfg
	c.Common = l.common()
	c.Body = make([]LayerSpec, len(l.body))
	for i, s := range l.body {
		spec, err := SpecOf(s)
		if err == nil {
			spec.Config, err = withName(spec.Config, l.locals[i])
		}
		if err != nil {
			// Built-in configs always encode; a custom layer whose config
			// does not is reported when the model config is marshalled.
			spec = LayerSpec{ClassName: s.Type(), Config: json.RawMessage(fmt.Sprintf("%q", err.Error()))}
		}
		c.Body[i] = spec
	}
	return c
}

func residualFromConfig(raw json.RawMessage) (Layer, error) {
	var c ResidualConfig
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	body := make([]Layer, len(c.Body))
	for i, s := range c.Body {
		var err error
		if body[i], err = LayerFromSpec(s); err != nil {
			return nil, fmt.Errorf("residual %q body layer %d: %w", c.Name, i, err)
		}
	}
	l := &ResidualLayer{body: body, cfg: ResidualConfig{Common: c.Common, Norm: c.Norm, NormPlacement: c.NormPlacement}}
	err := l.init()
	l.base = newBase("Residual", c.Common, err)
	return l, err
}
