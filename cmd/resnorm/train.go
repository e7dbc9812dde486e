package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/data"
	"github.com/resnorm/resnorm/data/mnistdata"
	"github.com/resnorm/resnorm/internal/jsonerr"
	"github.com/resnorm/resnorm/models"
	"github.com/resnorm/resnorm/nn"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/train"
)

// runSpec is everything that determines a training run; it is saved as
// run.json so that --resume and eval rebuild exactly the same setup.
type runSpec struct {
	Model           string  `json:"model"`
	Seed            uint64  `json:"seed"`
	Epochs          int     `json:"epochs"`
	BatchSize       int     `json:"batch_size"`
	Optimizer       string  `json:"optimizer"`
	LR              float64 `json:"lr"`
	Schedule        string  `json:"schedule"`
	Warmup          int     `json:"warmup_steps,omitempty"`
	ClipNorm        float64 `json:"clip_norm,omitempty"`
	ValSplit        float64 `json:"validation_split,omitempty"`
	DataDir         string  `json:"data_dir,omitempty"`
	Limit           int     `json:"limit,omitempty"`
	CheckpointEvery int     `json:"checkpoint_every"`
	// InputShape is the data's sample shape the model was built for.
	InputShape []int `json:"input_shape,omitempty"`
}

// buildModel builds the run's model for its data: the ResNets adapt to the
// input shape (e.g. 28x28x1 MNIST); the MNIST models are fixed at 28x28x1.
func buildModel(s runSpec) (*nn.Model, error) {
	o := models.Options{Seed: s.Seed, Classes: data.MNISTClasses}
	if strings.Contains(s.Model, "resnet") || strings.HasPrefix(s.Model, "plain") {
		o.InputShape = s.InputShape
	}
	return models.New(s.Model, o)
}

