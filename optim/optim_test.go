package optim

import (
	"bytes"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/internal/testutil"
	"github.com/resnorm/resnorm/tensor"
)

// goldenCases pairs each PyTorch golden file (scripts/golden/gen_optim.py)
// with the same optimizer configured in Go.
var goldenCases = []struct {
	name string
	make func() Optimizer
}{
	{"sgd", func() Optimizer { return NewSGD(0.1) }},
	{"sgd_momentum", func() Optimizer { o := NewSGD(0.1); o.Momentum, o.WeightDecay = 0.9, 1e-2; return o }},
	{"sgd_nesterov", func() Optimizer { o := NewSGD(0.1); o.Momentum, o.Nesterov = 0.9, true; return o }},
	{"adam", func() Optimizer { return NewAdam(1e-2) }},
	{"adam_l2", func() Optimizer { o := NewAdam(1e-2); o.WeightDecay = 0.1; return o }},
	{"adamw", func() Optimizer { o := NewAdamW(1e-2); o.WeightDecay = 0.5; return o }},
}

var paramNames = []string{"a", "b"}

// Float32 rounding differs from PyTorch's only by fused multiply-adds and
// operation order: a few ulps of the values after 5 steps.
const rtol, atol = 1e-6, 1e-7

func assertClose(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	if !tensor.AllClose(got, want, rtol, atol) {
		d, i := tensor.MaxAbsDiff(got, want)
		t.Errorf("%s: max |diff| %g at %d (got %v, want %v)", what, d, i, got.Data[i], want.Data[i])
	}
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			g, err := testutil.LoadGolden("optim_" + c.name)
			if err != nil {
				t.Fatal(err)
			}
			var lrs []float64
			var steps int
			g.Attr("lrs", &lrs)
			g.Attr("steps", &steps)
			o := c.make()
			o.SetSchedule(ScheduleFunc(func(step int) float64 { return lrs[step] }))
			params := make([]*autograd.Var, len(paramNames))
			for i, n := range paramNames {
				params[i] = autograd.NewParam(g.T("p0/"+n), n)
			}
			for k := range steps {
				if got := o.LR(); got != lrs[k] {
					t.Fatalf("step %d: LR() = %v, want %v", k, got, lrs[k])
				}
				for _, p := range params {
					p.Grad = g.T(fmt.Sprintf("g%d/%s", k, p.Name))
				}
				if err := o.Step(params); err != nil {
					t.Fatal(err)
				}
				for _, p := range params {
					assertClose(t, fmt.Sprintf("step %d %s", k+1, p.Name), p.Value, g.T(fmt.Sprintf("p%d/%s", k+1, p.Name)))
				}
			}
			if o.StepCount() != steps {
				t.Errorf("StepCount %d, want %d", o.StepCount(), steps)
			}
			// The state matches PyTorch's buffers of the same name.
			for _, nt := range o.State() {
				if nt.Name == stepKey {
					if n, _ := decodeStep(nt.T); n != steps {
						t.Errorf("state step %d, want %d", n, steps)
					}
					continue
				}
				if !g.Has(nt.Name) {
					t.Fatalf("state %q has no golden counterpart", nt.Name)
				}
				assertClose(t, nt.Name, nt.T, g.T(nt.Name))
			}
		})
	}
}

// newParams returns named parameters with deterministic values and
// gradient buffers.
func newParams(seed uint64, shapes map[string][]int) []*autograd.Var {
	rng := tensor.NewRNG(seed)
	var ps []*autograd.Var
	for _, n := range []string{"w", "b", "big"} {
		s, ok := shapes[n]
		if !ok {
			continue
		}
		p := autograd.NewParam(tensor.RandNormal(rng, 0, 1, s...), n)
		p.Grad = tensor.New(s...)
		ps = append(ps, p)
	}
	return ps
}

// setGrads fills the gradients with values that depend on the step and
// the parameter's name (not its position).
func setGrads(ps []*autograd.Var, step int) {
	for _, p := range ps {
		j := int(p.Name[0])
		for i := range p.Grad.Data {
			p.Grad.Data[i] = float32(math.Sin(float64(i*7+j*3+step*11))) + 0.1*p.Value.Data[i]
		}
	}
}

func sameBits(t *testing.T, what string, a, b []*autograd.Var) {
	t.Helper()
	for i := range a {
		for j := range a[i].Value.Data {
			if math.Float32bits(a[i].Value.Data[j]) != math.Float32bits(b[i].Value.Data[j]) {
				t.Fatalf("%s: %s[%d] = %v vs %v", what, a[i].Name, j, a[i].Value.Data[j], b[i].Value.Data[j])
			}
		}
	}
}

