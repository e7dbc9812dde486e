package train

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/data"
	"github.com/resnorm/resnorm/nn"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/tensor"
)

// Config says how Fit trains. The zero value of each field is a sensible
// default where one exists (see each field).
type Config struct {
	Epochs    int // default 1
	BatchSize int // default 32
	// NoShuffle keeps the data in order (Keras shuffles by default, so do we).
	NoShuffle bool
	// Seed fixes the data order and dropout masks.
	Seed uint64

	// Validation data evaluated after each epoch; or ValidationSplit, the
	// fraction of the training data held out for it (ignored when
	// Validation is set).
	Validation      *data.Dataset
	ValidationSplit float64

	// ClipNorm > 0 clips gradients to this global norm before each update.
	ClipNorm float64

	Callbacks []Callback
	// Progress receives the progress display; nil means silent.
	Progress io.Writer

	// RunDir, when set, receives checkpoints every CheckpointEvery steps
	// (default 200) and at every epoch end, so that Resume can continue.
	RunDir          string
	CheckpointEvery int

	// Stop, when closed (e.g. on Ctrl-C), ends training between two steps:
	// Fit writes a checkpoint to RunDir (when set) and returns an error
	// wrapping ErrInterrupted, so that Resume continues exactly where the
	// run stopped and no step is lost.
	Stop <-chan struct{}
}

// check fills in the defaults of zero fields and rejects values that make
// no sense (negative counts, NaN fractions), naming the field.
func (c *Config) check() error {
	switch {
	case c.Epochs < 0:
		return fmt.Errorf("train: Config.Epochs must be at least 1 (0: the default 1), got %d", c.Epochs)
	case c.BatchSize < 0:
		return fmt.Errorf("train: Config.BatchSize must be at least 1 (0: the default 32), got %d", c.BatchSize)
	case c.CheckpointEvery < 0:
		return fmt.Errorf("train: Config.CheckpointEvery must be at least 1 (0: the default 200), got %d", c.CheckpointEvery)
	case !(c.ValidationSplit >= 0 && c.ValidationSplit < 1):
		return fmt.Errorf("train: Config.ValidationSplit must be in [0, 1), got %g", c.ValidationSplit)
	case !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 0):
		return fmt.Errorf("train: Config.ClipNorm must be finite and at least 0 (0: no clipping), got %g", c.ClipNorm)
	}
	if c.Epochs == 0 {
		c.Epochs = 1
	}
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 200
	}
	return nil
}

// Position is where a run is: the next batch to train is batch Batch of
// epoch Epoch, and Step updates have been applied in all.
type Position struct {
	Epoch, Batch, Step int
	// Sums over the current epoch's batches so far (to report exact epoch
	// metrics after a resume).
	LossSum float64
	Correct int
	Seen    int
}

// Run is the state of a Fit in progress, as callbacks see it.
type Run struct {
	Model   *nn.Model
	Opt     optim.Optimizer
	Config  Config
	Pos     Position
	History *History
	// StopTraining, set by a callback, ends Fit after the current epoch.
	StopTraining bool
}

// BatchLogs describes one finished training step.
type BatchLogs struct {
	Epoch, Batch, Step int
	Loss, Accuracy     float64 // of this batch
}

// EpochLogs describes one finished epoch: training metrics averaged over the
// epoch, validation metrics when there is validation data (else NaN).
type EpochLogs struct {
	Epoch                  int
	Loss, Accuracy         float64
	ValLoss, ValAccuracy   float64
	LR                     float64
	Seconds, SamplesPerSec float64
}

// Metric returns the named value ("loss", "accuracy", "val_loss",
// "val_accuracy") or an error for an unknown name.
func (l EpochLogs) Metric(name string) (float64, error) {
	switch name {
	case "loss":
		return l.Loss, nil
	case "accuracy":
		return l.Accuracy, nil
	case "val_loss":
		return l.ValLoss, nil
	case "val_accuracy":
		return l.ValAccuracy, nil
	}
	return 0, fmt.Errorf("train: unknown metric %q (have loss, accuracy, val_loss, val_accuracy)", name)
}

// History records every epoch's logs, as Keras's History does.
type History struct {
	Epochs []EpochLogs
}

// Fit trains m with opt on train for cfg.Epochs epochs.
func Fit(m *nn.Model, opt optim.Optimizer, train *data.Dataset, cfg Config) (*History, error) {
	return fit(m, opt, train, cfg, Position{}, &History{})
}

