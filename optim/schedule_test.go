package optim

import (
	"math"
	"testing"
)

func TestSchedules(t *testing.T) {
	cases := []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Constant(0.01), []int{0, 1000}, []float64{0.01, 0.01}},
		{"func", ScheduleFunc(func(s int) float64 { return float64(s) / 10 }), []int{0, 5}, []float64{0, 0.5}},
		{"step decay", StepDecay{Initial: 0.1, Gamma: 0.5, Every: 3}, []int{0, 2, 3, 5, 6, 9},
			[]float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.0125}},
		{"step decay never", StepDecay{Initial: 0.1, Gamma: 0.5}, []int{0, 100}, []float64{0.1, 0.1}},
		{"cosine", Cosine{Initial: 1, Floor: 0.1, Steps: 4}, []int{0, 1, 2, 3, 4, 10},
			[]float64{1, 0.1 + 0.9*(1+math.Sqrt2/2)/2, 0.55, 0.1 + 0.9*(1-math.Sqrt2/2)/2, 0.1, 0.1}},
		{"warmup linear", WarmupLinear{Peak: 1, Floor: 0, Warmup: 4, Total: 8}, []int{0, 1, 3, 4, 6, 8, 20},
			[]float64{0.25, 0.5, 1, 1, 0.5, 0, 0}},
		{"warmup linear, no decay", WarmupLinear{Peak: 1, Floor: 0.2, Warmup: 2, Total: 2}, []int{0, 1, 2, 3},
			[]float64{0.5, 1, 0.2, 0.2}},
		{"warmup cosine", WarmupCosine{Peak: 2, Floor: 0, Warmup: 2, Total: 6}, []int{0, 1, 2, 4, 6, 7},
			[]float64{1, 2, 2, 1, 0, 0}},
		{"no warmup", WarmupCosine{Peak: 2, Floor: 1, Total: 2}, []int{0, 1, 2}, []float64{2, 1.5, 1}},
	}
	for _, c := range cases {
		for i, step := range c.steps {
			if got := c.s.LR(step); math.Abs(got-c.want[i]) > 1e-12 {
				t.Errorf("%s: LR(%d) = %v, want %v", c.name, step, got, c.want[i])
			}
		}
	}
}

// An optimizer takes its rate from the schedule at its own step count.
func TestScheduleDrivesOptimizer(t *testing.T) {
	o := NewSGD(1)
	s := StepDecay{Initial: 0.1, Gamma: 0.1, Every: 2}
	o.SetSchedule(s)
	ps := newParams(3, map[string][]int{"w": {3}})
	for k := range 5 {
		if o.LR() != s.LR(k) {
			t.Fatalf("step %d: LR %v, want %v", k, o.LR(), s.LR(k))
		}
		before := ps[0].Value.Data[0]
		setGrads(ps, k)
		g := ps[0].Grad.Data[0]
		if err := o.Step(ps); err != nil {
			t.Fatal(err)
		}
		if want := before - float32(s.LR(k))*g; ps[0].Value.Data[0] != want {
			t.Errorf("step %d: p = %v, want %v", k, ps[0].Value.Data[0], want)
		}
	}
}