const runSpecFile = "run.json"

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "resnorm train [flags]", stderr)
	var s runSpec
	fs.StringVar(&s.Model, "model", "seed", "model to train (see 'resnorm models')")
	fs.Uint64Var(&s.Seed, "seed", 1, "random seed: weights, data order, dropout")
	fs.IntVar(&s.Epochs, "epochs", 1, "number of epochs")
	fs.IntVar(&s.BatchSize, "batch-size", 32, "mini-batch size")
	fs.StringVar(&s.Optimizer, "optimizer", "adam", "optimizer: adam, adamw or sgd")
	fs.Float64Var(&s.LR, "lr", 1e-3, "learning rate (the peak rate for schedules)")
	fs.StringVar(&s.Schedule, "schedule", "constant", "learning-rate schedule: constant, cosine, step, warmup-cosine, warmup-linear")
	fs.IntVar(&s.Warmup, "warmup", 0, "warm-up steps for warmup-* schedules (default: 5% of training)")
	fs.Float64Var(&s.ClipNorm, "clip-norm", 0, "clip gradients to this global norm (0: off)")
	fs.Float64Var(&s.ValSplit, "validation-split", 0, "fraction of training data held out for validation")
	fs.StringVar(&s.DataDir, "data", "", "directory with the four MNIST-format IDX files (default: MNIST built in)")
	fs.IntVar(&s.Limit, "limit", 0, "train on only the first N training images (0: all)")
	fs.IntVar(&s.CheckpointEvery, "checkpoint-every", 200, "steps between resumable checkpoints")
	out := fs.String("out", "", "run directory (default runs/<timestamp>)")
	resume := fs.String("resume", "", "continue the interrupted run in this directory")
	threads := fs.Int("threads", 0, "worker threads (default: all cores); results do not depend on it")
	quiet := fs.Bool("quiet", false, "no summary or progress display")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("train: unexpected argument %q", fs.Arg(0))
	}
	if *threads < 0 || *threads > 1024 {
		return fmt.Errorf("train: --threads must be in 0..1024 (0: all cores), got %d", *threads)
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	dir := *out
	if *resume != "" {
		dir = *resume
		b, err := os.ReadFile(filepath.Join(dir, runSpecFile))
		if err != nil {
			return fmt.Errorf("train: cannot resume %s: %w", dir, err)
		}
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("train: cannot resume %s: %s is corrupt: %w", dir, runSpecFile, jsonerr.Explain(err))
		}
	}
	if err := s.validate(); err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join("runs", time.Now().Format("20060102-150405"))
	}
	if *resume == "" {
		// Training afresh into a finished or interrupted run would
		// overwrite its model and checkpoint: refuse, before any work.
		if _, err := os.Stat(filepath.Join(dir, runSpecFile)); err == nil {
			return fmt.Errorf("train: %s already holds a run; continue it with --resume %s, or choose another --out", dir, dir)
		}
	}
	if _, err := buildModel(s); err != nil { // a bad model name fails before the data load
		return err
	}
	opt, err := optim.New(s.Optimizer, s.LR)
	if err != nil {
		return err
	}
	if _, err := schedule(s, 1); err != nil {
		return err
	}
	trainSet, testSet, err := loadData(s.DataDir)
	if err != nil {
		return err
	}
	if s.Limit > 0 && s.Limit < trainSet.Len() {
		trainSet = trainSet.Slice(0, s.Limit)
	}
	s.InputShape = trainSet.SampleShape()
	m, err := buildModel(s)
	if err != nil {
		return err
	}
	steps := s.Epochs * ((trainSet.Len() - int(float64(trainSet.Len())*s.ValSplit) + s.BatchSize - 1) / s.BatchSize)
	sched, err := schedule(s, steps)
	if err != nil {
		return err
	}
	opt.SetSchedule(sched)
	if mom, carry := batchNormCarryover(m, steps); carry > bnCarryWarn {
		fmt.Fprintf(stderr, "warning: after %d steps BatchNorm's moving statistics (momentum %g) will still be %.0f%% their initial 0 and 1; evaluation uses them, so the test accuracy will understate the model (%d steps bring that below 1%%)\n",
			steps, mom, 100*carry, stepsBelow(mom, 0.01))
	}

	if *resume == "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("train: cannot create the run directory: %w", err) // names the path
		}
		if err := writeJSON(filepath.Join(dir, runSpecFile), s); err != nil {
			return err
		}
	}
	if !*quiet {
		fmt.Fprintln(stdout, m.Summary())
	}
	cfg := train.Config{
		Epochs: s.Epochs, BatchSize: s.BatchSize, Seed: s.Seed, ValidationSplit: s.ValSplit, ClipNorm: s.ClipNorm,
		RunDir: dir, CheckpointEvery: s.CheckpointEvery,
		Callbacks: []train.Callback{&train.JSONLLogger{Path: filepath.Join(dir, "history.jsonl")}},
	}
	if !*quiet {
		cfg.Progress = stdout
	}
	stop, release := stopOnSignal(stderr)
	defer release()
	cfg.Stop = stop
	var hist *train.History
	if *resume != "" {
		fmt.Fprintf(stdout, "Resuming %s\n", dir)
		hist, err = train.Resume(m, opt, trainSet, cfg)
	} else {
		hist, err = train.Fit(m, opt, trainSet, cfg)
	}
	if errors.Is(err, train.ErrInterrupted) {
		return fmt.Errorf("%w: continue it with: resnorm train --resume %s", err, dir)
	}
	if err != nil {
		return fmt.Errorf("%w (run directory %s)", err, dir)
	}
	if err := saveModel(dir, m); err != nil {
		return err
	}
	res, err := train.Evaluate(m, testSet, evalBatch)
	if err != nil {
		return err
	}
	var sps float64
	if n := len(hist.Epochs); n > 0 {
		sps = hist.Epochs[n-1].SamplesPerSec
	}
	if err := writeJSON(filepath.Join(dir, "result.json"), map[string]any{
		"test_accuracy": res.Accuracy, "test_loss": res.Loss, "test_samples": res.N, "epochs": len(hist.Epochs), "samples_per_sec_last_epoch": sps,
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Test accuracy: %.2f%% (loss %.4f) on %d images\n", 100*res.Accuracy, res.Loss, res.N)
	fmt.Fprintf(stdout, "Saved the run to %s\n", dir)
	return nil
}

// bnCarryWarn is the share of the initial moving statistics left after
// training above which train warns: short runs (a few hundred steps at
// Keras's momentum 0.99) evaluate with statistics that are still mostly
// the initial 0 and 1, and test far below their training accuracy.
const bnCarryWarn = 0.05

// batchNormCarryover returns the largest BatchNorm momentum in m (blocks'
// sublayers included) and the share momentum^steps of the initial moving
// statistics that survives steps updates; 0, 0 without BatchNorm.
func batchNormCarryover(m *nn.Model, steps int) (momentum, carry float64) {
	var walk func([]nn.Layer)
	walk = func(ls []nn.Layer) {
		for _, l := range ls {
			if bn, ok := l.(*nn.BatchNormalizationLayer); ok {
				if c, ok := bn.Config().(nn.BatchNormalizationConfig); ok {
					momentum = max(momentum, c.Momentum)
				}
			}
			if b, ok := l.(interface{ Sublayers() []nn.Layer }); ok {
				walk(b.Sublayers())
			}
		}
	}
	walk(m.Layers())
	if momentum == 0 {
		return 0, 0
	}
	return momentum, math.Pow(momentum, float64(steps))
}

// stepsBelow is the number of moving-average updates after which less than
// share of the initial value is left.
func stepsBelow(momentum, share float64) int {
	return int(math.Ceil(math.Log(share) / math.Log(momentum)))
}

// stopOnSignal returns a channel closed at the first interrupt (Ctrl-C) or
// SIGTERM, for train.Config.Stop: training then saves the run after the
// current step and stops. A second interrupt kills the process at once
// (the default action is restored). release undoes it all.
func stopOnSignal(stderr io.Writer) (stop <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-sigs:
			signal.Stop(sigs)
			fmt.Fprintln(stderr, "\nresnorm: interrupted: saving the run after this step (interrupt again to quit at once)")
			close(stopped)
		case <-done:
		}
	}()
	return stopped, func() { signal.Stop(sigs); close(done) }
}

