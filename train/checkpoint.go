package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/data"
	"github.com/resnorm/resnorm/internal/jsonerr"
	"github.com/resnorm/resnorm/nn"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/tensor"
)

// CheckpointFile is the name of the resumable checkpoint inside a run
// directory: model weights (names prefixed "model/"), optimizer state
// ("optim/"), and in its metadata the position and the history so far.
const CheckpointFile = "checkpoint.safetensors"

// SaveCheckpoint writes the resumable state of a run atomically.
func SaveCheckpoint(dir string, m *nn.Model, opt optim.Optimizer, pos Position, hist *History) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	var named []checkpoint.Named
	for _, w := range m.Weights() {
		named = append(named, checkpoint.Named{Name: "model/" + w.Name, T: w.Var.Value})
	}
	for _, s := range opt.State() {
		named = append(named, checkpoint.Named{Name: "optim/" + s.Name, T: s.T})
	}
	posJSON, _ := json.Marshal(pos)
	histJSON, err := json.Marshal(historyJSON(hist))
	if err != nil {
		return err
	}
	meta := map[string]string{"format": "resnorm-checkpoint-v1", "position": string(posJSON), "history": string(histJSON)}
	if cfgJSON, err := m.MarshalConfig(); err == nil { // for inspection; Resume rebuilds the model from code
		meta["model_config"] = string(cfgJSON)
	}
	if err := checkpoint.SaveSafetensors(filepath.Join(dir, CheckpointFile), named, meta); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// LoadCheckpoint restores weights and optimizer state from dir into m and
// opt (which must be built like the ones saved) and returns the position
// and history. Errors name the file and the offending tensor.
func LoadCheckpoint(dir string, m *nn.Model, opt optim.Optimizer) (Position, *History, error) {
	path := filepath.Join(dir, CheckpointFile)
	named, meta, err := checkpoint.LoadSafetensors(path)
	if err != nil {
		return Position{}, nil, fmt.Errorf("train: %w", err)
	}
	if meta["format"] != "resnorm-checkpoint-v1" {
		return Position{}, nil, fmt.Errorf("train: %s is not a resnorm training checkpoint", path)
	}
	byName := map[string]*tensor.Tensor{}
	var optState []checkpoint.Named
	for _, n := range named {
		if rest, ok := strings.CutPrefix(n.Name, "optim/"); ok {
			optState = append(optState, checkpoint.Named{Name: rest, T: n.T})
		} else {
			byName[n.Name] = n.T
		}
	}
	for _, w := range m.Weights() {
		t, ok := byName["model/"+w.Name]
		if !ok {
			return Position{}, nil, fmt.Errorf("train: %s has no weight %q", path, w.Name)
		}
		if !tensor.SameShape(t.Shape, w.Var.Value.Shape) {
			return Position{}, nil, fmt.Errorf("train: %s: weight %q has shape %v, the model needs %v", path, w.Name, t.Shape, w.Var.Value.Shape)
		}
		copy(w.Var.Value.Data, t.Data)
	}
	if err := opt.LoadState(optState); err != nil {
		return Position{}, nil, fmt.Errorf("train: %s: optimizer state: %w", path, err)
	}
	var pos Position
	if err := json.Unmarshal([]byte(meta["position"]), &pos); err != nil {
		return Position{}, nil, fmt.Errorf("train: %s: bad position: %w", path, jsonerr.Explain(err))
	}
	var hj []epochJSON
	if err := json.Unmarshal([]byte(meta["history"]), &hj); err != nil {
		return Position{}, nil, fmt.Errorf("train: %s: bad history: %w", path, jsonerr.Explain(err))
	}
	hist := &History{}
	for _, e := range hj {
		hist.Epochs = append(hist.Epochs, e.logs())
	}
	return pos, hist, nil
}

// Resume continues the run checkpointed in cfg.RunDir: m and opt must be
// built as they were (the CLI rebuilds them from the run's saved config),
// and train and cfg must be the same as for the original Fit.
func Resume(m *nn.Model, opt optim.Optimizer, train *data.Dataset, cfg Config) (*History, error) {
	if cfg.RunDir == "" {
		return nil, errors.New("train: Resume needs Config.RunDir")
	}
	pos, hist, err := LoadCheckpoint(cfg.RunDir, m, opt)
	if err != nil {
		return nil, err
	}
	return fit(m, opt, train, cfg, pos, hist)
}

// epochJSON is EpochLogs with NaN (no validation) written as null.
type epochJSON struct {
	Epoch         int      `json:"epoch"`
	Loss          float64  `json:"loss"`
	Accuracy      float64  `json:"accuracy"`
	ValLoss       *float64 `json:"val_loss,omitempty"`
	ValAccuracy   *float64 `json:"val_accuracy,omitempty"`
	LR            float64  `json:"lr"`
	Seconds       float64  `json:"seconds"`
	SamplesPerSec float64  `json:"samples_per_sec"`
}

func toEpochJSON(l EpochLogs) epochJSON {
	e := epochJSON{Epoch: l.Epoch + 1, Loss: l.Loss, Accuracy: l.Accuracy, LR: l.LR, Seconds: l.Seconds, SamplesPerSec: l.SamplesPerSec}
	if l.ValLoss == l.ValLoss { // not NaN
		v, a := l.ValLoss, l.ValAccuracy
		e.ValLoss, e.ValAccuracy = &v, &a
	}
	return e
}

func (e epochJSON) logs() EpochLogs {
	l := EpochLogs{Epoch: e.Epoch - 1, Loss: e.Loss, Accuracy: e.Accuracy, LR: e.LR, Seconds: e.Seconds, SamplesPerSec: e.SamplesPerSec}
	l.ValLoss, l.ValAccuracy = nan(), nan()
	if e.ValLoss != nil && e.ValAccuracy != nil {
		l.ValLoss, l.ValAccuracy = *e.ValLoss, *e.ValAccuracy
	}
	return l
}

func historyJSON(h *History) []epochJSON {
	out := []epochJSON{}
	if h == nil {
		return out
	}
	for _, l := range h.Epochs {
		out = append(out, toEpochJSON(l))
	}
	return out
}
