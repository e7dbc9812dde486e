package nn

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/tensor"
)

// seedLike is the source document's model, built here without package
// models (which imports nn).
func seedLike(seed uint64) Sequential {
	return Sequential{
		Name: "seed_cnn", Seed: seed, InputShape: []int{28, 28, 1},
		Layers: []Layer{
			Reshape([]int{28, 28, 1}),
			Conv2D(64, 3, Strides(2), Padding("same"), WithActivation("relu")),
			BatchNormalization(),
			SeedBlock(64, Strides(2)),
			SeedBlock(64),
			Flatten(),
			Dense(10, WithActivation("softmax")),
		},
	}
}

func mustBuild(t *testing.T, s interface{ Build() (*Model, error) }) *Model {
	t.Helper()
	m, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randInput(seed uint64, shape ...int) *autograd.Var {
	return autograd.Const(tensor.RandNormal(tensor.NewRNG(seed), 0, 1, shape...))
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestSnakeCaseAndDefaultNames(t *testing.T) {
	for in, want := range map[string]string{
		"Conv2D": "conv2d", "BatchNormalization": "batch_normalization", "MaxPooling2D": "max_pooling2d",
		"GlobalAveragePooling2D": "global_average_pooling2d", "RMSNormalization": "rms_normalization",
		"SeedBlock": "seed_block", "PreActBlock": "pre_act_block", "InputLayer": "input_layer",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%s) = %s, want %s", in, got, want)
		}
	}
	m := mustBuild(t, Sequential{InputShape: []int{8}, Layers: []Layer{
		Dense(4), Dense(4, Name("dense_1")), Dense(4), Activation("relu"), Dense(2),
	}})
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.Name())
	}
	// The user's "dense_1" is reserved, so defaults skip it.
	want := []string{"dense", "dense_1", "dense_2", "activation", "dense_3"}
	if !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	_, err := NewSequential(InputLayer(3), Dense(2, Name("x")), Dense(2, Name("x")))
	wantErr(t, err, `two layers are named "x"`)
}

func TestSequentialWithoutInputShape(t *testing.T) {
	_, err := NewSequential(Reshape([]int{28, 28, 1}), Flatten())
	wantErr(t, err, "no input shape", "(Reshape)", "nn.InputLayer", "InputShape")
	// Any of the three ways works.
	for _, s := range []Sequential{
		{InputShape: []int{784}, Layers: []Layer{Reshape([]int{28, 28, 1}), Flatten()}},
		{Layers: []Layer{InputLayer(784), Reshape([]int{28, 28, 1}), Flatten()}},
		{Layers: []Layer{Reshape([]int{28, 28, 1}, InputShape(784)), Flatten()}},
	} {
		m := mustBuild(t, s)
		if !slices.Equal(m.OutputShape(), []int{784}) || !slices.Equal(m.InputShape(), []int{784}) {
			t.Errorf("shapes %v → %v", m.InputShape(), m.OutputShape())
		}
		if len(m.Layers()) != 2 {
			t.Errorf("InputLayer counted as a layer: %d layers", len(m.Layers()))
		}
	}
}

