package models

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/nn"
)

var update = flag.Bool("update", false, "rewrite testdata/seedcnn_summary.txt")

func TestSeedCNNSummary(t *testing.T) {
	m, err := SeedCNN(1)
	if err != nil {
		t.Fatal(err)
	}
	total, trainable, frozen := m.ParamCounts()
	if total != 115338 || trainable != 114698 || frozen != 640 {
		t.Errorf("params = %d / %d / %d, want 115338 / 114698 / 640", total, trainable, frozen)
	}
	got := m.Summary()
	for _, want := range []string{
		"Total params: 115,338", "Trainable params: 114,698", "Non-trainable params: 640",
		"conv2d (Conv2D)                          (None, 14, 14, 64)",
		"seed_block (SeedBlock)                   (None, 7, 7, 64)",
		"seed_block_1 (SeedBlock)                 (None, 7, 7, 64)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	path := filepath.Join("testdata", "seedcnn_summary.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("summary differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestSeedCNNShapesAndNames(t *testing.T) {
	m, err := SeedCNN(1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.InputShape(), []int{28, 28, 1}) || !slices.Equal(m.OutputShape(), []int{10}) {
		t.Errorf("shapes %v → %v", m.InputShape(), m.OutputShape())
	}
	var names []string
	for _, w := range m.Weights() {
		names = append(names, w.Name)
	}
	for _, want := range []string{"conv2d/kernel", "batch_normalization/moving_mean",
		"seed_block/shortcut_conv/kernel", "seed_block_1/shortcut_bn/moving_variance", "dense/bias"} {
		if !slices.Contains(names, want) {
			t.Errorf("no weight %q in %v", want, names)
		}
	}
	if slices.Contains(names, "seed_block/shortcut_conv/bias") {
		t.Error("the shortcut conv has a bias; the document's has none")
	}
}

func TestSameSeedSameWeights(t *testing.T) {
	a, _ := SeedCNN(7)
	b, _ := SeedCNN(7)
	c, _ := SeedCNN(8)
	wa, wb, wc := a.Weights(), b.Weights(), c.Weights()
	differ := false
	for i := range wa {
		if !slices.Equal(wa[i].Var.Value.Data, wb[i].Var.Value.Data) {
			t.Fatalf("%s differs between two builds with seed 7", wa[i].Name)
		}
		if strings.HasSuffix(wa[i].Name, "kernel") && !slices.Equal(wa[i].Var.Value.Data, wc[i].Var.Value.Data) {
			differ = true
		}
	}
	if !differ {
		t.Error("seeds 7 and 8 give the same kernels")
	}
}

func TestResNetParamCounts(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		total, trainable, frozen int
	}{
		// He et al. 2015, Table 6: ResNet-20 has 0.27M parameters (option A
		// shortcuts, no conv biases). The plain net has the same weights.
		{"resnet20", 271098, 269722, 1376},
		{"plain20", 271098, 269722, 1376},
		{"resnet32", 466426, 464154, 2272},
		{"preact-resnet20", 271098, 269722, 1376},
	} {
		m, err := ByName(tc.name, 1)
		if err != nil {
			t.Fatal(err)
		}
		total, trainable, frozen := m.ParamCounts()
		if total != tc.total || trainable != tc.trainable || frozen != tc.frozen {
			t.Errorf("%s: params %d / %d / %d, want %d / %d / %d", tc.name, total, trainable, frozen,
				tc.total, tc.trainable, tc.frozen)
		}
		if !slices.Equal(m.OutputShape(), []int{10}) {
			t.Errorf("%s: output %v", tc.name, m.OutputShape())
		}
	}
	// Projection shortcuts add 1×1 convs + BN in the two down-sampling blocks.
	m, err := ResNet(20, ResNetOptions{Shortcut: nn.ShortcutProjection})
	if err != nil {
		t.Fatal(err)
	}
	if total, _, _ := m.ParamCounts(); total != 271098+16*32+4*32+32*64+4*64 {
		t.Errorf("resnet20 with projections: %d params", total)
	}
	m, err = New("resnet20", Options{InputShape: []int{28, 28, 1}, Classes: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.InputShape(), []int{28, 28, 1}) || !slices.Equal(m.OutputShape(), []int{5}) {
		t.Errorf("resnet20 for MNIST: %v → %v", m.InputShape(), m.OutputShape())
	}
}

func TestResNetBadDepth(t *testing.T) {
	for _, d := range []int{0, 2, 19, 21} {
		if _, err := ResNet(d, ResNetOptions{}); err == nil || !strings.Contains(err.Error(), "6n+2") {
			t.Errorf("depth %d: err = %v", d, err)
		}
	}
	if _, err := ByName("resnet21", 1); err == nil {
		t.Error("resnet21 accepted")
	}
}

func TestByName(t *testing.T) {
	for _, n := range Names() {
		if _, err := ByName(n, 1); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := ByName("vgg16", 1); err == nil || !strings.Contains(err.Error(), "vgg16") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := New("seed", Options{Classes: 5}); err == nil {
		t.Error("seed model accepted 5 classes")
	}
}

func TestDiagramModels(t *testing.T) {
	r, err := DiagramResidualCNN(1)
	if err != nil {
		t.Fatal(err)
	}
	s := r.Summary()
	for _, want := range []string{"residual1 (BasicBlock)", "(None, 14, 14, 32)", "residual2 (BasicBlock)", "(None, 7, 7, 64)"} {
		if !strings.Contains(s, want) {
			t.Errorf("diagram-residual summary lacks %q:\n%s", want, s)
		}
	}
	b, err := DiagramBNCNN(1)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, l := range b.Layers() {
		types = append(types, l.Type())
	}
	want := []string{"Conv2D", "BatchNormalization", "Conv2D", "BatchNormalization", "Conv2D", "BatchNormalization", "Flatten", "Dense"}
	if !slices.Equal(types, want) {
		t.Errorf("diagram-bn layers %v, want %v", types, want)
	}
}