// ErrNonFinite is returned (wrapped) when the loss becomes NaN or infinite.
var ErrNonFinite = errors.New("loss is not finite")

// ErrInterrupted is returned (wrapped, with the position) when Config.Stop
// is closed during training.
var ErrInterrupted = errors.New("train: interrupted")

// ErrNonFiniteInput is returned (wrapped, with the sample named) by Fit,
// Evaluate and Predict when the data holds a NaN or an infinity.
var ErrNonFiniteInput = errors.New("train: the data is not finite")

func fit(m *nn.Model, opt optim.Optimizer, train *data.Dataset, cfg Config, pos Position, hist *History) (*History, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if m == nil || opt == nil {
		return nil, errors.New("train: Fit needs a model and an optimizer, got nil")
	}
	if train == nil || train.Len() == 0 {
		return nil, errors.New("train: no training data")
	}
	if train.Y == nil {
		return nil, errors.New("train: training data has no labels")
	}
	if err := checkInput(m, train); err != nil {
		return nil, err
	}
	val := cfg.Validation
	trainIdx := []int(nil)
	if val == nil && cfg.ValidationSplit > 0 {
		tr, va, err := data.SplitIndices(train.Len(), cfg.ValidationSplit, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("train: validation split: %w", err)
		}
		val = train.Subset(va)
		trainIdx = tr
	}
	loader := &data.Loader{Data: train, BatchSize: cfg.BatchSize, Shuffle: !cfg.NoShuffle, Seed: cfg.Seed, Indices: trainIdx}
	run := &Run{Model: m, Opt: opt, Config: cfg, Pos: pos, History: hist}
	params := m.TrainableVars()
	var prog *Progress
	if cfg.Progress != nil {
		prog = NewProgress(cfg.Progress)
	}
	for _, cb := range cfg.Callbacks {
		if err := cb.OnTrainBegin(run); err != nil {
			return hist, err
		}
	}
	tp := autograd.NewTape()
	steps := loader.NumBatches()
	for run.Pos.Epoch < cfg.Epochs && !run.StopTraining {
		epoch := run.Pos.Epoch
		for _, cb := range cfg.Callbacks {
			if err := cb.OnEpochBegin(run, epoch); err != nil {
				return hist, err
			}
		}
		it, err := loader.Epoch(epoch, run.Pos.Batch)
		if err != nil {
			return hist, fmt.Errorf("train: epoch %d: %w", epoch+1, err)
		}
		if prog != nil {
			prog.BeginEpoch(epoch, cfg.Epochs, steps, run.Pos.Batch)
		}
		start := time.Now()
		seenAtStart := run.Pos.Seen
		for it.Next() {
			if stopped(cfg.Stop) {
				return hist, interrupt(cfg, m, opt, run.Pos, hist)
			}
			xb, yb := it.Batch()
			loss, correct, err := step(tp, m, opt, params, xb, yb, cfg, run.Pos.Step)
			if err != nil {
				return hist, fmt.Errorf("train: epoch %d, batch %d (step %d): %w", epoch+1, it.Index()+1, run.Pos.Step+1, err)
			}
			run.Pos.Batch = it.Index() + 1
			run.Pos.Step++
			run.Pos.LossSum += loss * float64(len(yb))
			run.Pos.Correct += correct
			run.Pos.Seen += len(yb)
			bl := BatchLogs{Epoch: epoch, Batch: it.Index(), Step: run.Pos.Step, Loss: loss, Accuracy: float64(correct) / float64(len(yb))}
			for _, cb := range cfg.Callbacks {
				if err := cb.OnBatchEnd(run, bl); err != nil {
					return hist, err
				}
			}
			if prog != nil {
				prog.Step(run.Pos.Batch, run.runningMetrics())
			}
			if cfg.RunDir != "" && run.Pos.Step%cfg.CheckpointEvery == 0 && run.Pos.Batch < steps {
				if err := SaveCheckpoint(cfg.RunDir, m, opt, run.Pos, hist); err != nil {
					return hist, err
				}
			}
		}
		el := time.Since(start).Seconds()
		logs := EpochLogs{
			Epoch: epoch, LR: opt.LR(), Seconds: el,
			Loss: run.Pos.LossSum / float64(max(run.Pos.Seen, 1)), Accuracy: float64(run.Pos.Correct) / float64(max(run.Pos.Seen, 1)),
			ValLoss: math.NaN(), ValAccuracy: math.NaN(),
		}
		if el > 0 {
			logs.SamplesPerSec = float64(run.Pos.Seen-seenAtStart) / el
		}
		if val != nil && val.Len() > 0 {
			r, err := Evaluate(m, val, max(cfg.BatchSize, 256))
			if err != nil {
				return hist, fmt.Errorf("train: validation after epoch %d: %w", epoch+1, err)
			}
			logs.ValLoss, logs.ValAccuracy = r.Loss, r.Accuracy
			if prog != nil {
				prog.EndEpoch([]Metric{{"val_loss", r.Loss}, {"val_accuracy", r.Accuracy}})
			}
		}
		hist.Epochs = append(hist.Epochs, logs)
		run.Pos = Position{Epoch: epoch + 1, Step: run.Pos.Step}
		for _, cb := range cfg.Callbacks {
			if err := cb.OnEpochEnd(run, logs); err != nil {
				return hist, err
			}
		}
		if cfg.RunDir != "" {
			if err := SaveCheckpoint(cfg.RunDir, m, opt, run.Pos, hist); err != nil {
				return hist, err
			}
		}
	}
	for _, cb := range cfg.Callbacks {
		if err := cb.OnTrainEnd(run); err != nil {
			return hist, err
		}
	}
	return hist, nil
}