func TestBuildShapeErrorsNameLayerAndShapes(t *testing.T) {
	cases := []struct {
		name  string
		build func() error
		parts []string
	}{
		{"absurdly wide dense", func() error {
			_, err := Sequential{InputShape: []int{4}, Layers: []Layer{Dense(1 << 40)}}.Build()
			return err
		}, []string{`"dense" (Dense)`, "dense/kernel", "[4 1099511627776]", "absurdly large"}},
		{"dense too wide for memory", func() error {
			_, err := Sequential{InputShape: []int{4}, Layers: []Layer{Dense(1 << 29)}}.Build()
			return err
		}, []string{`"dense" (Dense)`, "dense/kernel", "[4 536870912] holds 2147483648 values (8.0 GiB of float32)"}},
		{"absurdly large input", func() error {
			_, err := Sequential{InputShape: []int{1 << 20, 1 << 20, 3}, Layers: []Layer{Conv2D(8, 3)}}.Build()
			return err
		}, []string{`"conv2d" (Conv2D)`, "output for one sample", "[1048574 1048574 8]", "absurdly large"}},
		{"conv on a vector", func() error {
			_, err := Sequential{InputShape: []int{784}, Layers: []Layer{Conv2D(8, 3)}}.Build()
			return err
		}, []string{`"conv2d" (Conv2D)`, "(None, 784)", "(None, height, width, channels)"}},
		{"valid conv too big", func() error {
			_, err := Sequential{InputShape: []int{2, 2, 1}, Layers: []Layer{Conv2D(8, 3)}}.Build()
			return err
		}, []string{`"conv2d" (Conv2D)`, "(None, 2, 2, 1)", "3x3"}},
		{"bad reshape", func() error {
			_, err := Sequential{InputShape: []int{10}, Layers: []Layer{Reshape([]int{3, 3})}}.Build()
			return err
		}, []string{`"reshape" (Reshape)`, "(None, 10)", "(None, 3, 3)"}},
		{"add of different shapes", func() error {
			a, b := Input(4), Input(5)
			_, err := Functional{Inputs: []*Node{a, b}, Outputs: []*Node{Apply(Add(), a, b)}}.Build()
			return err
		}, []string{`"add" (Add)`, "(None, 4)", "(None, 5)"}},
		{"residual body changes shape", func() error {
			_, err := Sequential{InputShape: []int{8}, Layers: []Layer{Residual([]Layer{Dense(4)})}}.Build()
			return err
		}, []string{`"residual" (Residual)`, "(None, 4)", "(None, 8)"}},
		{"identity shortcut on a strided block", func() error {
			_, err := Sequential{InputShape: []int{8, 8, 4}, Layers: []Layer{
				SeedBlock(4, Strides(2), WithShortcut(ShortcutIdentity))}}.Build()
			return err
		}, []string{`"seed_block" (SeedBlock)`, "(None, 8, 8, 4)", "(None, 4, 4, 4)"}},
		{"shared dense on another width", func() error {
			d := Dense(3)
			a, b := Input(4), Input(5)
			_, err := Functional{Inputs: []*Node{a, b}, Outputs: []*Node{Apply(d, a), Apply(d, b)}}.Build()
			return err
		}, []string{`"dense" (Dense)`, "(None, 5)", "[4 3]", "[5 3]"}},
		{"groups do not divide channels", func() error {
			_, err := Sequential{InputShape: []int{4, 4, 6}, Layers: []Layer{GroupNormalization(Groups(4))}}.Build()
			return err
		}, []string{`"group_normalization" (GroupNormalization)`, "(None, 4, 4, 6)", "4 groups"}},
		{"option that does not apply", func() error {
			_, err := Sequential{InputShape: []int{4}, Layers: []Layer{Dense(3, Strides(2))}}.Build()
			return err
		}, []string{`"dense" (Dense)`, "Strides", "do not apply to Dense"}},
		{"unknown activation", func() error {
			_, err := Sequential{InputShape: []int{4}, Layers: []Layer{Dense(3, WithActivation("swish2"))}}.Build()
			return err
		}, []string{`"dense" (Dense)`, `"swish2"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.build(), c.parts...) })
	}
}

func TestForwardWrongInputShape(t *testing.T) {
	m := mustBuild(t, seedLike(1))
	_, err := m.Forward(autograd.NewInferenceTape(), randInput(1, 2, 784))
	wantErr(t, err, `input "input_layer"`, "(None, 28, 28, 1)", "(2, 784)")
}

func TestInitializers(t *testing.T) {
	if fi, fo := fans([]int{3, 3, 16, 32}); fi != 144 || fo != 288 {
		t.Errorf("conv fans %d %d", fi, fo)
	}
	if fi, fo := fans([]int{784, 10}); fi != 784 || fo != 10 {
		t.Errorf("dense fans %d %d", fi, fo)
	}
	b := NewBuilder(3)
	w, err := b.Weight("k", GlorotUniform, true, 3, 3, 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	lim := math.Sqrt(6.0 / (144 + 288))
	var sumsq float64
	for _, v := range w.Var.Value.Data {
		if math.Abs(float64(v)) > lim {
			t.Fatalf("glorot_uniform value %g beyond ±%g", v, lim)
		}
		sumsq += float64(v) * float64(v)
	}
	// Uniform on ±lim has variance lim²/3 = 2/(fan_in+fan_out).
	if v := sumsq / float64(w.Var.Value.Numel()); math.Abs(v-lim*lim/3) > 0.1*lim*lim/3 {
		t.Errorf("glorot_uniform variance %g, want %g", v, lim*lim/3)
	}
	he, _ := b.Weight("h", HeNormal, true, 200, 100)
	sumsq = 0
	for _, v := range he.Var.Value.Data {
		sumsq += float64(v) * float64(v)
	}
	if v := sumsq / 20000; math.Abs(v-2.0/200) > 0.1*2.0/200 {
		t.Errorf("he_normal variance %g, want %g", v, 2.0/200)
	}
	again, _ := NewBuilder(3).Weight("k", GlorotUniform, true, 3, 3, 16, 32)
	if !slices.Equal(again.Var.Value.Data, w.Var.Value.Data) {
		t.Error("same seed and name gave different weights")
	}
	other, _ := NewBuilder(3).Weight("k2", GlorotUniform, true, 3, 3, 16, 32)
	if slices.Equal(other.Var.Value.Data, w.Var.Value.Data) {
		t.Error("different names gave the same weights")
	}
	for _, in := range []Initializer{Zeros, Ones, Constant(2), Normal(0.02), TruncatedNormal(0.02), Uniform(0.1), GlorotNormal, HeUniform, LecunNormal} {
		if _, err := in.Init(tensor.NewRNG(1), []int{4, 4}); err != nil {
			t.Errorf("%v: %v", in, err)
		}
	}
	tn, _ := TruncatedNormal(0.02).Init(tensor.NewRNG(1), []int{1000})
	for _, v := range tn.Data {
		if math.Abs(float64(v)) > 0.04+1e-7 {
			t.Fatalf("truncated normal value %g beyond two standard deviations", v)
		}
	}
	if _, err := (Initializer{Kind: "magic"}).Init(tensor.NewRNG(1), []int{2}); err == nil {
		t.Error("unknown initializer accepted")
	}
}

func TestWeightsNamesAndTrainable(t *testing.T) {
	m := mustBuild(t, seedLike(1))
	nt := 0
	for _, w := range m.Weights() {
		if w.Var.Name != w.Name {
			t.Errorf("Var name %q for weight %q", w.Var.Name, w.Name)
		}
		isMoving := strings.Contains(w.Name, "moving_")
		if w.Trainable == isMoving || w.Var.RequiresGrad() != w.Trainable {
			t.Errorf("%s: trainable %v, requires grad %v", w.Name, w.Trainable, w.Var.RequiresGrad())
		}
		if !w.Trainable {
			nt++
		}
	}
	if nt != 10 || len(m.TrainableVars()) != len(m.Weights())-10 {
		t.Errorf("%d non-trainable weights, %d trainable vars", nt, len(m.TrainableVars()))
	}
}

func TestForwardLogitsStripsSoftmax(t *testing.T) {
	m := mustBuild(t, seedLike(1))
	x := randInput(2, 3, 28, 28, 1)
	probs, err := m.Forward(autograd.NewInferenceTape(), x)
	if err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewInferenceTape()
	logits, stripped, err := m.ForwardLogits(tp, x)
	if err != nil || !stripped {
		t.Fatalf("stripped %v, err %v", stripped, err)
	}
	if sm := tp.Softmax(logits); !tensor.AllClose(sm.Value, probs.Value, 1e-6, 1e-7) {
		t.Errorf("softmax(logits) %v != probs %v", sm.Value, probs.Value)
	}
	for i := range 3 {
		var s float64
		for _, v := range probs.Value.Data[i*10 : i*10+10] {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Errorf("row %d of probabilities sums to %g", i, s)
		}
	}
	// A trailing Activation("softmax") is skipped too; no softmax: nothing stripped.
	a := mustBuild(t, Sequential{InputShape: []int{4}, Layers: []Layer{Dense(3), Activation("softmax")}})
	if _, s, _ := a.ForwardLogits(autograd.NewInferenceTape(), randInput(1, 2, 4)); !s {
		t.Error("trailing Activation(softmax) not stripped")
	}
	b := mustBuild(t, Sequential{InputShape: []int{4}, Layers: []Layer{Dense(3)}})
	if _, s, _ := b.ForwardLogits(autograd.NewInferenceTape(), randInput(1, 2, 4)); s {
		t.Error("stripped a softmax that is not there")
	}
}

func TestOnLayerOutput(t *testing.T) {
	m := mustBuild(t, seedLike(1))
	var seen []string
	ctx := &Context{Tape: autograd.NewInferenceTape(), OnLayerOutput: func(name string, out *autograd.Var) {
		seen = append(seen, name+":"+shapeStr(out.Shape()[1:]))
	}}
	if _, err := m.Call(ctx, randInput(1, 2, 28, 28, 1)); err != nil {
		t.Fatal(err)
	}
	want := []string{"reshape:(None, 28, 28, 1)", "conv2d:(None, 14, 14, 64)", "batch_normalization:(None, 14, 14, 64)",
		"seed_block:(None, 7, 7, 64)", "seed_block_1:(None, 7, 7, 64)", "flatten:(None, 3136)", "dense:(None, 10)"}
	if !slices.Equal(seen, want) {
		t.Errorf("layer outputs %v, want %v", seen, want)
	}
}

func TestBatchNormTrainingAndInference(t *testing.T) {
	m := mustBuild(t, Sequential{InputShape: []int{3}, Layers: []Layer{BatchNormalization(Momentum(0.5))}})
	x := autograd.Const(tensor.MustFromSlice([]float32{1, 2, 3, 3, 6, 9}, 2, 3))
	y, err := m.Forward(autograd.NewTape(), x)
	if err != nil {
		t.Fatal(err)
	}
	// Batch statistics: per-column mean (2, 4, 6), biased variance (1, 4, 9).
	want := []float32{-1, -1, -1, 1, 1, 1}
	for i, v := range y.Value.Data {
		sd := []float64{1, 2, 3}[i%3]
		w := float64(want[i]) * sd / math.Sqrt(sd*sd+1e-3)
		if math.Abs(float64(v)-w) > 1e-5 {
			t.Errorf("y[%d] = %g, want %g", i, v, w)
		}
	}
	ws := m.Weights()
	mean, variance := ws[2].Var.Value.Data, ws[3].Var.Value.Data
	if !slices.Equal(mean, []float32{1, 2, 3}) || !slices.Equal(variance, []float32{1, 2.5, 5}) {
		t.Errorf("moving mean %v, variance %v after one step with momentum 0.5", mean, variance)
	}
	// Inference uses the moving statistics and leaves them alone.
	y, _ = m.Forward(autograd.NewInferenceTape(), x)
	if got, w := y.Value.Data[3], float32(2/math.Sqrt(1+1e-3)); math.Abs(float64(got-w)) > 1e-6 {
		t.Errorf("inference y[3] = %g, want %g", got, w)
	}
	if mean[0] != 1 {
		t.Error("inference changed the moving mean")
	}
}

// TestGroupNormalization checks the reshape/permute composition against a
// direct float64 computation.
func TestGroupNormalization(t *testing.T) {
	const n, h, w, c, g = 2, 3, 2, 6, 3
	m := mustBuild(t, Sequential{InputShape: []int{h, w, c}, Layers: []Layer{GroupNormalization(Groups(g))}})
	gamma, beta := m.Weights()[0].Var.Value.Data, m.Weights()[1].Var.Value.Data
	for i := range gamma {
		gamma[i] = 1 + 0.1*float32(i)
		beta[i] = 0.05 * float32(i)
	}
	x := randInput(5, n, h, w, c)
	y, err := m.Forward(autograd.NewInferenceTape(), x)
	if err != nil {
		t.Fatal(err)
	}
	cg := c / g
	for s := range n {
		for gi := range g {
			var sum, sq float64
			cnt := 0
			for p := range h * w {
				for k := range cg {
					v := float64(x.Value.Data[(s*h*w+p)*c+gi*cg+k])
					sum += v
					sq += v * v
					cnt++
				}
			}
			mean := sum / float64(cnt)
			variance := sq/float64(cnt) - mean*mean
			for p := range h * w {
				for k := range cg {
					ch := gi*cg + k
					i := (s*h*w+p)*c + ch
					want := (float64(x.Value.Data[i])-mean)/math.Sqrt(variance+1e-3)*float64(gamma[ch]) + float64(beta[ch])
					if math.Abs(float64(y.Value.Data[i])-want) > 1e-5 {
						t.Fatalf("y[%d] = %g, want %g", i, y.Value.Data[i], want)
					}
				}
			}
		}
	}
}

func TestNormLayersShapesAndWeights(t *testing.T) {
	m := mustBuild(t, Sequential{InputShape: []int{5, 8}, Layers: []Layer{
		LayerNormalization(), RMSNormalization(), LayerNormalization(Center(false), Scale(false), Epsilon(1e-5)),
		Dense(8, WithActivation("gelu")), Dropout(0.5),
	}})
	var names []string
	for _, w := range m.Weights() {
		names = append(names, w.Name)
	}
	want := []string{"layer_normalization/gamma", "layer_normalization/beta", "rms_normalization/gamma",
		"dense/kernel", "dense/bias"}
	if !slices.Equal(names, want) {
		t.Errorf("weights %v, want %v", names, want)
	}
	x := randInput(3, 2, 5, 8)
	y, err := m.Forward(autograd.NewInferenceTape(), x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y.Shape(), []int{2, 5, 8}) {
		t.Errorf("output shape %v", y.Shape())
	}
}

func TestDropout(t *testing.T) {
	m := mustBuild(t, Sequential{InputShape: []int{1000}, Seed: 4, Layers: []Layer{Dropout(0.25)}})
	x := autograd.Const(tensor.Ones(2, 1000))
	y, _ := m.Forward(autograd.NewInferenceTape(), x)
	if !slices.Equal(y.Value.Data, x.Value.Data) {
		t.Error("dropout changed values at inference")
	}
	run := func() []float32 {
		y, err := m.Call(&Context{Tape: autograd.NewTape(), RNG: tensor.NewRNG(9)}, x)
		if err != nil {
			t.Fatal(err)
		}
		return y[0].Value.Data
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Error("same RNG seed gave different masks")
	}
	zeros := 0
	for _, v := range a {
		if v == 0 {
			zeros++
		} else if math.Abs(float64(v)-1/0.75) > 1e-6 {
			t.Fatalf("survivor scaled to %g, want %g", v, 1/0.75)
		}
	}
	if zeros < 400 || zeros > 600 {
		t.Errorf("%d of 2000 dropped at rate 0.25", zeros)
	}
}

func TestResidualWrapper(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		norm string
	}{{nil, ""}, {[]Option{WithNorm(LayerNorm, PreNorm)}, "pre"}, {[]Option{WithNorm(RMSNorm, PostNorm)}, "post"}} {
		m := mustBuild(t, Sequential{InputShape: []int{6}, Seed: 1, Layers: []Layer{
			Residual([]Layer{Dense(6, WithActivation("relu")), Dense(6)}, tc.opts...)}})
		r := m.Layers()[0].(*ResidualLayer)
		x := randInput(8, 3, 6)
		y, err := m.Forward(autograd.NewInferenceTape(), x)
		if err != nil {
			t.Fatal(err)
		}
		// Recompute y from the sublayers.
		tp := autograd.NewInferenceTape()
		ctx := &Context{Tape: tp}
		h := x
		subs := r.Sublayers()
		if tc.norm == "pre" {
			h, _ = subs[0].Forward(ctx, []*autograd.Var{h})
			subs = subs[1:]
		}
		last := len(subs)
		if tc.norm == "post" {
			last--
		}
		for _, s := range subs[:last] {
			h, _ = s.Forward(ctx, []*autograd.Var{h})
		}
		want := tp.Add(x, h)
		if tc.norm == "post" {
			want, _ = subs[last].Forward(ctx, []*autograd.Var{want})
		}
		if !slices.Equal(y.Value.Data, want.Value.Data) {
			t.Errorf("%s: residual output differs from x + f(x)", tc.norm)
		}
		if w := m.Weights()[0].Name; !strings.HasPrefix(w, "residual/") {
			t.Errorf("weight %q not under the wrapper's name", w)
		}
	}
}

func TestBlocks(t *testing.T) {
	for _, tc := range []struct {
		layer  Layer
		in     []int
		out    []int
		params int
	}{
		// The document's block: 3×3 conv with bias, BN, 1×1 conv without bias, BN.
		{SeedBlock(8, Strides(2)), []int{6, 6, 4}, []int{3, 3, 8}, 9*4*8 + 8 + 4*8 + 4*8 + 4*8},
		{SeedBlock(4, WithShortcut(ShortcutAuto)), []int{6, 6, 4}, []int{6, 6, 4}, 9*4*4 + 4 + 4*4},
		{BasicBlock(4), []int{6, 6, 4}, []int{6, 6, 4}, 2*9*4*4 + 2*4*4},
		{BasicBlock(8, Strides(2)), []int{6, 6, 4}, []int{3, 3, 8}, 9*4*8 + 9*8*8 + 2*4*8 + 4*8 + 4*8},
		{BasicBlock(8, Strides(2), WithShortcut(ShortcutZeroPad)), []int{5, 5, 4}, []int{3, 3, 8}, 9*4*8 + 9*8*8 + 2*4*8},
		{BasicBlock(8, Strides(2), WithShortcut(ShortcutNone)), []int{6, 6, 4}, []int{3, 3, 8}, 9*4*8 + 9*8*8 + 2*4*8},
		{PreActBlock(8, Strides(2)), []int{6, 6, 4}, []int{3, 3, 8}, 4*4 + 9*4*8 + 4*8 + 9*8*8 + 4*8},
	} {
		m := mustBuild(t, Sequential{InputShape: tc.in, Seed: 2, Layers: []Layer{tc.layer}})
		if total, _, _ := m.ParamCounts(); total != tc.params {
			t.Errorf("%s: %d params, want %d", tc.layer.Type(), total, tc.params)
		}
		if !slices.Equal(m.OutputShape(), tc.out) {
			t.Errorf("%s: output %v, want %v", tc.layer.Type(), m.OutputShape(), tc.out)
		}
		tp := autograd.NewTape()
		y, err := m.Forward(tp, randInput(3, 2, tc.in[0], tc.in[1], tc.in[2]))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y.Shape()[1:], tc.out) {
			t.Errorf("%s: forward shape %v", tc.layer.Type(), y.Shape())
		}
		if err := tp.Backward(tp.Mean(tp.Mul(y, y), nil, false)); err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Weights() {
			if w.Trainable && w.Var.Grad == nil {
				t.Errorf("%s: %s got no gradient", tc.layer.Type(), w.Name)
			}
		}
	}
}

// TestZeroPadShortcut checks option A directly: with every conv weight
// zero the main path is BN(0)=β=0, so the block's output is
// ReLU(shortcut) = ReLU of x subsampled, padded with zero channels.
func TestZeroPadShortcut(t *testing.T) {
	m := mustBuild(t, Sequential{InputShape: []int{4, 4, 2}, Layers: []Layer{
		BasicBlock(3, Strides(2), WithShortcut(ShortcutZeroPad))}})
	for _, w := range m.Weights() {
		if strings.HasSuffix(w.Name, "kernel") {
			clear(w.Var.Value.Data)
		}
	}
	x := randInput(1, 1, 4, 4, 2)
	y, err := m.Forward(autograd.NewInferenceTape(), x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		for j := range 2 {
			for c := range 3 {
				want := float32(0)
				if c < 2 {
					want = max(0, x.Value.Data[(2*i*4+2*j)*2+c])
				}
				if got := y.Value.Data[(i*2+j)*3+c]; got != want {
					t.Errorf("y[%d,%d,%d] = %g, want %g", i, j, c, got, want)
				}
			}
		}
	}
}

func TestFunctionalModel(t *testing.T) {
	a, b := Input(6), NamedInput("side", 6)
	shared := Dense(4, Name("shared"))
	ha, hb := Apply(shared, a), Apply(shared, b)
	sum := Apply(Add(), ha, hb)
	out1 := Apply(Dense(2, WithActivation("softmax")), sum)
	out2 := Apply(LayerNormalization(), ha)
	m := mustBuild(t, Functional{Name: "two_heads", Inputs: []*Node{a, b}, Outputs: []*Node{out1, out2}})
	if len(m.Layers()) != 4 {
		t.Errorf("%d layers, want 4 (shared counted once)", len(m.Layers()))
	}
	s := m.Summary()
	for _, want := range []string{`Model: "two_heads"`, "Connected to", "input_layer (InputLayer)", "side (InputLayer)",
		"shared[0][0]", "shared[1][0]", "input_layer[0][0]", "side[0][0]", "add[0][0]"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	tp := autograd.NewTape()
	outs, err := m.Call(&Context{Tape: tp}, randInput(1, 3, 6), randInput(2, 3, 6))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outs[0].Shape(), []int{3, 2}) || !slices.Equal(outs[1].Shape(), []int{3, 4}) {
		t.Errorf("output shapes %v %v", outs[0].Shape(), outs[1].Shape())
	}
	if err := tp.Backward(tp.Add(tp.Sum(outs[0], nil, false), tp.Mean(tp.Mul(outs[1], outs[1]), nil, false))); err != nil {
		t.Fatal(err)
	}
	if shared.Weights()[0].Var.Grad == nil {
		t.Error("shared layer got no gradient")
	}
	if _, err := m.Forward(tp, randInput(1, 3, 6)); err == nil {
		t.Error("Forward on a two-input model did not fail")
	}
	_, err = m.Call(&Context{Tape: tp}, randInput(1, 3, 6), randInput(2, 4, 6))
	wantErr(t, err, "batch sizes")

	// An output that depends on an unlisted input.
	c := Input(6)
	_, err = Functional{Inputs: []*Node{a}, Outputs: []*Node{Apply(Add(), a, c)}}.Build()
	wantErr(t, err, "not among the model's inputs")
}

func TestConfigRoundTrip(t *testing.T) {
	a, b := Input(6), NamedInput("side", 6)
	shared := Dense(4, Name("shared"), KernelInitializer(HeNormal))
	sum := Apply(Add(), Apply(shared, a), Apply(shared, b))
	out := Apply(Residual([]Layer{Dense(4, WithActivation("gelu")), Dropout(0.1)}, WithNorm(LayerNorm, PreNorm)), sum)
	models := map[string]*Model{
		"sequential": mustBuild(t, seedLike(5)),
		"functional": mustBuild(t, Functional{Seed: 3, Inputs: []*Node{a, b}, Outputs: []*Node{Apply(Dense(2), out)}}),
		"everything": mustBuild(t, Sequential{InputShape: []int{8, 8, 4}, Seed: 9, Layers: []Layer{
			BasicBlock(4), PreActBlock(8, Strides(2)), SeedBlock(8, WithShortcut(ShortcutAuto)),
			MaxPooling2D(2, Padding("same")), GroupNormalization(Groups(4)), RMSNormalization(Epsilon(1e-5)),
			BatchNormalization(Center(false)), GlobalAveragePooling2D(), Dense(3, UseBias(false)),
		}}),
	}
	for name, m := range models {
		cfg, err := m.MarshalConfig()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ModelFromConfig(cfg)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, cfg)
		}
		cfg2, err := m2.MarshalConfig()
		if err != nil {
			t.Fatal(err)
		}
		if string(cfg) != string(cfg2) {
			t.Errorf("%s: config changed in the round trip:\n%s\n%s", name, cfg, cfg2)
		}
		if m.Summary() != m2.Summary() {
			t.Errorf("%s: summary changed:\n%s\n%s", name, m.Summary(), m2.Summary())
		}
		w1, w2 := m.Weights(), m2.Weights()
		if len(w1) != len(w2) {
			t.Fatalf("%s: %d weights, then %d", name, len(w1), len(w2))
		}
		for i := range w1 {
			if w1[i].Name != w2[i].Name || !slices.Equal(w1[i].Var.Value.Data, w2[i].Var.Value.Data) {
				t.Errorf("%s: weight %s differs after the round trip", name, w1[i].Name)
			}
		}
	}
	for _, bad := range []string{
		`{"class_name":"Sequential","config":{"name":"x","seed":0,"input_shape":[4],"layers":[{"class_name":"Dense","config":{"name":"d","units":3,"activaton":"relu"}}]}}`,
		`{"class_name":"Sequential","config":{"name":"x","seed":0,"input_shape":[4],"layers":[{"class_name":"Dance","config":{}}]}}`,
		`{"class_name":"Graph","config":{}}`,
		`{"class_name":"Functional","config":{"name":"f","seed":0,"layers":[],"inputs":[{"name":"i","shape":[2]}],"nodes":[{"layer":"nope","inbound":[0]}],"outputs":[1]}}`,
	} {
		if _, err := ModelFromConfig([]byte(bad)); err == nil {
			t.Errorf("bad config accepted: %s", bad)
		}
	}
	// A value of the wrong type is named in the config's terms.
	wrongType := `{"class_name":"Sequential","config":{"name":"m","input_shape":[4],"layers":[{"class_name":"Dense","config":{"units":"8"}}]}}`
	if _, err := ModelFromConfig([]byte(wrongType)); err == nil || !strings.Contains(err.Error(), `layer 0: nn: Dense config: units: expected an integer, found a JSON string`) {
		t.Errorf("wrong-type config: error %v", err)
	}
}

func TestSaveLoadWeights(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	m1 := mustBuild(t, seedLike(1))
	// Move the moving statistics away from their initial values.
	if _, err := m1.Forward(autograd.NewTape(), randInput(4, 4, 28, 28, 1)); err != nil {
		t.Fatal(err)
	}
	if err := m1.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	m2 := mustBuild(t, seedLike(2))
	x := randInput(6, 5, 28, 28, 1)
	before, _ := m2.Forward(autograd.NewInferenceTape(), x)
	if err := m2.LoadWeights(path); err != nil {
		t.Fatal(err)
	}
	p1, _ := m1.Forward(autograd.NewInferenceTape(), x)
	p2, _ := m2.Forward(autograd.NewInferenceTape(), x)
	if !slices.Equal(p1.Value.Data, p2.Value.Data) {
		t.Error("predictions differ after save and load")
	}
	if slices.Equal(before.Value.Data, p2.Value.Data) {
		t.Error("loading changed nothing")
	}
	// The config travels in the metadata.
	_, meta, err := checkpoint.LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	m3, err := ModelFromConfig([]byte(meta["config"]))
	if err != nil {
		t.Fatal(err)
	}
	if m3.Summary() != m1.Summary() {
		t.Error("config in the metadata rebuilds a different model")
	}

	// A model with a different shape: the error names the tensor and both shapes.
	wide := seedLike(1)
	wide.Layers[len(wide.Layers)-1] = Dense(11, WithActivation("softmax"))
	m4 := mustBuild(t, wide)
	err = m4.LoadWeights(path)
	wantErr(t, err, `"dense/kernel"`, "[3136 10]", "[3136 11]", `"dense/bias"`)

	// Missing and unexpected tensors are named; nothing is loaded.
	other := mustBuild(t, Sequential{InputShape: []int{28, 28, 1}, Layers: []Layer{Flatten(), Dense(10, Name("head"))}})
	snapshot := slices.Clone(other.Weights()[0].Var.Value.Data)
	err = other.LoadWeights(path)
	wantErr(t, err, `missing from the file: "head/kernel", "head/bias"`, `not in the model:`, `"conv2d/kernel"`)
	if !slices.Equal(snapshot, other.Weights()[0].Var.Value.Data) {
		t.Error("a failed load changed weights")
	}
	if err := m1.LoadWeights(filepath.Join(dir, "absent.safetensors")); err == nil {
		t.Error("loading a missing file succeeded")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}

	// A NaN or infinite weight (a diverged run, a corrupt file) is refused
	// by name and position; nothing is loaded.
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		src := mustBuild(t, seedLike(1))
		src.Weights()[2].Var.Value.Data[7] = bad
		badPath := filepath.Join(dir, "bad.safetensors")
		if err := src.SaveWeights(badPath); err != nil {
			t.Fatal(err)
		}
		dst := mustBuild(t, seedLike(2))
		snapshot := slices.Clone(dst.Weights()[0].Var.Value.Data)
		err := dst.LoadWeights(badPath)
		wantErr(t, err, fmt.Sprintf("tensor %q holds %v at index 7", src.Weights()[2].Name, bad))
		if !slices.Equal(snapshot, dst.Weights()[0].Var.Value.Data) {
			t.Error("a refused load changed weights")
		}
	}
}

// FuzzModelFromConfig: a model config read from a file (a checkpoint's
// metadata, a hand-edited JSON) gives a model or an error, never a panic.
func FuzzModelFromConfig(f *testing.F) {
	for _, s := range []Sequential{seedLike(1), {InputShape: []int{4}, Layers: []Layer{Dense(3, WithActivation("relu")), Dropout(0.5), Dense(2)}}} {
		m, err := s.Build()
		if err != nil {
			f.Fatal(err)
		}
		cfg, err := m.MarshalConfig()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(cfg)
	}
	f.Add([]byte(`{"class_name":"Functional","config":{"name":"f","seed":0,"layers":[{"class_name":"Dense","config":{"name":"d","units":2}}],"inputs":[{"name":"i","shape":[3]}],"nodes":[{"layer":"d","inbound":[0]}],"outputs":[1]}}`))
	f.Fuzz(func(t *testing.T, cfg []byte) {
		m, err := ModelFromConfig(cfg)
		if err == nil && m == nil {
			t.Fatal("no model and no error")
		}
	})
}
