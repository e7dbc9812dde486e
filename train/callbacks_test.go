package train

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/optim"
)

// scripted feeds EarlyStopping / ModelCheckpoint a fixed sequence of epoch
// logs, so their decisions can be checked without training.
func feed(t *testing.T, cb Callback, r *Run, vals []float64, metric string) {
	t.Helper()
	if err := cb.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		l := EpochLogs{Epoch: i, ValLoss: math.NaN(), ValAccuracy: math.NaN()}
		switch metric {
		case "val_loss":
			l.ValLoss = v
		case "val_accuracy":
			l.ValAccuracy = v
		}
		if err := cb.OnEpochEnd(r, l); err != nil {
			t.Fatal(err)
		}
		if r.StopTraining {
			return
		}
	}
}

func TestEarlyStoppingPatience(t *testing.T) {
	m := smallCNN(t, 1)
	r := &Run{Model: m}
	es := &EarlyStopping{Patience: 2, RestoreBest: true}
	feed(t, es, r, []float64{1.0, 0.8, 0.9, 0.85, 0.7}, "val_loss")
	if !r.StopTraining || es.Stopped != 4 {
		t.Fatalf("stopped=%v at epoch %d, want stop at epoch 4", r.StopTraining, es.Stopped)
	}
	// Accuracy is maximised, not minimised.
	r = &Run{Model: m}
	es = &EarlyStopping{Monitor: "val_accuracy", Patience: 0}
	feed(t, es, r, []float64{0.5, 0.6, 0.7, 0.65}, "val_accuracy")
	if es.Stopped != 4 {
		t.Fatalf("accuracy early stopping stopped at %d, want 4", es.Stopped)
	}
}

func TestEarlyStoppingRestoresBestWeights(t *testing.T) {
	m := smallCNN(t, 1)
	r := &Run{Model: m}
	es := &EarlyStopping{Patience: 0, RestoreBest: true}
	w := m.Weights()[0].Var.Value.Data
	if err := es.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	best := w[0]
	es.OnEpochEnd(r, EpochLogs{Epoch: 0, ValLoss: 0.5})
	w[0] = 42 // training moves on and gets worse
	es.OnEpochEnd(r, EpochLogs{Epoch: 1, ValLoss: 0.9})
	if !r.StopTraining || w[0] != best {
		t.Fatalf("stop=%v, weight %v, want the best epoch's %v restored", r.StopTraining, w[0], best)
	}
}

func TestUnknownMonitorIsAnError(t *testing.T) {
	es := &EarlyStopping{Monitor: "val_f1"}
	es.OnTrainBegin(&Run{})
	if err := es.OnEpochEnd(&Run{}, EpochLogs{}); err == nil || !strings.Contains(err.Error(), "val_f1") {
		t.Fatalf("got %v", err)
	}
}

func TestModelCheckpointSavesBestOnly(t *testing.T) {
	m := smallCNN(t, 1)
	path := filepath.Join(t.TempDir(), "best.safetensors")
	mc := &ModelCheckpoint{Path: path, SaveBestOnly: true}
	r := &Run{Model: m}
	mc.OnTrainBegin(r)
	mc.OnEpochEnd(r, EpochLogs{Epoch: 0, ValLoss: 0.5})
	mc.OnEpochEnd(r, EpochLogs{Epoch: 1, ValLoss: 0.7}) // worse: not saved
	_, meta, err := checkpoint.LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["epoch"] != "1" {
		t.Fatalf("best checkpoint is from epoch %s, want 1", meta["epoch"])
	}
}

func TestLoggersAppendAcrossResume(t *testing.T) {
	tr, _ := mnist(t)
	dir := t.TempDir()
	csv, jl := filepath.Join(dir, "log.csv"), filepath.Join(dir, "log.jsonl")
	cfg := Config{Epochs: 2, BatchSize: 64, Seed: 1, ValidationSplit: 0.25,
		Callbacks: []Callback{&CSVLogger{Path: csv}, &JSONLLogger{Path: jl}}}
	if _, err := Fit(smallCNN(t, 1), optim.NewAdam(1e-3), tr.Slice(0, 256), cfg); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(csv)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "epoch,loss") || !strings.HasPrefix(lines[2], "2,") {
		t.Fatalf("csv log:\n%s", b)
	}
	b, _ = os.ReadFile(jl)
	if n := strings.Count(string(b), "\n"); n != 2 || !strings.Contains(string(b), `"val_accuracy"`) {
		t.Fatalf("jsonl log:\n%s", b)
	}
}

func TestLRSchedulerSetsRate(t *testing.T) {
	tr, _ := mnist(t)
	opt := optim.NewAdam(1e-3)
	var seen []float64
	cb := &LRScheduler{Schedule: func(epoch int, lr float64) float64 { return 1e-3 / float64(epoch+1) }}
	hist, err := Fit(smallCNN(t, 1), opt, tr.Slice(0, 128), Config{Epochs: 3, BatchSize: 64, Callbacks: []Callback{cb}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range hist.Epochs {
		seen = append(seen, e.LR)
	}
	want := []float64{1e-3, 5e-4, 1e-3 / 3}
	for i := range want {
		if math.Abs(seen[i]-want[i]) > 1e-12 {
			t.Fatalf("epoch learning rates %v, want %v", seen, want)
		}
	}
}
