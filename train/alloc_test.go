package train

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/data"
	"github.com/resnorm/resnorm/models"
	"github.com/resnorm/resnorm/nn"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/tensor"
)

// stepRig is the seed CNN with Adam and one fixed random batch: what one
// call of step sees in steady state.
type stepRig struct {
	m      *nn.Model
	opt    optim.Optimizer
	params []*autograd.Var
	tp     *autograd.Tape
	xb     *tensor.Tensor
	yb     []int
	n      int
}

func newStepRig(tb testing.TB, batch int) *stepRig {
	tb.Helper()
	m, err := models.SeedCNN(1)
	if err != nil {
		tb.Fatal(err)
	}
	rng := tensor.NewRNG(7)
	xb := tensor.RandUniform(rng, 0, 1, batch, 28, 28, 1)
	yb := make([]int, batch)
	for i := range yb {
		yb[i] = rng.Intn(10)
	}
	return &stepRig{m: m, opt: optim.NewAdam(1e-3), params: m.TrainableVars(), tp: autograd.NewTape(), xb: xb, yb: yb}
}

func (r *stepRig) step(tb testing.TB) {
	if _, _, err := step(r.tp, r.m, r.opt, r.params, r.xb, r.yb, Config{}, r.n); err != nil {
		tb.Fatal(err)
	}
	r.n++
}

// stepAllocs is the number of heap allocations of one steady-state
// training step (after warm-up steps have filled the tape's pool). The least
// of a few measurements is taken: a garbage collection during one empties
// the sync.Pools that some kernels keep scratch in, and refilling them is
// not the step's own cost.
func stepAllocs(t *testing.T, batch int) (allocs float64, bytes uint64, ops int) {
	r := newStepRig(t, batch)
	for range 3 {
		r.step(t)
	}
	allocs = leastAllocs(func() { r.step(t) })
	bytes = leastBytes(func() { r.step(t) })
	return allocs, bytes, len(r.tp.Records())
}

func leastAllocs(f func()) float64 {
	least := math.Inf(1)
	for range 3 {
		least = min(least, testing.AllocsPerRun(3, f))
	}
	return least
}

// leastBytes is the least number of bytes f allocates per call over a few
// measurements of three calls.
func leastBytes(f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	least := uint64(math.MaxUint64)
	var ms runtime.MemStats
	for range 3 {
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		for range 3 {
			f()
		}
		runtime.ReadMemStats(&ms)
		least = min(least, (ms.TotalAlloc-before)/3)
	}
	return least
}

// TestStepAllocations holds the steady-state training step to a small
// number of allocations that does not grow with the batch: buffers come
// from the tape's pool and kernel scratch is reused, so what remains is
// bookkeeping per op (the output Var, the backward closure, its inputs
// slice, the kernels' parallel-for closures, stride slices and a few
// per-channel coefficient arrays).
func TestStepAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the seed CNN")
	}
	small, _, _ := stepAllocs(t, 8)
	large, bytes, ops := stepAllocs(t, 32)
	t.Logf("allocations per step: batch 8: %v, batch 32: %v (%d ops recorded); %d bytes per step at batch 32", small, large, ops, bytes)
	if large != small {
		t.Errorf("allocations per step grow with the batch: %v at batch 8, %v at batch 32", small, large)
	}
	// A handful of small objects per op; one buffer per op from make would
	// show as growth in bytes below.
	if bound := 15 * ops; large > float64(bound) {
		t.Errorf("%v allocations per step, want <= %d (15 per recorded op)", large, bound)
	}
	// The first conv's output at batch 32 is 1.6 MB, a 3×3 64-channel
	// conv's im2col buffer 3.6 MB: any such buffer made anew per step
	// shows here.
	if bytes > 1<<20 {
		t.Errorf("%d bytes allocated per step at batch 32, want < 1 MiB", bytes)
	}
}

// BenchmarkStep times one seed-CNN training step (forward, backward, Adam)
// and reports its allocations: go test ./train/ -run X -bench Step -benchmem
func BenchmarkStep(b *testing.B) {
	for _, batch := range []int{8, 32, 128} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			r := newStepRig(b, batch)
			r.step(b)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r.step(b)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// TestReusedTapeMatchesFreshTapes: steps on one tape reset between steps
// (pooled buffers holding the previous step's numbers) give bit-identical
// weights to steps that each get a fresh tape.
func TestReusedTapeMatchesFreshTapes(t *testing.T) {
	reused, fresh := newStepRig(t, 8), newStepRig(t, 8)
	for range 3 {
		reused.step(t)
		fresh.tp = autograd.NewTape()
		fresh.step(t)
	}
	sameBits(t, "weights", weightsOf(reused.m), weightsOf(fresh.m))
}

// TestPredictAndEvaluateReuseOneTape: Predict and Evaluate reset one
// inference tape per batch; results match fresh tapes per batch, short last
// batch included.
func TestPredictAndEvaluateReuseOneTape(t *testing.T) {
	m := smallCNN(t, 3)
	rng := tensor.NewRNG(11)
	const n, batch = 20, 7
	x := tensor.RandUniform(rng, 0, 1, n, 28, 28, 1)
	y := make([]int, n)
	for i := range y {
		y[i] = rng.Intn(10)
	}
	got, err := Predict(m, x, batch)
	if err != nil {
		t.Fatal(err)
	}
	per := 28 * 28
	var want []float32
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		xb := tensor.MustFromSlice(x.Data[lo*per:hi*per], hi-lo, 28, 28, 1)
		out, err := m.Forward(autograd.NewInferenceTape(), autograd.Const(xb))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, out.Value.Data...)
	}
	sameBits(t, "predictions", [][]float32{got.Data}, [][]float32{want})

	ds, err := data.NewDataset(x, y)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(m, ds, batch)
	if err != nil {
		t.Fatal(err)
	}
	lossSum, correct := 0.0, countCorrect(got, y)
	for i, label := range y {
		lossSum -= math.Log(float64(got.Data[i*10+label]))
	}
	if res.Accuracy != float64(correct)/n || math.Abs(res.Loss-lossSum/n) > 1e-5*math.Abs(lossSum/n) {
		t.Fatalf("Evaluate: loss %g accuracy %g; from the predictions: %g, %g", res.Loss, res.Accuracy, lossSum/n, float64(correct)/n)
	}
}

// BenchmarkPredict times seed-CNN inference (Predict, one inference tape
// reused per batch) on 1000 samples per batch:
// go test ./train/ -run X -bench Predict
func BenchmarkPredict(b *testing.B) {
	m, err := models.SeedCNN(1)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	x := tensor.RandUniform(tensor.NewRNG(7), 0, 1, n, 28, 28, 1)
	if _, err := Predict(m, x, n); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Predict(m, x, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "samples/s")
}
