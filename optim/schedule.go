package optim

import "math"

// Schedule gives the learning rate for an update. step is the number of
// updates done before this one: the first update uses LR(0).
type Schedule interface {
	LR(step int) float64
}

// Constant is a fixed learning rate.
type Constant float64

// LR returns c for every step.
func (c Constant) LR(int) float64 { return float64(c) }

// ScheduleFunc adapts a function to a Schedule (Keras's
// LearningRateScheduler, per step).
type ScheduleFunc func(step int) float64

// LR calls f.
func (f ScheduleFunc) LR(step int) float64 { return f(step) }

// StepDecay multiplies the rate by Gamma every Every steps (PyTorch's
// StepLR counted in updates): Initial · Gamma^⌊step/Every⌋.
type StepDecay struct {
	Initial float64
	Gamma   float64
	Every   int // steps between drops; < 1 means never drop
}

// LR returns the decayed rate.
func (s StepDecay) LR(step int) float64 {
	if s.Every < 1 {
		return s.Initial
	}
	return s.Initial * math.Pow(s.Gamma, float64(step/s.Every))
}

// Cosine anneals from Initial to Floor over Steps steps along half a cosine
// and stays at Floor after (Keras's CosineDecay with alpha = Floor/Initial):
//
//	Floor + (Initial − Floor) · (1 + cos(π · step/Steps)) / 2
type Cosine struct {
	Initial float64
	Floor   float64
	Steps   int
}

// LR returns the annealed rate.
func (c Cosine) LR(step int) float64 { return cosine(c.Initial, c.Floor, step, c.Steps) }

// WarmupLinear rises linearly to Peak over Warmup steps, reaching it at
// step Warmup−1 (Peak·(step+1)/Warmup, so the first update is not wasted on
// a zero rate), then falls linearly to Floor at step Total and stays there.
type WarmupLinear struct {
	Peak   float64
	Floor  float64
	Warmup int
	Total  int
}

// LR returns the rate at step.
func (w WarmupLinear) LR(step int) float64 {
	if step < w.Warmup {
		return w.Peak * float64(step+1) / float64(w.Warmup)
	}
	n := w.Total - w.Warmup
	if n <= 0 || step >= w.Total {
		return w.Floor
	}
	return w.Peak + (w.Floor-w.Peak)*float64(step-w.Warmup)/float64(n)
}

// WarmupCosine rises linearly to Peak over Warmup steps like WarmupLinear,
// then follows a half cosine from Peak to Floor at step Total, and stays at
// Floor (the usual Transformer recipe).
type WarmupCosine struct {
	Peak   float64
	Floor  float64
	Warmup int
	Total  int
}

// LR returns the rate at step.
func (w WarmupCosine) LR(step int) float64 {
	if step < w.Warmup {
		return w.Peak * float64(step+1) / float64(w.Warmup)
	}
	return cosine(w.Peak, w.Floor, step-w.Warmup, w.Total-w.Warmup)
}

func cosine(from, to float64, step, steps int) float64 {
	if steps <= 0 || step >= steps {
		return to
	}
	return to + (from-to)*(1+math.Cos(math.Pi*float64(step)/float64(steps)))/2
}
