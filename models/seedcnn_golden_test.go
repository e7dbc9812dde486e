package models

import (
	"math"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/internal/testutil"
	"github.com/resnorm/resnorm/tensor"
)

// formula reproduces scripts/golden/gen_seedcnn.py's formula(): values from
// an integer hash of the index, so weights need not be stored.
func formula(shape []int, salt int, scale, offset float64) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		h := uint32(i+1)*2654435761 + uint32(salt)*40503
		u := float64(int((h>>8)%2001)-1000) / 1000
		t.Data[i] = float32(offset + scale*u)
	}
	return t
}

type formulaSpec struct {
	Name   string  `json:"name"`
	Shape  []int   `json:"shape"`
	Salt   int     `json:"salt"`
	Scale  float64 `json:"scale"`
	Offset float64 `json:"offset"`
}

// Tolerances against the float64 PyTorch reference: an element passes when
// |got − want| <= goldRTol·|want| + goldATol·max|want| over its tensor.
// float32 sums over up to 3,136 terms (and the 1/σ of BatchNorm) leave
// errors below 1e-5 relative (measured: everything passes at 1e-5 and
// 1e-6); the bounds leave a margin of ten while any wrong index, padding or
// normalisation axis gives errors of order one.
const (
	goldRTol = 1e-4
	goldATol = 1e-5
)

// A gradient that is zero in exact arithmetic (the bias of a conv followed
// by training-mode BatchNorm, whose mean subtraction cancels it) has a
// reference of order 1e-17 and comes out of float32 arithmetic as rounding
// noise: the sum of N·H·W = 196 cancelling terms. When the whole reference
// tensor is below 1e-9 of floor (the model's largest gradient), it is such a
// zero and each value must stay below goldATol·floor.
func compareTensor(t *testing.T, what string, got, want *tensor.Tensor, floor float64) {
	t.Helper()
	if got.Numel() != want.Numel() {
		t.Fatalf("%s: %d values, want %d", what, got.Numel(), want.Numel())
	}
	maxWant := 0.0
	for _, v := range want.Data {
		maxWant = math.Max(maxWant, math.Abs(float64(v)))
	}
	if maxWant < 1e-9*floor {
		maxWant = floor
	}
	bad := 0
	for i := range want.Data {
		g, w := float64(got.Data[i]), float64(want.Data[i])
		if !(math.Abs(g-w) <= goldRTol*math.Abs(w)+goldATol*maxWant) {
			if bad < 3 {
				t.Errorf("%s[%d] = %.8g, want %.8g", what, i, g, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance", what, bad, want.Numel())
	}
}

// TestSeedCNNMatchesPyTorch runs one training step of the seed CNN on a
// batch of 4 and compares logits, probabilities, loss, every parameter's
// gradient and the updated moving statistics with PyTorch, then the
// inference-mode probabilities with the updated statistics.
func TestSeedCNNMatchesPyTorch(t *testing.T) {
	g, err := testutil.LoadGolden("seedcnn")
	if err != nil {
		t.Fatal(err)
	}
	var specs []formulaSpec
	var xs formulaSpec
	var labels []int
	var stride int
	var stats map[string]struct {
		Sum, Sumsq, Proj float64
		ProjSalt         int `json:"proj_salt"`
	}
	g.Attr("weights", &specs)
	g.Attr("x", &xs)
	g.Attr("labels", &labels)
	g.Attr("sample_stride", &stride)
	g.Attr("grad_stats", &stats)

	m, err := SeedCNN(0)
	if err != nil {
		t.Fatal(err)
	}
	ws := m.Weights()
	if len(ws) != len(specs) {
		t.Fatalf("model has %d weights, golden file %d", len(ws), len(specs))
	}
	for i, w := range ws {
		s := specs[i]
		if w.Name != s.Name || !tensor.SameShape(w.Var.Value.Shape, s.Shape) {
			t.Fatalf("weight %d is %s %v, golden file has %s %v", i, w.Name, w.Var.Value.Shape, s.Name, s.Shape)
		}
		copy(w.Var.Value.Data, formula(s.Shape, s.Salt, s.Scale, s.Offset).Data)
	}
	x := formula(xs.Shape, xs.Salt, xs.Scale, xs.Offset)

	tp := autograd.NewTape()
	logits, stripped, err := m.ForwardLogits(tp, autograd.Const(x))
	if err != nil {
		t.Fatal(err)
	}
	if !stripped {
		t.Fatal("ForwardLogits did not strip the final softmax")
	}
	probs := tp.Softmax(logits)
	loss := tp.SoftmaxCrossEntropy(logits, labels, autograd.NoIgnore)
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	compareTensor(t, "logits", logits.Value, g.T("logits"), 0)
	compareTensor(t, "probs", probs.Value, g.T("probs"), 0)
	compareTensor(t, "loss", loss.Value, g.T("loss"), 0)

	// The largest reference gradient of any stored tensor: the scale for
	// gradients that are zero in exact arithmetic.
	gradScale := 0.0
	for name := range g.Tensors {
		if strings.HasPrefix(name, "grad") {
			for _, v := range g.T(name).Data {
				gradScale = math.Max(gradScale, math.Abs(float64(v)))
			}
		}
	}
	floor := gradScale
	for _, w := range ws {
		if !w.Trainable {
			compareTensor(t, "moving statistic "+w.Name, w.Var.Value, g.T("after/"+w.Name), 0)
			continue
		}
		if w.Var.Grad == nil {
			t.Errorf("%s got no gradient", w.Name)
			continue
		}
		gd := w.Var.Grad.Data
		if g.Has("grad/" + w.Name) {
			compareTensor(t, "grad "+w.Name, w.Var.Grad, g.T("grad/"+w.Name), floor)
			continue
		}
		var sample []float32
		for k := 0; k < len(gd); k += stride {
			sample = append(sample, gd[k])
		}
		compareTensor(t, "grad sample "+w.Name, tensor.MustFromSlice(sample, len(sample)), g.T("grad_sample/"+w.Name), floor)
		st, ok := stats[w.Name]
		if !ok {
			t.Fatalf("golden file has no gradient of %s", w.Name)
		}
		proj := formula([]int{len(gd)}, st.ProjSalt, 1, 0).Data
		var sum, sumAbs, sumsq, pr, prAbs float64
		for k, v := range gd {
			f := float64(v)
			sum += f
			sumAbs += math.Abs(f)
			sumsq += f * f
			pr += f * float64(proj[k])
			prAbs += math.Abs(f * float64(proj[k]))
		}
		// Whole-tensor checks: each sum's error is bounded by the per-element
		// relative tolerance applied to the sum of magnitudes.
		if math.Abs(sum-st.Sum) > goldRTol*sumAbs {
			t.Errorf("grad %s: sum %.8g, want %.8g", w.Name, sum, st.Sum)
		}
		if math.Abs(sumsq-st.Sumsq) > 2*goldRTol*st.Sumsq {
			t.Errorf("grad %s: sum of squares %.8g, want %.8g", w.Name, sumsq, st.Sumsq)
		}
		if math.Abs(pr-st.Proj) > goldRTol*prAbs {
			t.Errorf("grad %s: weighted sum %.8g, want %.8g", w.Name, pr, st.Proj)
		}
	}

	out, err := m.Forward(autograd.NewInferenceTape(), autograd.Const(x))
	if err != nil {
		t.Fatal(err)
	}
	compareTensor(t, "inference probs", out.Value, g.T("infer_probs"), 0)
}
