package train

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/data"
	"github.com/resnorm/resnorm/data/mnistdata"
	"github.com/resnorm/resnorm/nn"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/tensor"
)

var mnistTrain, mnistTest *data.Dataset

func mnist(t *testing.T) (*data.Dataset, *data.Dataset) {
	t.Helper()
	if mnistTrain == nil {
		var err error
		mnistTrain, mnistTest, err = mnistdata.Load()
		if err != nil {
			t.Fatal(err)
		}
	}
	return mnistTrain, mnistTest
}

// smallCNN is a quick conv + BatchNorm + residual net, enough to exercise
// every kind of state a checkpoint must carry (moving statistics too).
func smallCNN(t *testing.T, seed uint64) *nn.Model {
	t.Helper()
	m, err := nn.Sequential{
		Name: "small", Seed: seed, InputShape: []int{28, 28, 1},
		Layers: []nn.Layer{
			nn.Conv2D(8, 3, nn.Strides(2), nn.Padding("same"), nn.WithActivation("relu")),
			nn.BatchNormalization(),
			nn.SeedBlock(8, nn.Strides(2)),
			nn.Flatten(),
			nn.Dense(10, nn.WithActivation("softmax")),
		},
	}.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func weightsOf(m *nn.Model) [][]float32 {
	var out [][]float32
	for _, w := range m.Weights() {
		out = append(out, append([]float32(nil), w.Var.Value.Data...))
	}
	return out
}

func sameBits(t *testing.T, what string, a, b [][]float32) {
	t.Helper()
	for i := range a {
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				t.Fatalf("%s: weight %d element %d differs: %v vs %v", what, i, j, a[i][j], b[i][j])
			}
		}
	}
}

func TestFitLearnsMNIST(t *testing.T) {
	tr, te := mnist(t)
	m := smallCNN(t, 1)
	opt := optim.NewAdam(1e-3)
	hist, err := Fit(m, opt, tr.Slice(0, 6000), Config{Epochs: 1, BatchSize: 32, Seed: 1, ValidationSplit: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 1 || math.IsNaN(hist.Epochs[0].ValAccuracy) {
		t.Fatalf("history %+v", hist.Epochs)
	}
	res, err := Evaluate(m, te.Slice(0, 1000), 250)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after 1 epoch on 5400 images: train accuracy %.3f, test accuracy %.3f, loss %.3f", hist.Epochs[0].Accuracy, res.Accuracy, res.Loss)
	// Chance is 0.1. The training accuracy is a running mean over the epoch,
	// from the first, untrained steps on. The test accuracy is held back because
	// Keras's BatchNorm momentum (0.99) leaves the moving statistics close to
	// their initial values after only ~170 steps.
	if res.Accuracy < 0.6 || hist.Epochs[0].Accuracy < 0.5 {
		t.Fatalf("train accuracy %.3f, test accuracy %.3f: the model did not learn", hist.Epochs[0].Accuracy, res.Accuracy)
	}
	p, err := Predict(m, te.X, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(p.Shape, []int{10000, 10}) {
		t.Fatalf("predict shape %v", p.Shape)
	}
}

// stopAt fails Fit at a given step, as a kill would interrupt it.
type stopAt struct {
	BaseCallback
	step int
}

var errKilled = errors.New("simulated kill")

func (s *stopAt) OnBatchEnd(r *Run, _ BatchLogs) error {
	if r.Pos.Step == s.step {
		return errKilled
	}
	return nil
}

func TestResumeIsBitIdentical(t *testing.T) {
	tr, _ := mnist(t)
	ds := tr.Slice(0, 640)
	cfg := Config{Epochs: 2, BatchSize: 32, Seed: 7, CheckpointEvery: 7}

	full := smallCNN(t, 3)
	if _, err := Fit(full, optim.NewAdam(1e-3), ds, cfg); err != nil {
		t.Fatal(err)
	}

	cfg.RunDir = t.TempDir()
	killed := smallCNN(t, 3)
	kcfg := cfg
	kcfg.Callbacks = []Callback{&stopAt{step: 31}} // epoch 2, after the checkpoint at step 28
	if _, err := Fit(killed, optim.NewAdam(1e-3), ds, kcfg); !errors.Is(err, errKilled) {
		t.Fatalf("want the simulated kill, got %v", err)
	}
	resumed := smallCNN(t, 99) // different init: everything must come from the checkpoint
	hist, err := Resume(resumed, optim.NewAdam(1e-3), ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Epochs) != 2 {
		t.Fatalf("resumed history has %d epochs", len(hist.Epochs))
	}
	sameBits(t, "resumed vs uninterrupted", weightsOf(resumed), weightsOf(full))
}

func TestSameWeightsForAnyThreadCount(t *testing.T) {
	tr, _ := mnist(t)
	ds := tr.Slice(0, 256)
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m := smallCNN(t, 5)
		if _, err := Fit(m, optim.NewAdam(1e-3), ds, Config{Epochs: 1, BatchSize: 64, Seed: 2}); err != nil {
			t.Fatal(err)
		}
		return weightsOf(m)
	}
	sameBits(t, "GOMAXPROCS 1 vs 4", run(1), run(4))
}

func TestNaNLossStopsWithClearError(t *testing.T) {
	tr, _ := mnist(t)
	ds := tr.Slice(0, 64).Subset([]int{0, 1, 2, 3})
	m := smallCNN(t, 1)
	m.Weights()[0].Var.Value.Data[0] = float32(math.NaN()) // a diverged model
	_, err := Fit(m, optim.NewAdam(1e-3), ds, Config{BatchSize: 4})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("want ErrNonFinite, got %v", err)
	}
}

// TestNonFiniteInputIsNamed: NaN or infinite data is refused by Fit,
// Evaluate and Predict before any work, naming the sample and position.
func TestNonFiniteInputIsNamed(t *testing.T) {
	tr, _ := mnist(t)
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		ds := tr.Slice(0, 8).Subset([]int{0, 1, 2, 3, 4, 5, 6, 7})
		ds.X.Data[3*784+100] = bad
		m := smallCNN(t, 1)
		want := fmt.Sprintf("sample 3 holds %v at position 100 of its 784 values", bad)
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ErrNonFiniteInput) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s with %v in sample 3: %v", what, bad, err)
			}
		}
		_, err := Fit(m, optim.NewAdam(1e-3), ds, Config{BatchSize: 4})
		check("Fit", err)
		_, err = Evaluate(m, ds, 4)
		check("Evaluate", err)
		_, err = Predict(m, ds.X, 4)
		check("Predict", err)
	}
}

