package train

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/resnorm/resnorm/checkpoint"
)

// Callback hooks into Fit, as Keras callbacks do. Embed BaseCallback to
// implement only the hooks you need. A returned error stops Fit.
type Callback interface {
	OnTrainBegin(r *Run) error
	OnEpochBegin(r *Run, epoch int) error
	OnBatchEnd(r *Run, logs BatchLogs) error
	OnEpochEnd(r *Run, logs EpochLogs) error
	OnTrainEnd(r *Run) error
}

// BaseCallback implements every Callback hook as a no-op.
type BaseCallback struct{}

func (BaseCallback) OnTrainBegin(*Run) error          { return nil }
func (BaseCallback) OnEpochBegin(*Run, int) error     { return nil }
func (BaseCallback) OnBatchEnd(*Run, BatchLogs) error { return nil }
func (BaseCallback) OnEpochEnd(*Run, EpochLogs) error { return nil }
func (BaseCallback) OnTrainEnd(*Run) error            { return nil }

func nan() float64 { return math.NaN() }

// better reports whether v improves on best by more than minDelta for the
// monitored metric (losses go down, accuracies up).
func better(monitor string, v, best, minDelta float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if math.IsNaN(best) {
		return true
	}
	if strings.Contains(monitor, "acc") {
		return v > best+minDelta
	}
	return v < best-minDelta
}

// EarlyStopping stops training when Monitor (default "val_loss") has not
// improved by more than MinDelta for Patience epochs; with RestoreBest it
// puts back the weights of the best epoch.
type EarlyStopping struct {
	BaseCallback
	Monitor     string
	Patience    int
	MinDelta    float64
	RestoreBest bool

	best    float64
	wait    int
	bestW   [][]float32
	Stopped int // epoch (1-based) at which training was stopped; 0 if not
}

func (e *EarlyStopping) OnTrainBegin(*Run) error {
	if e.Monitor == "" {
		e.Monitor = "val_loss"
	}
	e.best, e.wait, e.Stopped = nan(), 0, 0
	return nil
}

func (e *EarlyStopping) OnEpochEnd(r *Run, l EpochLogs) error {
	v, err := l.Metric(e.Monitor)
	if err != nil {
		return err
	}
	if better(e.Monitor, v, e.best, e.MinDelta) {
		e.best, e.wait = v, 0
		if e.RestoreBest {
			e.bestW = e.bestW[:0]
			for _, w := range r.Model.Weights() {
				e.bestW = append(e.bestW, append([]float32(nil), w.Var.Value.Data...))
			}
		}
		return nil
	}
	e.wait++
	if e.wait >= max(e.Patience, 1) { // Keras: stop once Patience epochs in a row brought no improvement
		r.StopTraining = true
		e.Stopped = l.Epoch + 1
		if e.RestoreBest && e.bestW != nil {
			for i, w := range r.Model.Weights() {
				copy(w.Var.Value.Data, e.bestW[i])
			}
		}
	}
	return nil
}

// ModelCheckpoint saves the model's weights (safetensors) to Path after each
// epoch, or only when Monitor improves if SaveBestOnly.
type ModelCheckpoint struct {
	BaseCallback
	Path         string
	Monitor      string // default "val_loss"
	SaveBestOnly bool
	best         float64
}

func (c *ModelCheckpoint) OnTrainBegin(*Run) error {
	if c.Monitor == "" {
		c.Monitor = "val_loss"
	}
	c.best = nan()
	return nil
}

func (c *ModelCheckpoint) OnEpochEnd(r *Run, l EpochLogs) error {
	if c.SaveBestOnly {
		v, err := l.Metric(c.Monitor)
		if err != nil {
			return err
		}
		if !better(c.Monitor, v, c.best, 0) {
			return nil
		}
		c.best = v
	}
	var named []checkpoint.Named
	for _, w := range r.Model.Weights() {
		named = append(named, checkpoint.Named{Name: w.Name, T: w.Var.Value})
	}
	meta := map[string]string{"epoch": fmt.Sprint(l.Epoch + 1), c.Monitor: fmt.Sprint(must(l.Metric(c.Monitor)))}
	return checkpoint.SaveSafetensors(c.Path, named, meta)
}

func must(v float64, _ error) float64 { return v }

// CSVLogger appends one row per epoch to Path (a header first when the file
// is new), like Keras's CSVLogger.
type CSVLogger struct {
	BaseCallback
	Path string
}

func (c *CSVLogger) OnEpochEnd(_ *Run, l EpochLogs) error {
	return appendLine(c.Path, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,samples_per_sec",
		fmt.Sprintf("%d,%.6g,%.6g,%s,%s,%.6g,%.3f,%.1f", l.Epoch+1, l.Loss, l.Accuracy, csvNum(l.ValLoss), csvNum(l.ValAccuracy), l.LR, l.Seconds, l.SamplesPerSec))
}

func csvNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf("%.6g", v)
}

// JSONLLogger appends one JSON object per epoch to Path.
type JSONLLogger struct {
	BaseCallback
	Path string
}

func (j *JSONLLogger) OnEpochEnd(_ *Run, l EpochLogs) error {
	b, err := json.Marshal(toEpochJSON(l))
	if err != nil {
		return err
	}
	return appendLine(j.Path, "", string(b))
}

// appendLine appends line to path (and header first when the file is new
// and header != ""), syncing so a crash loses at most the line being written.
func appendLine(path, header, line string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	var w io.Writer = f
	if os.IsNotExist(statErr) && header != "" {
		fmt.Fprintln(w, header)
	}
	fmt.Fprintln(w, line)
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LRScheduler sets the optimizer's learning rate at the start of each epoch
// from Schedule(epoch, currentLR), like Keras's LearningRateScheduler. (For
// per-step schedules give the optimizer an optim.Schedule instead.)
type LRScheduler struct {
	BaseCallback
	Schedule func(epoch int, lr float64) float64
}

func (s *LRScheduler) OnEpochBegin(r *Run, epoch int) error {
	lr := s.Schedule(epoch, r.Opt.LR())
	if math.IsNaN(lr) || lr < 0 {
		return fmt.Errorf("train: LRScheduler gave learning rate %g for epoch %d", lr, epoch+1)
	}
	r.Opt.SetLR(lr)
	return nil
}
