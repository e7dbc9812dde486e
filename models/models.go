// Package models holds ready-made networks built with package nn: the
// source document's CNN and its two diagram architectures, and the CIFAR
// ResNets of He et al. (2015) with their plain (shortcut-free) twins for
// the degradation experiment. ByName finds them by the names the command
// line uses.
package models

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/resnorm/resnorm/nn"
)

// MNISTShape is the per-sample input shape of the MNIST models: 28×28
// images with one channel, NHWC. Batches of flat 784-value rows need a
// (free) reshape to [N, 28, 28, 1] first.
var MNISTShape = []int{28, 28, 1}

// SeedCNN is the source document's build_model((28, 28, 1), 10):
//
//	Reshape((28, 28, 1)) → Conv2D(64, 3, strides 2, same, relu) → BatchNorm
//	→ residual_block(64, strides 2) → residual_block(64) → Flatten
//	→ Dense(10, softmax)
//
// with the document's residual_block (nn.SeedBlock: projection shortcut in
// both blocks). 115,338 parameters, 114,698 trainable. The input is
// [N, 28, 28, 1] (the Reshape keeps the document's layer list; it passes
// such batches through unchanged).
func SeedCNN(seed uint64) (*nn.Model, error) {
	return nn.Sequential{
		Name: "seed_cnn", Seed: seed, InputShape: MNISTShape,
		Layers: []nn.Layer{
			nn.Reshape([]int{28, 28, 1}),
			nn.Conv2D(64, 3, nn.Strides(2), nn.Padding("same"), nn.WithActivation("relu")),
			nn.BatchNormalization(),
			nn.SeedBlock(64, nn.Strides(2)),
			nn.SeedBlock(64),
			nn.Flatten(),
			nn.Dense(10, nn.WithActivation("softmax")),
		},
	}.Build()
}

// DiagramResidualCNN is the document's first diagram,
// Input → Conv1 → Residual1 → Conv2 → Residual2 → Flatten → FC → Output,
// for MNIST:
//
//	Conv2D(32, 3, strides 2, same, relu) → BasicBlock(32)
//	→ Conv2D(64, 3, strides 2, same, relu) → BasicBlock(64) → Flatten → Dense(10, softmax)
//
// The residual blocks (He et al.'s two-conv block) keep their shape, so
// their shortcuts are identities. The strided convs bring 28×28 down to
// 14×14 and 7×7, as in the seed model, so the final dense layer stays
// small (3,136 × 10).
func DiagramResidualCNN(seed uint64) (*nn.Model, error) {
	return nn.Sequential{
		Name: "diagram_residual_cnn", Seed: seed, InputShape: MNISTShape,
		Layers: []nn.Layer{
			nn.Conv2D(32, 3, nn.Strides(2), nn.Padding("same"), nn.WithActivation("relu"), nn.Name("conv1")),
			nn.BasicBlock(32, nn.Name("residual1")),
			nn.Conv2D(64, 3, nn.Strides(2), nn.Padding("same"), nn.WithActivation("relu"), nn.Name("conv2")),
			nn.BasicBlock(64, nn.Name("residual2")),
			nn.Flatten(),
			nn.Dense(10, nn.WithActivation("softmax"), nn.Name("fc")),
		},
	}.Build()
}

// DiagramBNCNN is the document's second diagram,
// Input → Conv1 → BN1 → Conv2 → BN2 → Conv3 → BN3 → Flatten → FC → Output,
// for MNIST:
//
//	Conv2D(32, 3, same, relu) → BN → Conv2D(64, 3, strides 2, same, relu) → BN
//	→ Conv2D(64, 3, strides 2, same, relu) → BN → Flatten → Dense(10, softmax)
//
// giving 28×28×32, 14×14×64 and 7×7×64 feature maps.
func DiagramBNCNN(seed uint64) (*nn.Model, error) {
	conv := func(f, s int, name string) nn.Layer {
		return nn.Conv2D(f, 3, nn.Strides(s), nn.Padding("same"), nn.WithActivation("relu"), nn.Name(name))
	}
	return nn.Sequential{
		Name: "diagram_bn_cnn", Seed: seed, InputShape: MNISTShape,
		Layers: []nn.Layer{
			conv(32, 1, "conv1"), nn.BatchNormalization(nn.Name("bn1")),
			conv(64, 2, "conv2"), nn.BatchNormalization(nn.Name("bn2")),
			conv(64, 2, "conv3"), nn.BatchNormalization(nn.Name("bn3")),
			nn.Flatten(),
			nn.Dense(10, nn.WithActivation("softmax"), nn.Name("fc")),
		},
	}.Build()
}

// ResNetOptions configures ResNet. Zero values take the defaults.
type ResNetOptions struct {
	Seed       uint64
	InputShape []int // default 32×32×3 (CIFAR-10)
	Classes    int   // default 10
	// Plain removes every shortcut (He et al.'s "plain" nets).
	Plain bool
	// PreAct uses pre-activation blocks (He et al. 2016) and ends with
	// BN → ReLU before the pooling.
	PreAct bool
	// Shortcut for blocks that change shape; default nn.ShortcutZeroPad
	// (the paper's option A for CIFAR: no extra parameters). Blocks that
	// keep their shape always use the identity.
	Shortcut nn.Shortcut
	// Name defaults to "resnet<depth>", "plain<depth>" or "preact_resnet<depth>".
	Name string
}

