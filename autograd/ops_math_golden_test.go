package autograd

import (
	"fmt"
	"testing"

	"github.com/resnorm/resnorm/internal/testutil"
	"github.com/resnorm/resnorm/tensor"
)

// Golden tests: forward outputs and input gradients against PyTorch, from
// testdata/golden/math_*.json written by scripts/golden/gen_math.py (which
// documents the format). The upstream gradient gy is random, so every
// element of every gradient is checked.

// Float32 forward/backward against the float64 reference rounded to float32:
// these small cases accumulate a handful of roundings at most.
const (
	mathGoldenRTol = 1e-5
	mathGoldenATol = 1e-6
)

var mathGoldenCases = []string{
	"add_bias", "sub_bias", "mul_bias", "div_bias", "add_two_sided", "mul_two_sided", "div_two_sided",
	"mul_same", "add_scalar", "mul_scalar",
	"relu", "gelu", "gelu_tanh", "sigmoid", "tanh",
	"softmax", "log_softmax", "cross_entropy_ignore", "cross_entropy",
	"reshape", "permute", "permute4", "transpose", "concat", "split",
	"sum_all", "sum_ax1", "sum_ax02_keep", "sum_neg1", "sum_ax01",
	"mean_all", "mean_ax1", "mean_ax02_keep", "mean_neg1", "mean_ax01",
	"embedding", "linear", "linear_nobias",
}

func init() {
	for _, kind := range []string{"2d", "batched", "shared"} {
		for _, tr := range []string{"NN", "NT", "TN", "TT"} {
			mathGoldenCases = append(mathGoldenCases, "matmul_"+kind+"_"+tr)
		}
	}
}

// runMathGoldenOp applies the op named in g's attrs to ins.
func runMathGoldenOp(t *testing.T, tp *Tape, g *testutil.Golden, ins []*Var) []*Var {
	t.Helper()
	var op string
	g.Attr("op", &op)
	one := func(v *Var) []*Var { return []*Var{v} }
	switch op {
	case "Add":
		return one(tp.Add(ins[0], ins[1]))
	case "Sub":
		return one(tp.Sub(ins[0], ins[1]))
	case "Mul":
		return one(tp.Mul(ins[0], ins[1]))
	case "Div":
		return one(tp.Div(ins[0], ins[1]))
	case "AddScalar", "MulScalar":
		var s float32
		g.Attr("s", &s)
		if op == "AddScalar" {
			return one(tp.AddScalar(ins[0], s))
		}
		return one(tp.MulScalar(ins[0], s))
	case "ReLU":
		return one(tp.ReLU(ins[0]))
	case "GELU":
		return one(tp.GELU(ins[0]))
	case "GELUTanh":
		return one(tp.GELUTanh(ins[0]))
	case "Sigmoid":
		return one(tp.Sigmoid(ins[0]))
	case "Tanh":
		return one(tp.Tanh(ins[0]))
	case "Softmax":
		return one(tp.Softmax(ins[0]))
	case "LogSoftmax":
		return one(tp.LogSoftmax(ins[0]))
	case "SoftmaxCrossEntropy":
		var labels []int
		var ignore *int
		g.Attr("labels", &labels)
		g.Attr("ignore", &ignore)
		ig := NoIgnore
		if ignore != nil {
			ig = *ignore
		}
		return one(tp.SoftmaxCrossEntropy(ins[0], labels, ig))
	case "MatMulT":
		var ta, tb bool
		g.Attr("transA", &ta)
		g.Attr("transB", &tb)
		return one(tp.MatMulT(ins[0], ins[1], ta, tb))
	case "Reshape":
		var shape []int
		g.Attr("shape", &shape)
		return one(tp.Reshape(ins[0], shape...))
	case "Permute":
		var axes []int
		g.Attr("axes", &axes)
		return one(tp.Permute(ins[0], axes...))
	case "Transpose":
		var i, j int
		g.Attr("i", &i)
		g.Attr("j", &j)
		return one(tp.Transpose(ins[0], i, j))
	case "Concat":
		var axis int
		g.Attr("axis", &axis)
		return one(tp.Concat(axis, ins...))
	case "Split":
		var axis int
		var sizes []int
		g.Attr("axis", &axis)
		g.Attr("sizes", &sizes)
		return tp.Split(ins[0], axis, sizes...)
	case "Sum", "Mean":
		var axes []int
		var keep bool
		g.Attr("axes", &axes)
		g.Attr("keepDims", &keep)
		if op == "Sum" {
			return one(tp.Sum(ins[0], axes, keep))
		}
		return one(tp.Mean(ins[0], axes, keep))
	case "Linear":
		var b *Var
		if len(ins) > 2 {
			b = ins[2]
		}
		return one(tp.Linear(ins[0], ins[1], b))
	case "Embedding":
		var ids, idsShape []int
		g.Attr("ids", &ids)
		g.Attr("idsShape", &idsShape)
		return one(tp.Embedding(ins[0], ids, idsShape))
	}
	t.Fatalf("golden op %q unknown", op)
	return nil
}

func TestMathGolden(t *testing.T) {
	for _, name := range mathGoldenCases {
		t.Run(name, func(t *testing.T) {
			g := golden(t, "math_"+name)
			var ins []*Var
			for i := 0; g.Has(fmt.Sprint("in", i)); i++ {
				ins = append(ins, Input(g.T(fmt.Sprint("in", i))))
			}
			tp := NewTape()
			outs := runMathGoldenOp(t, tp, g, ins)
			if len(outs) == 1 {
				assertClose(t, "y", outs[0].Value, g.T("y"), mathGoldenRTol, mathGoldenATol)
				if err := tp.BackwardWith(outs[0], g.T("gy")); err != nil {
					t.Fatal(err)
				}
			} else {
				// Several outputs: back-propagate L = Σ_i Σ gy_i·y_i.
				var loss *Var
				for i, y := range outs {
					assertClose(t, fmt.Sprint("y", i), y.Value, g.T(fmt.Sprint("y", i)), mathGoldenRTol, mathGoldenATol)
					l := tp.Sum(tp.Mul(y, Const(g.T(fmt.Sprint("gy", i)))), nil, false)
					if loss == nil {
						loss = l
					} else {
						loss = tp.Add(loss, l)
					}
				}
				if err := tp.Backward(loss); err != nil {
					t.Fatal(err)
				}
			}
			for i, in := range ins {
				want := g.T(fmt.Sprint("d", i))
				got := in.Grad
				if got == nil {
					got = tensor.New(in.Shape()...)
				}
				assertClose(t, fmt.Sprint("d", i), got, want, mathGoldenRTol, mathGoldenATol)
			}
		})
	}
}