// Saving after 3 steps (through safetensors bytes), loading into a fresh
// optimizer and continuing gives the same bits as never stopping.
func TestStateRoundTrip(t *testing.T) {
	shapes := map[string][]int{"w": {4, 3}, "b": {3}}
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			sched := WarmupCosine{Peak: 0.05, Floor: 0.001, Warmup: 2, Total: 8}
			run := func(o Optimizer, ps []*autograd.Var, from, to int) {
				for k := from; k < to; k++ {
					setGrads(ps, k)
					if err := o.Step(ps); err != nil {
						t.Fatal(err)
					}
				}
			}
			straight, ps1 := c.make(), newParams(1, shapes)
			straight.SetSchedule(sched)
			run(straight, ps1, 0, 8)

			first, ps2 := c.make(), newParams(1, shapes)
			first.SetSchedule(sched)
			run(first, ps2, 0, 3)
			var buf bytes.Buffer
			if err := checkpoint.WriteSafetensors(&buf, first.State(), nil); err != nil {
				t.Fatal(err)
			}
			state, _, err := checkpoint.ReadSafetensors(&buf)
			if err != nil {
				t.Fatal(err)
			}
			resumed := c.make()
			resumed.SetSchedule(sched)
			// Parameter order must not matter: state is keyed by name.
			ps2[0], ps2[1] = ps2[1], ps2[0]
			if err := resumed.LoadState(state); err != nil {
				t.Fatal(err)
			}
			if resumed.StepCount() != 3 || resumed.LR() != sched.LR(3) {
				t.Fatalf("restored step %d, lr %v", resumed.StepCount(), resumed.LR())
			}
			run(resumed, ps2, 3, 8)
			ps2[0], ps2[1] = ps2[1], ps2[0]
			sameBits(t, "resumed vs uninterrupted", ps1, ps2)
		})
	}
}

func TestStepErrors(t *testing.T) {
	mk := func(name string, shape ...int) *autograd.Var {
		v := autograd.NewParam(tensor.Ones(shape...), name)
		v.Grad = tensor.Ones(shape...)
		return v
	}
	cases := []struct {
		name   string
		params []*autograd.Var
		want   string
	}{
		{"unnamed", []*autograd.Var{mk("", 2)}, "parameter 0 (shape [2]) has no name"},
		{"duplicate", []*autograd.Var{mk("w", 2), mk("w", 2)}, `two parameters are named "w"`},
		{"same var twice", func() []*autograd.Var { v := mk("w", 2); return []*autograd.Var{v, v} }(), `named "w"`},
		{"grad shape", func() []*autograd.Var { v := mk("w", 2); v.Grad = tensor.Ones(3); return []*autograd.Var{v} }(),
			`"w" has shape [2] but its gradient [3]`},
	}
	for _, c := range cases {
		for _, o := range []Optimizer{NewAdam(0.1), NewSGD(0.1)} {
			before := make([][]float32, len(c.params))
			for i, p := range c.params {
				before[i] = append([]float32(nil), p.Value.Data...)
			}
			err := o.Step(c.params)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s, %T: error %v, want %q", c.name, o, err, c.want)
			}
			for i, p := range c.params {
				if !slicesEqual(before[i], p.Value.Data) {
					t.Errorf("%s, %T: failed Step changed %q", c.name, o, p.Name)
				}
			}
			if o.StepCount() != 0 {
				t.Errorf("%s: failed Step counted", c.name)
			}
		}
	}
	// A parameter whose shape changed since its state was made.
	o := NewAdam(0.1)
	if err := o.Step([]*autograd.Var{mk("w", 2)}); err != nil {
		t.Fatal(err)
	}
	if err := o.Step([]*autograd.Var{mk("w", 3)}); err == nil || !strings.Contains(err.Error(), `"adam/m/w" has shape [2] but parameter "w" has shape [3]`) {
		t.Errorf("reshaped parameter: %v", err)
	}
	// Frozen parameters and parameters without a gradient are left alone.
	frozen, nograd := mk("f", 2), mk("n", 2)
	frozen.SetRequiresGrad(false)
	nograd.Grad = nil
	for _, o := range []Optimizer{NewAdam(0.1), NewSGD(0.1)} {
		if err := o.Step([]*autograd.Var{frozen, nograd}); err != nil {
			t.Fatal(err)
		}
		if frozen.Value.Data[0] != 1 || nograd.Value.Data[0] != 1 {
			t.Errorf("%T updated a parameter it should skip", o)
		}
		if len(o.State()) != 1 {
			t.Errorf("%T made state for skipped parameters: %v", o, o.State())
		}
	}
	if err := (&SGD{Nesterov: true, c: newCore("sgd", 0.1, "momentum")}).Step(nil); err == nil {
		t.Error("Nesterov without momentum accepted")
	}
	// A learning rate that is NaN, infinite or negative (set, or from a
	// schedule) fails the step by value and step, changing nothing.
	for _, lr := range []float64{math.NaN(), math.Inf(1), -0.1} {
		for _, o := range []Optimizer{NewAdam(0.1), NewSGD(0.1)} {
			o.SetLR(lr)
			w := mk("w", 2)
			err := o.Step([]*autograd.Var{w})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("learning rate %g at step 0", lr)) || w.Value.Data[0] != 1 || o.StepCount() != 0 {
				t.Errorf("%T with lr %g: error %v, weight %v, steps %d", o, lr, err, w.Value.Data[0], o.StepCount())
			}
		}
	}
}

