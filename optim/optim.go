// Package optim updates a model's parameters from their gradients: SGD
// (momentum, Nesterov, L2 weight decay), Adam and AdamW, learning-rate
// schedules, and global-norm gradient clipping.
//
// An optimizer's state (step count, momentum buffers, moment estimates) is a
// list of named tensors, saved next to the model's weights in a checkpoint
// and restored with LoadState, so a resumed run continues bit for bit. State
// is keyed by parameter name, so every parameter an optimizer updates needs
// a unique name (layers name theirs, e.g. "conv2d_1/kernel"); the order of
// parameters does not matter.
//
// The learning rate and its schedule are configuration, not state: rebuild
// them from the run's configuration when resuming. Schedules take the step
// count from the optimizer, so a restored optimizer resumes its schedule.
//
// Updates follow PyTorch's torch.optim formulas (see each type), checked
// against PyTorch in the tests; the defaults are Keras's.
package optim

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter that requires a gradient
	// and has one (others are skipped), with the learning rate the schedule
	// gives for the current step, then advances the step count. It returns
	// an error, before changing anything, on unnamed or duplicate-named
	// parameters, gradients of the wrong shape, or restored state that does
	// not match a parameter.
	Step(params []*autograd.Var) error
	// StepCount is the number of updates applied so far.
	StepCount() int
	// LR is the learning rate the next Step will use.
	LR() float64
	// SetLR replaces the schedule with a constant learning rate.
	SetLR(lr float64)
	// SetSchedule makes the learning rate follow s, indexed by step count.
	SetSchedule(s Schedule)
	// State returns the optimizer's state as named tensors, sorted by name.
	State() []checkpoint.Named
	// LoadState restores state written by State. The tensors are copied.
	LoadState(state []checkpoint.Named) error
}

// New returns the named optimizer ("sgd", "adam" or "adamw", any case)
// with its default settings and learning rate lr.
func New(name string, lr float64) (Optimizer, error) {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("optim: learning rate must be finite and at least 0, got %g", lr)
	}
	switch strings.ToLower(name) {
	case "sgd":
		return NewSGD(lr), nil
	case "adam":
		return NewAdam(lr), nil
	case "adamw":
		return NewAdamW(lr), nil
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q (want sgd, adam or adamw)", name)
}

// ZeroGrad clears the gradients of params, ready for the next backward pass.
func ZeroGrad(params []*autograd.Var) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

// stepKey holds the step count: a [2] tensor {hi, lo} with step = hi·2^24 + lo,
// so both halves are integers float32 holds exactly.
const stepKey = "optim/step"

func encodeStep(n int) *tensor.Tensor {
	return tensor.MustFromSlice([]float32{float32(n >> 24), float32(n & (1<<24 - 1))}, 2)
}

func decodeStep(t *tensor.Tensor) (int, error) {
	if len(t.Data) != 2 {
		return 0, fmt.Errorf("optim: state tensor %q has shape %v, want [2]", stepKey, t.Shape)
	}
	hi, lo := t.Data[0], t.Data[1]
	if hi < 0 || lo < 0 || lo >= 1<<24 || hi >= 1<<24 || hi != float32(int(hi)) || lo != float32(int(lo)) {
		return 0, fmt.Errorf("optim: state tensor %q holds %v, not a step count", stepKey, t.Data)
	}
	return int(hi)<<24 | int(lo), nil
}

// slot is the per-parameter state: one tensor per kind (e.g. Adam's m and v).
type slot struct {
	bufs []*tensor.Tensor
	mark uint64 // the Step call that last claimed it, to catch duplicate names
}

// core is what every optimizer shares: the schedule, the step count and
// the per-parameter state keyed by name.
type core struct {
	kind     string   // state key prefix, e.g. "adam"
	bufNames []string // slot tensor kinds, e.g. "m", "v"
	schedule Schedule
	step     int
	slots    map[string]*slot
	calls    uint64 // Step calls, successful or not
	// restored is set by LoadState with a nonzero step: the next Step must
	// find restored state for every parameter it updates.
	restored bool
	work     []work // reused across steps
}

type work struct {
	v *autograd.Var
	s *slot
}

func newCore(kind string, lr float64, bufNames ...string) core {
	return core{kind: kind, bufNames: bufNames, schedule: Constant(lr), slots: map[string]*slot{}}
}

func (c *core) key(buf, name string) string { return c.kind + "/" + buf + "/" + name }