// ResNet returns the CIFAR ResNet of He et al. 2015 (section 4.2) with
// depth = 6n+2 layers: a 3×3 conv with 16 filters, three stages of n basic
// blocks with 16, 32 and 64 filters (the first block of stages 2 and 3
// halves the size with stride 2), global average pooling and a softmax
// Dense. Convolutions have no bias (BatchNorm follows each). ResNet-20 on
// 32×32×3 with 10 classes has 271,098 weights (269,722 trainable), the
// paper's "0.27M".
func ResNet(depth int, opts ResNetOptions) (*nn.Model, error) {
	if depth < 8 || (depth-2)%6 != 0 {
		return nil, fmt.Errorf("models: ResNet depth must be 6n+2 with n ≥ 1 (8, 14, 20, 32, 44, 56, 110, …), got %d", depth)
	}
	if opts.Plain && opts.PreAct {
		return nil, fmt.Errorf("models: ResNet: Plain and PreAct cannot be combined")
	}
	n := (depth - 2) / 6
	in := opts.InputShape
	if in == nil {
		in = []int{32, 32, 3}
	}
	classes := opts.Classes
	if classes == 0 {
		classes = 10
	}
	sc := opts.Shortcut
	if sc == "" {
		sc = nn.ShortcutZeroPad
	}
	if opts.Plain {
		sc = nn.ShortcutNone
	} else if sc == nn.ShortcutIdentity {
		return nil, fmt.Errorf("models: ResNet: stages change shape, so Shortcut cannot be identity")
	} else if sc == nn.ShortcutProjection {
		sc = nn.ShortcutAuto // projection only where the shape changes
	}
	name := opts.Name
	if name == "" {
		switch {
		case opts.Plain:
			name = fmt.Sprintf("plain%d", depth)
		case opts.PreAct:
			name = fmt.Sprintf("preact_resnet%d", depth)
		default:
			name = fmt.Sprintf("resnet%d", depth)
		}
	}
	layers := []nn.Layer{nn.Conv2D(16, 3, nn.Padding("same"), nn.UseBias(false), nn.KernelInitializer(nn.HeNormal))}
	if !opts.PreAct {
		layers = append(layers, nn.BatchNormalization(), nn.Activation("relu"))
	}
	for stage, filters := range []int{16, 32, 64} {
		for i := range n {
			stride := 1
			if stage > 0 && i == 0 {
				stride = 2
			}
			o := []nn.Option{nn.Strides(stride), nn.WithShortcut(sc), nn.Name(fmt.Sprintf("stage%d_block%d", stage+1, i+1))}
			if opts.PreAct {
				layers = append(layers, nn.PreActBlock(filters, o...))
			} else {
				layers = append(layers, nn.BasicBlock(filters, o...))
			}
		}
	}
	if opts.PreAct {
		layers = append(layers, nn.BatchNormalization(), nn.Activation("relu"))
	}
	layers = append(layers, nn.GlobalAveragePooling2D(), nn.Dense(classes, nn.WithActivation("softmax")))
	return nn.Sequential{Name: name, Seed: opts.Seed, InputShape: in, Layers: layers}.Build()
}

// Options are the settings New passes on; zero values take each model's
// defaults.
type Options struct {
	Seed       uint64
	InputShape []int // ResNets only (the MNIST models are fixed at 28×28×1)
	Classes    int   // ResNets only
}

var resnetName = regexp.MustCompile(`^(resnet|plain|preact-resnet)(\d+)$`)

// Names lists the names ByName and New know (ResNets at every valid depth are
// accepted; the usual ones are listed).
func Names() []string {
	return []string{"seed", "diagram-residual", "diagram-bn",
		"resnet20", "resnet32", "resnet44", "resnet56", "resnet110",
		"plain20", "plain32", "plain44", "plain56", "plain110", "preact-resnet20"}
}

// ByName builds a model by its command-line name with the given seed and
// its default input shape and classes; see New.
func ByName(name string, seed uint64) (*nn.Model, error) { return New(name, Options{Seed: seed}) }

// New builds a model by its command-line name: "seed" (SeedCNN),
// "diagram-residual", "diagram-bn", "resnet<depth>", "plain<depth>" and
// "preact-resnet<depth>" (depth = 6n+2).
func New(name string, o Options) (*nn.Model, error) {
	mnistOnly := func(f func(uint64) (*nn.Model, error)) (*nn.Model, error) {
		if (o.InputShape != nil && !slices.Equal(o.InputShape, MNISTShape)) || (o.Classes != 0 && o.Classes != 10) {
			return nil, fmt.Errorf("models: %q is fixed at input %v and 10 classes", name, MNISTShape)
		}
		return f(o.Seed)
	}
	switch name {
	case "seed":
		return mnistOnly(SeedCNN)
	case "diagram-residual":
		return mnistOnly(DiagramResidualCNN)
	case "diagram-bn":
		return mnistOnly(DiagramBNCNN)
	}
	if m := resnetName.FindStringSubmatch(name); m != nil {
		depth, err := strconv.Atoi(m[2])
		if err != nil {
			return nil, fmt.Errorf("models: bad depth in %q", name)
		}
		return ResNet(depth, ResNetOptions{Seed: o.Seed, InputShape: o.InputShape, Classes: o.Classes,
			Plain: m[1] == "plain", PreAct: m[1] == "preact-resnet"})
	}
	return nil, fmt.Errorf("models: unknown model %q (known: %v)", name, Names())
}
