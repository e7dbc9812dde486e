package autograd

import (
	"fmt"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

func TestBatchNormGradCheck(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 3, 4}, {6, 3}} {
		C := shape[len(shape)-1]
		x := tensor.RandNormal(tensor.NewRNG(1), 0.5, 2, shape...)
		gamma := tensor.RandNormal(tensor.NewRNG(2), 1, 0.5, C)
		beta := randT(3, C)
		for _, training := range []bool{true, false} {
			name := fmt.Sprintf("BatchNorm %v training=%v", shape, training)
			gradCheck(t, name, func(tp *Tape, v []*Var) *Var {
				tp.Training = training // gradCheck's own tapes default differently
				rm, rv := tensor.Full(0.3, C), tensor.Full(1.7, C)
				return tp.BatchNorm(v[0], v[1], v[2], rm, rv, KerasBatchNorm())
			}, x, gamma, beta)
		}
		gradCheck(t, fmt.Sprintf("BatchNorm %v no gamma/beta", shape), func(tp *Tape, v []*Var) *Var {
			tp.Training = true
			return tp.BatchNorm(v[0], nil, nil, tensor.New(C), tensor.Ones(C), TorchBatchNorm())
		}, x)
	}
}

// batchNormGolden replays the generator's 3 training steps and the
// inference pass, checking outputs, gradients and the running statistics.
func batchNormGolden(t *testing.T, name string, cfg BatchNormConfig) {
	g := golden(t, name)
	C := g.T("gamma").Shape[0]
	rm, rv := tensor.New(C), tensor.Ones(C)
	gamma, beta := NewParam(g.T("gamma"), "gamma"), NewParam(g.T("beta"), "beta")
	for i := range 3 {
		s := func(n string) string { return fmt.Sprintf("%s%d", n, i) }
		gamma.ZeroGrad()
		beta.ZeroGrad()
		tp := NewTape()
		x := Input(g.T(s("x")))
		y := tp.BatchNorm(x, gamma, beta, rm, rv, cfg)
		assertClose(t, s("y"), y.Value, g.T(s("y")), 1e-4, 1e-5)
		assertClose(t, s("run_mean"), rm, g.T(s("run_mean")), 1e-5, 1e-6)
		assertClose(t, s("run_var"), rv, g.T(s("run_var")), 1e-5, 1e-6)
		if err := tp.BackwardWith(y, g.T(s("dy"))); err != nil {
			t.Fatal(err)
		}
		assertClose(t, s("dx"), x.Grad, g.T(s("dx")), 1e-4, 1e-5)
		assertClose(t, s("dgamma"), gamma.Grad, g.T(s("dgamma")), 1e-4, 1e-5)
		assertClose(t, s("dbeta"), beta.Grad, g.T(s("dbeta")), 1e-4, 1e-5)
	}
	y := NewInferenceTape().BatchNorm(Const(g.T("x_inf")), gamma, beta, rm, rv, cfg)
	assertClose(t, "y_inf", y.Value, g.T("y_inf"), 1e-4, 1e-5)
}

func TestBatchNormGoldenKeras(t *testing.T) { batchNormGolden(t, "batchnorm_keras", KerasBatchNorm()) }

// TestBatchNormGoldenTorch checks that TorchBatchNorm reproduces
// nn.BatchNorm2d's defaults (momentum 0.1, eps 1e-5, unbiased running_var).
func TestBatchNormGoldenTorch(t *testing.T) { batchNormGolden(t, "batchnorm_torch", TorchBatchNorm()) }

// TestBatchNormInferenceLeavesRunningStats: only training updates them.
func TestBatchNormInferenceLeavesRunningStats(t *testing.T) {
	rm, rv := tensor.Full(0.5, 3), tensor.Full(2, 3)
	NewInferenceTape().BatchNorm(Const(randT(1, 4, 3)), nil, nil, rm, rv, KerasBatchNorm())
	assertClose(t, "run_mean", rm, tensor.Full(0.5, 3), 0, 0)
	assertClose(t, "run_var", rv, tensor.Full(2, 3), 0, 0)
}

func TestLayerNormGradCheck(t *testing.T) {
	for k, shape := range map[int][]int{1: {3, 2, 5}, 2: {2, 3, 4}} {
		tail := shape[len(shape)-k:]
		x := tensor.RandNormal(tensor.NewRNG(4), 0.3, 1.5, shape...)
		gamma := tensor.RandNormal(tensor.NewRNG(5), 1, 0.5, tail...)
		beta := randT(6, tail...)
		gradCheck(t, fmt.Sprintf("LayerNorm k=%d", k), func(tp *Tape, v []*Var) *Var {
			return tp.LayerNorm(v[0], v[1], v[2], k, 1e-5)
		}, x, gamma, beta)
		gradCheck(t, fmt.Sprintf("LayerNorm k=%d no gamma/beta", k), func(tp *Tape, v []*Var) *Var {
			return tp.LayerNorm(v[0], nil, nil, k, 1e-5)
		}, x)
	}
}