func (s *runSpec) validate() error {
	switch {
	case s.Epochs < 1:
		return fmt.Errorf("train: --epochs must be at least 1, got %d", s.Epochs)
	case s.BatchSize < 1 || s.BatchSize > 1<<16:
		return fmt.Errorf("train: --batch-size must be in 1..65536, got %d", s.BatchSize)
	case !(s.LR > 0) || s.LR > 10:
		return fmt.Errorf("train: --lr must be in (0, 10], got %g", s.LR)
	case !(s.ValSplit >= 0 && s.ValSplit < 1): // NaN too
		return fmt.Errorf("train: --validation-split must be in [0, 1), got %g", s.ValSplit)
	case !(s.ClipNorm >= 0) || math.IsInf(s.ClipNorm, 0):
		return fmt.Errorf("train: --clip-norm must be finite and at least 0 (0: off), got %g", s.ClipNorm)
	case s.Warmup < 0:
		return fmt.Errorf("train: --warmup must not be negative (0: 5%% of training), got %d", s.Warmup)
	case s.Limit < 0:
		return fmt.Errorf("train: --limit must not be negative, got %d", s.Limit)
	case s.CheckpointEvery < 1:
		return fmt.Errorf("train: --checkpoint-every must be at least 1, got %d", s.CheckpointEvery)
	}
	return nil
}

// schedule builds the learning-rate schedule over a run of `steps` updates.
func schedule(s runSpec, steps int) (optim.Schedule, error) {
	warm := s.Warmup
	if warm == 0 {
		warm = max(steps/20, 1)
	}
	switch strings.ToLower(s.Schedule) {
	case "constant", "":
		return optim.Constant(s.LR), nil
	case "cosine":
		return optim.Cosine{Initial: s.LR, Steps: steps}, nil
	case "step":
		return optim.StepDecay{Initial: s.LR, Gamma: 0.1, Every: max(steps/3, 1)}, nil
	case "warmup-cosine":
		return optim.WarmupCosine{Peak: s.LR, Warmup: warm, Total: steps}, nil
	case "warmup-linear":
		return optim.WarmupLinear{Peak: s.LR, Warmup: warm, Total: steps}, nil
	}
	return nil, fmt.Errorf("train: unknown --schedule %q (have constant, cosine, step, warmup-cosine, warmup-linear)", s.Schedule)
}

// loadData returns MNIST from dir, or the copy built into the binary.
// Decoding leaves the raw and decompressed bytes (about 150 MB for MNIST)
// as garbage; collecting it here, once, lets training and evaluation reuse
// that memory instead of growing the process to twice the data's size.
func loadData(dir string) (trainSet, testSet *data.Dataset, err error) {
	defer runtime.GC()
	if dir == "" {
		return mnistdata.Load()
	}
	return data.LoadMNIST(dir)
}

// saveModel writes the trained weights as model.safetensors.
func saveModel(dir string, m *nn.Model) error {
	var named []checkpoint.Named
	for _, w := range m.Weights() {
		named = append(named, checkpoint.Named{Name: w.Name, T: w.Var.Value})
	}
	return checkpoint.SaveSafetensors(filepath.Join(dir, "model.safetensors"), named, map[string]string{"model": m.Name()})
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return checkpoint.AtomicWriteFile(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// readRun loads a finished run's spec and model with its trained weights.
func readRun(dir string) (runSpec, *nn.Model, error) {
	var s runSpec
	b, err := os.ReadFile(filepath.Join(dir, runSpecFile))
	if err != nil {
		return s, nil, fmt.Errorf("%s is not a resnorm run: %w", dir, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, nil, fmt.Errorf("%s: %s is corrupt: %w", dir, runSpecFile, jsonerr.Explain(err))
	}
	m, err := buildModel(s)
	if err != nil {
		return s, nil, err
	}
	path := filepath.Join(dir, "model.safetensors")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return s, nil, fmt.Errorf("%s has no trained model yet (the run did not finish; resume it with 'resnorm train --resume %s')", dir, dir)
	}
	if err := m.LoadWeights(path); err != nil {
		return s, nil, err
	}
	return s, m, nil
}
