package optim

import (
	"fmt"
	"math"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/internal/kernels"
)

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, as torch.optim.SGD (dampening 0). For each
// parameter p with gradient g, at learning rate lr:
//
//	d = g + WeightDecay·p
//	b = Momentum·b + d              (b starts at zero)
//	d = d + Momentum·b if Nesterov, else d = b
//	p = p − lr·d
//
// Keras folds lr into the velocity instead (v = m·v − lr·g); the two agree
// while lr is constant. State: "sgd/momentum/<param>" when Momentum > 0.
type SGD struct {
	Momentum    float64 // 0 (default) for plain SGD
	Nesterov    bool
	WeightDecay float64 // L2 penalty coefficient, added to the gradient
	c           core
}

// NewSGD returns plain SGD with learning rate lr (Keras's default is 0.01).
func NewSGD(lr float64) *SGD {
	return &SGD{c: newCore("sgd", lr, "momentum")}
}

// Step applies one update; see Optimizer.
func (o *SGD) Step(params []*autograd.Var) error {
	if !(o.Momentum >= 0) || (o.Nesterov && o.Momentum == 0) || math.IsNaN(o.WeightDecay) {
		return fmt.Errorf("optim: SGD momentum %v (nesterov %v), weight decay %v: momentum must be ≥ 0, and > 0 for Nesterov",
			o.Momentum, o.Nesterov, o.WeightDecay)
	}
	nbuf := 0
	if o.Momentum > 0 {
		nbuf = 1
	}
	ws, err := o.c.prepare(params, nbuf)
	if err != nil {
		return err
	}
	lr := float32(o.c.lr())
	for _, w := range ws {
		var buf []float32
		if nbuf > 0 {
			buf = w.s.bufs[0].Data
		}
		kernels.SGDUpdate(w.v.Value.Data, w.v.Grad.Data, buf, lr, float32(o.Momentum), float32(o.WeightDecay), o.Nesterov)
	}
	o.c.done()
	return nil
}

// StepCount returns the number of updates applied.
func (o *SGD) StepCount() int { return o.c.step }

// LR returns the learning rate of the next update.
func (o *SGD) LR() float64 { return o.c.lr() }

// SetLR sets a constant learning rate.
func (o *SGD) SetLR(lr float64) { o.c.schedule = Constant(lr) }

// SetSchedule makes the learning rate follow s.
func (o *SGD) SetSchedule(s Schedule) { o.c.setSchedule(s) }

// State returns the step count and momentum buffers.
func (o *SGD) State() []checkpoint.Named { return o.c.state() }

// LoadState restores what State returned.
func (o *SGD) LoadState(state []checkpoint.Named) error { return o.c.loadState(state) }