func TestRMSNormGradCheck(t *testing.T) {
	x := tensor.RandNormal(tensor.NewRNG(7), 0.3, 1.5, 3, 2, 5)
	gradCheck(t, "RMSNorm k=1", func(tp *Tape, v []*Var) *Var { return tp.RMSNorm(v[0], v[1], 1, 1e-6) },
		x, tensor.RandNormal(tensor.NewRNG(8), 1, 0.5, 5))
	gradCheck(t, "RMSNorm k=2", func(tp *Tape, v []*Var) *Var { return tp.RMSNorm(v[0], v[1], 2, 1e-6) },
		x, tensor.RandNormal(tensor.NewRNG(9), 1, 0.5, 2, 5))
	gradCheck(t, "RMSNorm no gamma", func(tp *Tape, v []*Var) *Var { return tp.RMSNorm(v[0], nil, 1, 1e-6) }, x)
}

func TestNormGolden(t *testing.T) {
	for _, name := range []string{"layernorm_k1", "layernorm_k2", "rmsnorm"} {
		t.Run(name, func(t *testing.T) {
			g := golden(t, name)
			var k int
			var eps float32
			g.Attr("k", &k)
			g.Attr("eps", &eps)
			tp := NewTape()
			x, gamma := Input(g.T("x")), NewParam(g.T("gamma"), "gamma")
			var beta *Var
			var y *Var
			if g.Has("beta") {
				beta = NewParam(g.T("beta"), "beta")
				y = tp.LayerNorm(x, gamma, beta, k, eps)
			} else {
				y = tp.RMSNorm(x, gamma, k, eps)
			}
			assertClose(t, "y", y.Value, g.T("y"), 1e-4, 1e-5)
			if err := tp.BackwardWith(y, g.T("dy")); err != nil {
				t.Fatal(err)
			}
			assertClose(t, "dx", x.Grad, g.T("dx"), 1e-4, 1e-5)
			assertClose(t, "dgamma", gamma.Grad, g.T("dgamma"), 1e-4, 1e-5)
			if beta != nil {
				assertClose(t, "dbeta", beta.Grad, g.T("dbeta"), 1e-4, 1e-5)
			}
		})
	}
}

func TestNormShapeErrors(t *testing.T) {
	tp := NewTape()
	c := func(s ...int) *Var { return Const(tensor.New(s...)) }
	rm, rv := tensor.New(4), tensor.Ones(4)
	keras := KerasBatchNorm()
	wantShapeError(t, "BatchNorm", func() { tp.BatchNorm(c(2, 3, 3, 4), c(3), nil, rm, rv, keras) }, "gamma", "[3]", "[2 3 3 4]")
	wantShapeError(t, "BatchNorm", func() { tp.BatchNorm(c(2, 3, 3, 4), nil, c(4, 1), rm, rv, keras) }, "beta", "[4 1]", "[2 3 3 4]")
	wantShapeError(t, "BatchNorm", func() { tp.BatchNorm(c(2, 3, 3, 4), nil, nil, tensor.New(5), rv, keras) }, "running mean", "[5]", "[2 3 3 4]")
	wantShapeError(t, "BatchNorm", func() { tp.BatchNorm(c(4), nil, nil, rm, rv, keras) }, "[4]")
	wantShapeError(t, "BatchNorm", func() { tp.BatchNorm(c(1, 4), nil, nil, rm, rv, TorchBatchNorm()) }, "[1 4]")
	wantShapeError(t, "LayerNorm", func() { tp.LayerNorm(c(2, 3, 4), c(3, 4), nil, 1, 1e-5) }, "gamma", "[3 4]", "[2 3 4]")
	wantShapeError(t, "LayerNorm", func() { tp.LayerNorm(c(2, 3, 4), nil, nil, 4, 1e-5) }, "k = 4", "[2 3 4]")
	wantShapeError(t, "LayerNorm", func() { tp.LayerNorm(c(2, 3, 4), nil, nil, 0, 1e-5) }, "k = 0", "[2 3 4]")
	wantShapeError(t, "RMSNorm", func() { tp.RMSNorm(c(2, 3, 4), c(4), 2, 1e-5) }, "gamma", "[4]", "[3 4]")
}