// prepare checks params and returns those to update with their state,
// creating zero state (nbuf tensors) for parameters seen for the first
// time. It changes no parameter, so a failed Step leaves the model as it was.
func (c *core) prepare(params []*autograd.Var, nbuf int) ([]work, error) {
	if lr := c.lr(); !(lr >= 0) || math.IsInf(lr, 0) { // also NaN from a schedule
		return nil, fmt.Errorf("optim: learning rate %g at step %d: it must be finite and at least 0", lr, c.step)
	}
	c.calls++
	c.work = c.work[:0]
	for i, v := range params {
		if v == nil || !v.RequiresGrad() || v.Grad == nil {
			continue
		}
		if v.Name == "" {
			return nil, fmt.Errorf("optim: parameter %d (shape %v) has no name; optimizer state is keyed by name", i, v.Value.Shape)
		}
		if !tensor.SameShape(v.Grad.Shape, v.Value.Shape) {
			return nil, fmt.Errorf("optim: parameter %q has shape %v but its gradient %v", v.Name, v.Value.Shape, v.Grad.Shape)
		}
		s := c.slots[v.Name]
		if s == nil {
			s = &slot{}
			c.slots[v.Name] = s
		}
		for k := len(s.bufs); k < nbuf; k++ {
			if c.restored {
				return nil, fmt.Errorf("optim: restored state has no %q for parameter %q", c.key(c.bufNames[k], v.Name), v.Name)
			}
			s.bufs = append(s.bufs, tensor.New(v.Value.Shape...))
		}
		for k, b := range s.bufs {
			if !tensor.SameShape(b.Shape, v.Value.Shape) {
				return nil, fmt.Errorf("optim: state %q has shape %v but parameter %q has shape %v",
					c.key(c.bufNames[k], v.Name), b.Shape, v.Name, v.Value.Shape)
			}
		}
		if s.mark == c.calls {
			return nil, fmt.Errorf("optim: two parameters are named %q", v.Name)
		}
		s.mark = c.calls
		c.work = append(c.work, work{v, s})
	}
	return c.work, nil
}

// done ends a successful Step.
func (c *core) done() {
	c.step++
	c.restored = false
}

func (c *core) state() []checkpoint.Named {
	out := []checkpoint.Named{{Name: stepKey, T: encodeStep(c.step)}}
	for name, s := range c.slots {
		for k, b := range s.bufs {
			out = append(out, checkpoint.Named{Name: c.key(c.bufNames[k], name), T: b.Clone()})
		}
	}
	slices.SortFunc(out, func(a, b checkpoint.Named) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// loadState validates every tensor before replacing any state.
func (c *core) loadState(state []checkpoint.Named) error {
	step := -1
	slots := map[string]*slot{}
	for _, nt := range state {
		if nt.T == nil {
			return fmt.Errorf("optim: state tensor %q is nil", nt.Name)
		}
		if nt.Name == stepKey {
			n, err := decodeStep(nt.T)
			if err != nil {
				return err
			}
			step = n
			continue
		}
		k, name := c.parseKey(nt.Name)
		if k < 0 {
			return fmt.Errorf("optim: unexpected tensor %q in %s state (want %s and %s/{%s}/<parameter>)",
				nt.Name, c.kind, stepKey, c.kind, strings.Join(c.bufNames, ","))
		}
		s := slots[name]
		if s == nil {
			s = &slot{bufs: make([]*tensor.Tensor, len(c.bufNames))}
			slots[name] = s
		}
		if s.bufs[k] != nil {
			return fmt.Errorf("optim: state tensor %q appears twice", nt.Name)
		}
		s.bufs[k] = nt.T.Clone()
	}
	if step < 0 {
		return fmt.Errorf("optim: %s state has no %q tensor", c.kind, stepKey)
	}
	for name, s := range slots {
		for k, b := range s.bufs {
			if b == nil {
				return fmt.Errorf("optim: state has no %q for parameter %q", c.key(c.bufNames[k], name), name)
			}
			if !tensor.SameShape(b.Shape, s.bufs[0].Shape) {
				return fmt.Errorf("optim: state %q has shape %v but %q has %v",
					c.key(c.bufNames[k], name), b.Shape, c.key(c.bufNames[0], name), s.bufs[0].Shape)
			}
		}
	}
	c.step, c.slots, c.restored = step, slots, step > 0
	return nil
}

// parseKey splits "<kind>/<buf>/<name>" into the buf index and the name;
// the index is -1 when the key is not one of this optimizer's.
func (c *core) parseKey(key string) (int, string) {
	rest, ok := strings.CutPrefix(key, c.kind+"/")
	if !ok {
		return -1, ""
	}
	for k, b := range c.bufNames {
		if name, ok := strings.CutPrefix(rest, b+"/"); ok && name != "" {
			return k, name
		}
	}
	return -1, ""
}

func (c *core) lr() float64 { return c.schedule.LR(c.step) }

func (c *core) setSchedule(s Schedule) {
	if s == nil {
		panic("optim: SetSchedule(nil)")
	}
	c.schedule = s
}
