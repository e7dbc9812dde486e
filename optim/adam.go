package optim

import (
	"fmt"
	"math"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/internal/kernels"
)

// Adam is the Adam optimizer (Kingma & Ba, 2015), and AdamW (Loshchilov &
// Hutter, 2019) when Decoupled is set. At update t = 1, 2, … with
// learning rate lr, for each parameter p with gradient g:
//
//	p = p − lr·WeightDecay·p        (AdamW only: decoupled weight decay)
//	g = g + WeightDecay·p           (Adam only: L2 penalty)
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p = p − lr · m̂ / (sqrt(v̂) + ε),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t)
//
// exactly as torch.optim.Adam / AdamW. Keras adds ε to sqrt(v) before the
// bias correction instead (its ε is scaled by sqrt(1−β2^t)); with ε = 1e-7
// the two differ only where sqrt(v̂) is itself near 1e-7. t is the
// optimizer's step count (as in Keras), also for a parameter that had no
// gradient on earlier steps. State: "adam/m/<param>", "adam/v/<param>".
type Adam struct {
	Beta1       float64 // default 0.9
	Beta2       float64 // default 0.999
	Epsilon     float64 // default 1e-7 (Keras; PyTorch uses 1e-8)
	WeightDecay float64 // Adam: L2 coefficient (default 0); AdamW: decay rate (default 0.01)
	Decoupled   bool    // true for AdamW
	c           core
}

// NewAdam returns Adam with Keras's defaults and learning rate lr (Keras's
// default is 1e-3).
func NewAdam(lr float64) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, c: newCore("adam", lr, "m", "v")}
}

// NewAdamW returns AdamW: Adam with decoupled weight decay 0.01 (PyTorch's
// default) and learning rate lr.
func NewAdamW(lr float64) *Adam {
	o := NewAdam(lr)
	o.WeightDecay, o.Decoupled = 0.01, true
	return o
}

// Step applies one update; see Optimizer.
func (o *Adam) Step(params []*autograd.Var) error {
	if !(o.Beta1 >= 0 && o.Beta1 < 1 && o.Beta2 >= 0 && o.Beta2 < 1 && o.Epsilon >= 0) || math.IsNaN(o.WeightDecay) {
		return fmt.Errorf("optim: Adam betas (%v, %v) must lie in [0, 1) and epsilon %v must be ≥ 0", o.Beta1, o.Beta2, o.Epsilon)
	}
	ws, err := o.c.prepare(params, 2)
	if err != nil {
		return err
	}
	lr := o.c.lr()
	t := float64(o.c.step + 1)
	a := kernels.AdamParams{
		StepSize:   float32(lr / (1 - math.Pow(o.Beta1, t))),
		Beta1:      float32(o.Beta1),
		Beta2:      float32(o.Beta2),
		OneMinusB1: float32(1 - o.Beta1),
		OneMinusB2: float32(1 - o.Beta2),
		BC2Sqrt:    float32(math.Sqrt(1 - math.Pow(o.Beta2, t))),
		Eps:        float32(o.Epsilon),
		Decay:      1,
	}
	if o.Decoupled {
		a.Decay = float32(1 - lr*o.WeightDecay)
	} else {
		a.WeightDecay = float32(o.WeightDecay)
	}
	for _, w := range ws {
		kernels.AdamUpdate(w.v.Value.Data, w.v.Grad.Data, w.s.bufs[0].Data, w.s.bufs[1].Data, a)
	}
	o.c.done()
	return nil
}

// StepCount returns the number of updates applied.
func (o *Adam) StepCount() int { return o.c.step }

// LR returns the learning rate of the next update.
func (o *Adam) LR() float64 { return o.c.lr() }

// SetLR sets a constant learning rate.
func (o *Adam) SetLR(lr float64) { o.c.schedule = Constant(lr) }

// SetSchedule makes the learning rate follow s.
func (o *Adam) SetSchedule(s Schedule) { o.c.setSchedule(s) }

// State returns the step count and moment estimates.
func (o *Adam) State() []checkpoint.Named { return o.c.state() }

// LoadState restores what State returned.
func (o *Adam) LoadState(state []checkpoint.Named) error { return o.c.loadState(state) }