func slicesEqual(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

func TestLoadStateErrors(t *testing.T) {
	w := tensor.Ones(2)
	step := encodeStep(3)
	cases := []struct {
		name  string
		state []checkpoint.Named
		want  string
	}{
		{"no step", []checkpoint.Named{nm("adam/m/w", w), nm("adam/v/w", w)}, `no "optim/step"`},
		{"bad step", []checkpoint.Named{nm(stepKey, tensor.MustFromSlice([]float32{0, 0.5}, 2))}, "not a step count"},
		{"step shape", []checkpoint.Named{nm(stepKey, tensor.Scalar(3))}, "want [2]"},
		{"missing v", []checkpoint.Named{nm(stepKey, step), nm("adam/m/w", w)}, `no "adam/v/w" for parameter "w"`},
		{"mismatched", []checkpoint.Named{nm(stepKey, step), nm("adam/m/w", w), nm("adam/v/w", tensor.Ones(3))}, `"adam/v/w" has shape [3]`},
		{"foreign", []checkpoint.Named{nm(stepKey, step), nm("sgd/momentum/w", w)}, `unexpected tensor "sgd/momentum/w" in adam state`},
		{"twice", []checkpoint.Named{nm(stepKey, step), nm("adam/m/w", w), nm("adam/m/w", w)}, "appears twice"},
	}
	for _, c := range cases {
		o := NewAdam(0.1)
		if err := o.LoadState(c.state); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if o.StepCount() != 0 {
			t.Errorf("%s: failed LoadState changed the step", c.name)
		}
	}
	// Restored state must cover the parameters being trained.
	o := NewAdam(0.1)
	if err := o.LoadState([]checkpoint.Named{nm(stepKey, step), nm("adam/m/w", w), nm("adam/v/w", w)}); err != nil {
		t.Fatal(err)
	}
	v := autograd.NewParam(tensor.Ones(2), "other")
	v.Grad = tensor.Ones(2)
	if err := o.Step([]*autograd.Var{v}); err == nil || !strings.Contains(err.Error(), `no "adam/m/other" for parameter "other"`) {
		t.Errorf("step with unrestored parameter: %v", err)
	}
	v.Name = "w"
	v.Value = tensor.Ones(3)
	v.Grad = tensor.Ones(3)
	if err := o.Step([]*autograd.Var{v}); err == nil || !strings.Contains(err.Error(), `"adam/m/w" has shape [2] but parameter "w" has shape [3]`) {
		t.Errorf("step with mis-shaped state: %v", err)
	}
}

// Updates of tensors large enough to be split across threads give the same
// bits for any GOMAXPROCS.
func TestThreadCountInvariance(t *testing.T) {
	shapes := map[string][]int{"big": {70001}, "b": {5}}
	run := func(procs int, o Optimizer) []*autograd.Var {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		ps := newParams(7, shapes)
		for k := range 3 {
			setGrads(ps, k)
			ClipGlobalNorm(ps, 50)
			if err := o.Step(ps); err != nil {
				t.Fatal(err)
			}
		}
		return ps
	}
	for _, c := range goldenCases {
		sameBits(t, c.name, run(1, c.make()), run(4, c.make()))
	}
}

func TestNew(t *testing.T) {
	for _, n := range []string{"sgd", "Adam", "ADAMW"} {
		o, err := New(n, 0.5)
		if err != nil || o.LR() != 0.5 {
			t.Errorf("New(%q): %v, %v", n, o, err)
		}
	}
	if o, _ := New("adamw", 1); !o.(*Adam).Decoupled || o.(*Adam).WeightDecay != 0.01 {
		t.Error("AdamW defaults")
	}
	if _, err := New("rmsprop", 1); err == nil || !strings.Contains(err.Error(), "rmsprop") {
		t.Errorf("unknown optimizer: %v", err)
	}
	for _, lr := range []float64{math.NaN(), math.Inf(1), -1} {
		if _, err := New("adam", lr); err == nil || !strings.Contains(err.Error(), "learning rate") {
			t.Errorf("New(adam, %g): %v", lr, err)
		}
	}
	o := NewSGD(0.1)
	o.SetSchedule(StepDecay{Initial: 1, Gamma: 0.5, Every: 1})
	o.SetLR(0.25)
	if o.LR() != 0.25 {
		t.Errorf("SetLR after SetSchedule: LR %v", o.LR())
	}
}

func nm(name string, t *tensor.Tensor) checkpoint.Named { return checkpoint.Named{Name: name, T: t} }

// A steady-state step allocates nothing (tensors below the parallel grain).
func TestStepAllocs(t *testing.T) {
	for _, c := range goldenCases {
		o := c.make()
		ps := newParams(2, map[string][]int{"w": {8, 8}, "b": {8}})
		setGrads(ps, 0)
		if err := o.Step(ps); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(10, func() { o.Step(ps) }); n != 0 {
			t.Errorf("%s: %v allocations per step", c.name, n)
		}
	}
}
