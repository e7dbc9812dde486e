package bench

import (
	"math"
	"strconv"
	"testing"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/tensor"
)

// The end-to-end benchmarks. Each reports its figure as a custom metric
// (samples/s or ms/iter) that cmd/compare reads; names match the workloads
// of torch_e2e.py. Run them with, e.g.,
//
//	go test ./bench -run '^$' -bench E2E -cpu 2 -benchtime 3s
//
// Setup and two warm-up steps (buffers, optimizer state) are outside the
// timed loop.

func BenchmarkE2E(b *testing.B) {
	for _, batch := range []int{32, 128} {
		b.Run("cnn_train_b"+strconv.Itoa(batch), func(b *testing.B) { benchCNNTrain(b, batch) })
	}
	b.Run("cnn_infer_b1000", func(b *testing.B) { benchCNNInfer(b, 1000) })
	b.Run("bert_train", benchBERTTrain)
	b.Run("bert_forward", benchBERTForward)
}

const warmupSteps = 2

func benchCNNTrain(b *testing.B, batch int) {
	c, err := NewCNNTrainer(batch, 1)
	if err != nil {
		b.Fatal(err)
	}
	for range warmupSteps {
		if _, err := c.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
}

func benchCNNInfer(b *testing.B, batch int) {
	c, err := NewCNNPredictor(batch, 1)
	if err != nil {
		b.Fatal(err)
	}
	for range warmupSteps {
		if _, err := c.Predict(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Predict(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
}

func benchBERTTrain(b *testing.B) {
	t := NewBERTMiniTrainer(1)
	for range warmupSteps {
		if err := t.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := t.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/iter")
}

func benchBERTForward(b *testing.B) {
	t := NewBERTMiniTrainer(1)
	for range warmupSteps {
		if _, err := t.Forward(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Forward(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/iter")
}

// TestBERTLayerShapesAndNorm runs a tiny layer and checks what the
// composition must give: the input's shape back, and every token's output
// normalised by the final LayerNorm (mean 0, variance 1 with unit gamma).
func TestBERTLayerShapesAndNorm(t *testing.T) {
	tr := NewBERTTrainer(8, 2, 16, 2, 5, 3)
	y, err := tr.Forward()
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(y.Shape, []int{2, 5, 8}) {
		t.Fatalf("output shape %v, want [2 5 8]", y.Shape)
	}
	for tok := 0; tok < 2*5; tok++ {
		row := y.Data[tok*8 : (tok+1)*8]
		var mean, sq float64
		for _, v := range row {
			mean += float64(v)
		}
		mean /= 8
		for _, v := range row {
			sq += (float64(v) - mean) * (float64(v) - mean)
		}
		if math.Abs(mean) > 1e-5 || math.Abs(sq/8-1) > 1e-4 {
			t.Errorf("token %d: mean %g, variance %g after LayerNorm, want 0 and 1", tok, mean, sq/8)
		}
	}
}

// TestBERTLayerMask checks that the additive mask reaches the attention: a
// key masked with −1e9 must not influence any other token's output, while
// unmasked it does.
func TestBERTLayerMask(t *testing.T) {
	const b, seq, h = 1, 4, 8
	l := NewBERTLayer(h, 2, 16, 5)
	rng := tensor.NewRNG(9)
	x := tensor.RandNormal(rng, 0, 1, b, seq, h)
	run := func(x *tensor.Tensor, masked bool) *tensor.Tensor {
		m := tensor.Zeros(b, 1, 1, seq)
		if masked {
			m.Data[seq-1] = -1e9
		}
		return l.Forward(autograd.NewInferenceTape(), autograd.Const(x), autograd.Const(m)).Value
	}
	x2 := x.Clone()
	for i := (seq - 1) * h; i < seq*h; i++ { // change the last token only
		x2.Data[i] += 3
	}
	first := func(y *tensor.Tensor) *tensor.Tensor { // the tokens other than the last
		f, err := tensor.FromSlice(y.Data[:(seq-1)*h], seq-1, h)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if d, _ := tensor.MaxAbsDiff(first(run(x, true)), first(run(x2, true))); d > 1e-6 {
		t.Errorf("masked key changed the other tokens' outputs by %g", d)
	}
	if d, _ := tensor.MaxAbsDiff(first(run(x, false)), first(run(x2, false))); d < 1e-3 {
		t.Errorf("unmasked key changed the other tokens' outputs by only %g", d)
	}
}

// TestBERTTrainerStep checks that a training step updates every parameter.
func TestBERTTrainerStep(t *testing.T) {
	tr := NewBERTTrainer(8, 2, 16, 2, 5, 3)
	before := make([]*tensor.Tensor, len(tr.params))
	for i, p := range tr.params {
		before[i] = p.Value.Clone()
	}
	if err := tr.Step(); err != nil {
		t.Fatal(err)
	}
	for i, p := range tr.params {
		if d, _ := tensor.MaxAbsDiff(before[i], p.Value); d == 0 {
			t.Errorf("parameter %s unchanged after a step", p.Name)
		}
	}
}

// TestCNNWorkloads runs one training step and one prediction of the seed
// CNN at a small batch: the loss must be finite and near ln 10 for a fresh
// model, and the probabilities must sum to one.
func TestCNNWorkloads(t *testing.T) {
	c, err := NewCNNTrainer(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := c.Step()
	if err != nil {
		t.Fatal(err)
	}
	if !(loss > 1 && loss < 5) {
		t.Errorf("first loss %g, want near ln 10 ≈ 2.3", loss)
	}
	p, err := NewCNNPredictor(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := p.Predict()
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(probs.Shape, []int{3, 10}) {
		t.Fatalf("probabilities shape %v, want [3 10]", probs.Shape)
	}
	for i := range 3 {
		var s float64
		for _, v := range probs.Data[i*10 : (i+1)*10] {
			s += float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Errorf("sample %d: probabilities sum to %g", i, s)
		}
	}
}
