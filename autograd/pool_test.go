package autograd

import (
	"math"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

// Tests of the tape's buffer pool: a reused tape must compute exactly what a
// fresh one does whatever its free buffers hold (so every output left
// uninitialised must really be written in full), and Reset must take every
// buffer back exactly once.

// poolNet holds the leaves of poolGraph.
type poolNet struct {
	x, w3, b3, w1, bn, bb, dense, emb, scale *Var
	rm, rv                                   *tensor.Tensor
}

// newPoolNet makes the same leaves on every call; batch sets x's first axis.
func newPoolNet(batch int) *poolNet {
	r := tensor.NewRNG(5)
	p := func(shape ...int) *Var { return NewParam(tensor.RandNormal(r, 0, 0.5, shape...), "p") }
	n := &poolNet{
		w3: p(3, 3, 3, 4), b3: p(4), w1: p(1, 1, 4, 4),
		bn: p(4), bb: p(4), dense: p(12, 5), emb: p(7, 5), scale: p(5),
		rm: tensor.Zeros(4), rv: tensor.Ones(4),
	}
	n.x = Input(tensor.RandNormal(r, 0, 1, batch, 6, 5, 3))
	return n
}

// poolGraph runs every op whose output, gradient or saved state comes from
// the pool and returns a scalar loss that depends on all of them.
func poolGraph(tp *Tape, n *poolNet) *Var {
	B := n.x.Shape()[0]
	h := tp.Conv2D(n.x, n.w3, n.b3, [2]int{1, 1}, Same)       // [B,6,5,4]: im2col, bias
	h = tp.ReLU(tp.Conv2D(h, n.w1, nil, [2]int{1, 1}, Valid)) // 1×1: the direct path
	h = tp.BatchNorm(h, n.bn, n.bb, n.rm, n.rv, TorchBatchNorm())
	h = tp.MaxPool2D(h, [2]int{2, 2}, [2]int{2, 2}, Same) // [B,3,3,4]
	g := tp.GlobalAvgPool2D(tp.Tanh(h))                   // [B,4]

	rows := 3 * B
	d := tp.MatMul(tp.Reshape(h, rows, 12), n.dense)    // [rows,5]
	d = tp.Mul(tp.Add(d, n.scale), n.scale)             // broadcast add, multiply
	d = tp.Div(d, tp.AddScalar(tp.Sigmoid(n.scale), 1)) // broadcast divide
	ids := make([]int, rows)
	for i := range ids {
		ids[i] = i * 3 % 7
	}
	e := tp.MulScalar(tp.Embedding(n.emb, ids, []int{rows}), 0.5)
	c := tp.Concat(0, d, e) // [2·rows, 5]
	parts := tp.Split(c, 0, rows-1, rows+1)
	ln := tp.LayerNorm(parts[1], n.scale, nil, 1, 1e-5)
	rms := tp.RMSNorm(parts[0], n.scale, 1, 1e-6)
	sm := tp.Softmax(tp.MatMulT(rms, ln, false, true)) // [rows-1, rows+1]

	c3 := tp.Reshape(c, B, 6, 5)
	lsm := tp.LogSoftmax(tp.Permute(tp.MatMulT(c3, c3, true, false), 0, 2, 1))            // batched [B,5,5]
	sh := tp.Dropout(tp.GELU(tp.MatMulT(c3, n.emb, false, true)), 0.25, tensor.NewRNG(9)) // shared b: [B,6,7]
	logits := tp.Reshape(tp.GELUTanh(sh), 6*B, 7)
	labels := make([]int, 6*B)
	for i := range labels {
		labels[i] = i % 8
		if labels[i] == 7 {
			labels[i] = -1 // ignored: its probs are never written
		}
	}
	loss := tp.SoftmaxCrossEntropy(logits, labels, -1)
	loss = tp.Add(loss, tp.Mean(tp.Mul(sm, sm), nil, false))
	loss = tp.Sub(loss, tp.Mean(tp.Sum(lsm, []int{-1}, false), nil, false))
	loss = tp.Add(loss, tp.Sum(tp.Mul(g, g), nil, false))
	return loss
}

// poolRun is what one pass of poolGraph produced: the loss, and after
// Backward the gradients of all leaves and the running statistics.
type poolRun struct{ out [][]float32 }

func runPoolGraph(t *testing.T, tp *Tape, batch int) poolRun {
	t.Helper()
	n := newPoolNet(batch)
	loss := poolGraph(tp, n)
	r := poolRun{out: [][]float32{append([]float32(nil), loss.Value.Data...)}}
	if tp.Recording() {
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		for _, v := range []*Var{n.x, n.w3, n.b3, n.w1, n.bn, n.bb, n.dense, n.emb, n.scale} {
			r.out = append(r.out, append([]float32(nil), v.Grad.Data...))
		}
		r.out = append(r.out, n.rm.Data, n.rv.Data)
	}
	return r
}

func sameRun(t *testing.T, what string, got, want poolRun) {
	t.Helper()
	for i := range want.out {
		for j, w := range want.out[i] {
			if g := got.out[i][j]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s: result %d element %d = %g, fresh tape gives %g", what, i, j, g, w)
			}
		}
	}
}