// stopped reports whether stop has been closed (never, for nil).
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// interrupt saves the run between two steps (when there is a RunDir) and
// returns the ErrInterrupted error that says where it stopped.
func interrupt(cfg Config, m *nn.Model, opt optim.Optimizer, pos Position, hist *History) error {
	where := fmt.Sprintf("epoch %d, batch %d (step %d)", pos.Epoch+1, pos.Batch, pos.Step)
	if cfg.RunDir == "" {
		return fmt.Errorf("%w after %s", ErrInterrupted, where)
	}
	if err := SaveCheckpoint(cfg.RunDir, m, opt, pos, hist); err != nil {
		return fmt.Errorf("%w after %s, and the checkpoint failed: %v", ErrInterrupted, where, err)
	}
	return fmt.Errorf("%w after %s; the run is saved in %s", ErrInterrupted, where, cfg.RunDir)
}

func (r *Run) runningMetrics() []Metric {
	n := float64(max(r.Pos.Seen, 1))
	return []Metric{{"loss", r.Pos.LossSum / n}, {"accuracy", float64(r.Pos.Correct) / n}}
}

// stepSeedMix spreads step numbers over the seed space for dropout RNGs.
const stepSeedMix = 0x9e3779b97f4a7c15

// step runs one forward/backward/update and returns the batch loss and the
// number of correct predictions.
func step(tp *autograd.Tape, m *nn.Model, opt optim.Optimizer, params []*autograd.Var, xb *tensor.Tensor, yb []int, cfg Config, stepNo int) (float64, int, error) {
	tp.Reset()
	ctx := &nn.Context{Tape: tp, RNG: tensor.NewRNG(cfg.Seed ^ uint64(stepNo+1)*stepSeedMix)}
	logits, err := forwardLogits(m, ctx, xb)
	if err != nil {
		return 0, 0, err
	}
	var loss *autograd.Var
	if err := autograd.Try(func() { loss = tp.SoftmaxCrossEntropy(logits, yb, autograd.NoIgnore) }); err != nil {
		return 0, 0, err
	}
	l := float64(loss.Value.Item())
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return 0, 0, fmt.Errorf("%w (%g): try a lower learning rate or gradient clipping", ErrNonFinite, l)
	}
	optim.ZeroGrad(params)
	if err := tp.Backward(loss); err != nil {
		return 0, 0, err
	}
	if cfg.ClipNorm > 0 {
		optim.ClipGlobalNorm(params, cfg.ClipNorm)
	}
	if err := opt.Step(params); err != nil {
		return 0, 0, err
	}
	return l, countCorrect(logits.Value, yb), nil
}

// forwardLogits runs m and returns pre-softmax outputs (see the package doc).
func forwardLogits(m *nn.Model, ctx *nn.Context, xb *tensor.Tensor) (*autograd.Var, error) {
	out, _, err := m.CallLogits(ctx, autograd.Const(xb))
	return out, err
}