func TestWrongInputShapeIsAnError(t *testing.T) {
	x := tensor.New(10, 5)
	ds, _ := data.NewDataset(x, make([]int, 10))
	_, err := Fit(smallCNN(t, 1), optim.NewAdam(1e-3), ds, Config{})
	if err == nil {
		t.Fatal("fit on [10,5] data accepted by a 28x28x1 model")
	}
	t.Log(err)
}

// TestConfigAndArgumentErrors: nonsense settings and nil arguments are
// errors naming the field, not panics or silent defaults.
func TestConfigAndArgumentErrors(t *testing.T) {
	tr, _ := mnist(t)
	ds := tr.Slice(0, 8)
	m := smallCNN(t, 1)
	opt := optim.NewAdam(1e-3)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Epochs: -2}, "Config.Epochs"},
		{Config{BatchSize: -1}, "Config.BatchSize"},
		{Config{CheckpointEvery: -5}, "Config.CheckpointEvery"},
		{Config{ValidationSplit: math.NaN()}, "Config.ValidationSplit"},
		{Config{ValidationSplit: 1}, "Config.ValidationSplit"},
		{Config{ClipNorm: math.NaN()}, "Config.ClipNorm"},
		{Config{ClipNorm: math.Inf(1)}, "Config.ClipNorm"},
	} {
		if _, err := Fit(m, opt, ds, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.cfg, err, c.want)
		}
	}
	if _, err := Fit(nil, opt, ds, Config{}); err == nil {
		t.Error("Fit without a model accepted")
	}
	if _, err := Fit(m, nil, ds, Config{}); err == nil {
		t.Error("Fit without an optimizer accepted")
	}
	if _, err := Evaluate(nil, ds, 4); err == nil {
		t.Error("Evaluate without a model accepted")
	}
	if _, err := Predict(nil, ds.X, 4); err == nil {
		t.Error("Predict without a model accepted")
	}
}

// closeAt closes a Stop channel after a given step, as Ctrl-C would.
type closeAt struct {
	BaseCallback
	step int
	stop chan struct{}
}

func (c *closeAt) OnBatchEnd(r *Run, _ BatchLogs) error {
	if r.Pos.Step == c.step {
		close(c.stop)
	}
	return nil
}

// TestStopSavesAndResumes: closing Config.Stop ends Fit between two steps
// with ErrInterrupted and a checkpoint at that very step (not the last
// periodic one), and Resume then finishes with the uninterrupted weights.
func TestStopSavesAndResumes(t *testing.T) {
	tr, _ := mnist(t)
	ds := tr.Slice(0, 640)
	cfg := Config{Epochs: 2, BatchSize: 32, Seed: 7, CheckpointEvery: 1000}
	full := smallCNN(t, 3)
	if _, err := Fit(full, optim.NewAdam(1e-3), ds, cfg); err != nil {
		t.Fatal(err)
	}

	cfg.RunDir = t.TempDir()
	stop := make(chan struct{})
	scfg := cfg
	scfg.Stop = stop
	scfg.Callbacks = []Callback{&closeAt{step: 25, stop: stop}} // mid-epoch 2
	_, err := Fit(smallCNN(t, 3), optim.NewAdam(1e-3), ds, scfg)
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "epoch 2, batch 5 (step 25); the run is saved in") {
		t.Fatalf("want ErrInterrupted after epoch 2, batch 5 (step 25), got %v", err)
	}
	resumed := smallCNN(t, 99)
	if _, err := Resume(resumed, optim.NewAdam(1e-3), ds, cfg); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "stopped-and-resumed vs uninterrupted", weightsOf(resumed), weightsOf(full))

	// Without a run directory the error still says where it stopped.
	stop2 := make(chan struct{})
	close(stop2)
	if _, err := Fit(smallCNN(t, 3), optim.NewAdam(1e-3), ds, Config{Stop: stop2}); !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "after epoch 1, batch 0 (step 0)") {
		t.Fatalf("stop before the first step: %v", err)
	}
}