// poison fills every free buffer with values that would show if an op
// read an element it had not written.
func poison(tp *Tape) {
	for _, l := range tp.f32.free {
		for _, b := range l {
			for i := range b[:cap(b)] {
				b[i] = float32(math.NaN())
			}
		}
	}
	for _, l := range tp.i32.free {
		for _, b := range l {
			for i := range b[:cap(b)] {
				b[i] = math.MaxInt32
			}
		}
	}
}

// bufIDs maps each buffer's first element to how often it is listed.
func bufIDs[T any](bufs [][]T) map[*T]int {
	m := make(map[*T]int)
	for _, b := range bufs {
		m[&b[:1][0]]++
	}
	return m
}

func sameIDs[T any](a, b map[*T]int) bool {
	if len(a) != len(b) {
		return false
	}
	for id, c := range a {
		if b[id] != c {
			return false
		}
	}
	return true
}

func freeBufs[T float32 | int32 | int](p *bufPool[T]) [][]T {
	var all [][]T
	for _, l := range p.free {
		all = append(all, l...)
	}
	return all
}

func checkOnce[T any](t *testing.T, what string, ids map[*T]int) {
	t.Helper()
	for _, c := range ids {
		if c != 1 {
			t.Fatalf("%s: a buffer is listed %d times", what, c)
		}
	}
}

func TestTapeReuseMatchesFreshTape(t *testing.T) {
	for _, training := range []bool{true, false} {
		newTape := NewInferenceTape
		if training {
			newTape = NewTape
		}
		want := runPoolGraph(t, newTape(), 4)
		wantSmall := runPoolGraph(t, newTape(), 2)

		tp := newTape()
		sameRun(t, "first pass", runPoolGraph(t, tp, 4), want)
		used := bufIDs(tp.f32.used)
		checkOnce(t, "handed out", used)
		nUsed := len(tp.f32.used)
		tp.Reset()
		if len(tp.f32.used) != 0 {
			t.Fatalf("Reset left %d buffers in use", len(tp.f32.used))
		}
		// Free now: every buffer handed out, and the scratch lent to
		// backward closures, each once.
		known := bufIDs(freeBufs(&tp.f32))
		checkOnce(t, "after Reset", known)
		for id := range used {
			if known[id] != 1 {
				t.Fatal("Reset did not take back a buffer it handed out")
			}
		}

		for step := range 2 {
			poison(tp)
			sameRun(t, "reused tape", runPoolGraph(t, tp, 4), want)
			if len(tp.f32.used) != nUsed {
				t.Fatalf("step %d: %d buffers handed out, the first pass took %d", step, len(tp.f32.used), nUsed)
			}
			tp.Reset()
			if free := bufIDs(freeBufs(&tp.f32)); !sameIDs(free, known) {
				t.Fatalf("training=%v step %d: the pool changed (%d buffers, was %d): a buffer was allocated although the pool had every size", training, step, len(free), len(known))
			}
		}

		// A smaller batch fits in the larger batch's buffers.
		poison(tp)
		sameRun(t, "smaller batch", runPoolGraph(t, tp, 2), wantSmall)
		tp.Reset()
		if free := bufIDs(freeBufs(&tp.f32)); !sameIDs(free, known) {
			t.Fatalf("training=%v: the smaller batch changed the pool (%d buffers, was %d)", training, len(free), len(known))
		}
	}
}

// Reshape and inference-mode Dropout return views of their input's buffer:
// the tape must not take that buffer back twice.
func TestResetTakesSharedBuffersOnce(t *testing.T) {
	tp := NewTape()
	x := Input(tensor.Ones(2, 3))
	y := tp.MulScalar(x, 2)
	z := tp.Reshape(tp.Reshape(y, 3, 2), 6)
	tp.Training = false
	z = tp.Dropout(z, 0.5, nil)
	if err := tp.Backward(tp.Sum(z, nil, false)); err != nil {
		t.Fatal(err)
	}
	if &z.Value.Data[0] != &y.Value.Data[0] {
		t.Fatal("Reshape copied its input")
	}
	if &z.Grad.Data[0] == &y.Grad.Data[0] {
		t.Fatal("a view shares its input's gradient buffer")
	}
	checkOnce(t, "handed out", bufIDs(tp.f32.used))
	tp.Reset()
	checkOnce(t, "after Reset", bufIDs(freeBufs(&tp.f32)))
}

func TestBufPool(t *testing.T) {
	var p bufPool[float32]
	a, b := p.get(10), p.get(100)
	if len(a) != 10 || len(b) != 100 || len(p.get(0)) != 0 {
		t.Fatal("wrong lengths")
	}
	if len(p.used) != 2 {
		t.Fatalf("%d buffers in use, want 2 (an empty one is not pooled)", len(p.used))
	}
	p.release()
	// An exact fit first, then the smallest larger buffer.
	if c := p.get(100); &c[0] != &b[0] {
		t.Fatal("a request of an exact size did not get the buffer of that size")
	}
	if c := p.get(5); &c[0] != &a[0] || len(c) != 5 {
		t.Fatal("a small request did not get the smallest buffer that fits")
	}
	if c := p.get(7); &c[0] == &a[0] || &c[0] == &b[0] {
		t.Fatal("a buffer in use was handed out again")
	}
	// A lent scratch buffer comes back free at once.
	p.release()
	s := p.take(100)
	p.put(s)
	if c := p.get(100); &c[0] != &b[0] {
		t.Fatal("a returned scratch buffer was not reused")
	}
}