// countCorrect counts rows of scores [N, C] whose argmax equals the label.
func countCorrect(scores *tensor.Tensor, y []int) int {
	c := scores.Shape[len(scores.Shape)-1]
	n := 0
	for i, label := range y {
		row := scores.Data[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == label {
			n++
		}
	}
	return n
}

// checkInput verifies that the dataset's samples fit the model's input.
func checkInput(m *nn.Model, ds *data.Dataset) error {
	want := m.InputShape()
	got := ds.SampleShape()
	if tensor.Numel(want) != tensor.Numel(got) {
		return fmt.Errorf("train: model %q takes inputs of shape %v but the data's samples have shape %v", m.Name(), want, got)
	}
	// A NaN or infinity in the data would only show up later as a NaN
	// loss or as garbage predictions; name the sample instead.
	if i, bad := ds.X.FirstNonFinite(); bad {
		per := max(1, tensor.Numel(got))
		return fmt.Errorf("%w: sample %d holds %v at position %d of its %d values", ErrNonFiniteInput, i/per, ds.X.Data[i], i%per, per)
	}
	return nil
}

// Result is a loss and an accuracy measured over a dataset.
type Result struct {
	Loss, Accuracy float64
	N              int
}

// Evaluate returns the mean cross-entropy and the accuracy of m on ds, in
// inference mode (moving statistics, no dropout).
func Evaluate(m *nn.Model, ds *data.Dataset, batchSize int) (Result, error) {
	if m == nil {
		return Result{}, errors.New("train: Evaluate needs a model, got nil")
	}
	if ds == nil || ds.Len() == 0 {
		return Result{}, errors.New("train: no data to evaluate")
	}
	if ds.Y == nil {
		return Result{}, errors.New("train: evaluation data has no labels")
	}
	if err := checkInput(m, ds); err != nil {
		return Result{}, err
	}
	if batchSize <= 0 {
		batchSize = 256
	}
	loader := &data.Loader{Data: ds, BatchSize: batchSize}
	it, err := loader.Epoch(0, 0)
	if err != nil {
		return Result{}, err
	}
	var lossSum float64
	correct := 0
	tp := autograd.NewInferenceTape() // one tape: its buffers serve every batch
	for it.Next() {
		xb, yb := it.Batch()
		tp.Reset()
		logits, err := forwardLogits(m, &nn.Context{Tape: tp}, xb)
		if err != nil {
			return Result{}, err
		}
		var loss *autograd.Var
		if err := autograd.Try(func() { loss = tp.SoftmaxCrossEntropy(logits, yb, autograd.NoIgnore) }); err != nil {
			return Result{}, err
		}
		lossSum += float64(loss.Value.Item()) * float64(len(yb))
		correct += countCorrect(logits.Value, yb)
	}
	n := ds.Len()
	return Result{Loss: lossSum / float64(n), Accuracy: float64(correct) / float64(n), N: n}, nil
}

// Predict runs m in inference mode over x (first axis = samples) in batches
// and returns the stacked outputs (probabilities for a softmax classifier).
func Predict(m *nn.Model, x *tensor.Tensor, batchSize int) (*tensor.Tensor, error) {
	if m == nil {
		return nil, errors.New("train: Predict needs a model, got nil")
	}
	ds, err := data.NewDataset(x, nil)
	if err != nil {
		return nil, err
	}
	if err := checkInput(m, ds); err != nil {
		return nil, err
	}
	if batchSize <= 0 {
		batchSize = 256
	}
	loader := &data.Loader{Data: ds, BatchSize: batchSize}
	it, err := loader.Epoch(0, 0)
	if err != nil {
		return nil, err
	}
	var out *tensor.Tensor
	row := 0
	tp := autograd.NewInferenceTape() // one tape: its buffers serve every batch
	for it.Next() {
		xb, _ := it.Batch()
		tp.Reset() // y of the previous batch has been copied out
		y, err := m.Forward(tp, autograd.Const(xb))
		if err != nil {
			return nil, err
		}
		if out == nil {
			shape := append([]int{ds.Len()}, y.Value.Shape[1:]...)
			out = tensor.New(shape...)
		}
		copy(out.Data[row:], y.Value.Data)
		row += len(y.Value.Data)
	}
	return out, nil
}
