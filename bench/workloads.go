package bench

import (
	"fmt"

	"github.com/resnorm/resnorm/autograd"
	"github.com/resnorm/resnorm/models"
	"github.com/resnorm/resnorm/nn"
	"github.com/resnorm/resnorm/optim"
	"github.com/resnorm/resnorm/tensor"
)

// dataBatches is how many distinct input batches a workload cycles through:
// enough that no step sees the previous step's data, few enough to stay
// small next to the model's own memory.
const dataBatches = 4

// CNNTrainer runs training steps of the source document's CNN
// (models.SeedCNN): forward in training mode (batch-statistics BatchNorm),
// sparse softmax cross-entropy from the logits, backward, Adam at 1e-3 —
// what train.Fit does per step, without its metrics and callbacks.
//
// Inputs are MNIST-shaped ([N, 28, 28, 1], values uniform in [0, 1)) and
// labels uniform over the ten classes, drawn from a seeded RNG: the time of
// a step does not depend on the pixel values, and the PyTorch peer draws
// the same kind of data, so neither side pays for loading MNIST.
type CNNTrainer struct {
	Batch  int
	model  *nn.Model
	opt    optim.Optimizer
	params []*autograd.Var
	tape   *autograd.Tape
	xs     []*tensor.Tensor
	ys     [][]int
	step   int
}

// NewCNNTrainer builds the seed CNN with the given seed and its data.
func NewCNNTrainer(batch int, seed uint64) (*CNNTrainer, error) {
	m, err := models.SeedCNN(seed)
	if err != nil {
		return nil, err
	}
	xs, ys := mnistLike(batch, seed)
	return &CNNTrainer{
		Batch: batch, model: m, opt: optim.NewAdam(1e-3),
		params: m.TrainableVars(), tape: autograd.NewTape(), xs: xs, ys: ys,
	}, nil
}

// mnistLike returns dataBatches batches of random MNIST-shaped data.
func mnistLike(batch int, seed uint64) ([]*tensor.Tensor, [][]int) {
	rng := tensor.NewRNG(seed ^ 0xda7a)
	xs := make([]*tensor.Tensor, dataBatches)
	ys := make([][]int, dataBatches)
	for i := range xs {
		xs[i] = tensor.RandUniform(rng, 0, 1, append([]int{batch}, models.MNISTShape...)...)
		ys[i] = make([]int, batch)
		for j := range ys[i] {
			ys[i][j] = rng.Intn(10)
		}
	}
	return xs, ys
}

// Step runs one training step and returns its loss.
func (c *CNNTrainer) Step() (float32, error) {
	i := c.step % dataBatches
	c.step++
	tp := c.tape
	tp.Reset()
	logits, _, err := c.model.CallLogits(&nn.Context{Tape: tp}, autograd.Const(c.xs[i]))
	if err != nil {
		return 0, err
	}
	var loss *autograd.Var
	if err := autograd.Try(func() { loss = tp.SoftmaxCrossEntropy(logits, c.ys[i], autograd.NoIgnore) }); err != nil {
		return 0, err
	}
	optim.ZeroGrad(c.params)
	if err := tp.Backward(loss); err != nil {
		return 0, err
	}
	if err := c.opt.Step(c.params); err != nil {
		return 0, err
	}
	return loss.Value.Item(), nil
}

// CNNPredictor runs the seed CNN in inference mode (moving-statistics
// BatchNorm, softmax output, no tape records).
type CNNPredictor struct {
	Batch int
	model *nn.Model
	tape  *autograd.Tape // one inference tape, reset per batch, as train.Predict does
	xs    []*tensor.Tensor
	step  int
}

// NewCNNPredictor builds the seed CNN with the given seed and its data.
func NewCNNPredictor(batch int, seed uint64) (*CNNPredictor, error) {
	m, err := models.SeedCNN(seed)
	if err != nil {
		return nil, err
	}
	xs, _ := mnistLike(batch, seed)
	return &CNNPredictor{Batch: batch, model: m, tape: autograd.NewInferenceTape(), xs: xs}, nil
}

// Predict returns the class probabilities [Batch, 10] of the next batch,
// valid until the next call.
func (c *CNNPredictor) Predict() (*tensor.Tensor, error) {
	i := c.step % dataBatches
	c.step++
	c.tape.Reset()
	out, err := c.model.Call(&nn.Context{Tape: c.tape}, autograd.Const(c.xs[i]))
	if err != nil {
		return nil, err
	}
	return out[0].Value, nil
}

// BERTTrainer runs one BERT encoder layer (BERTLayer) on random token
// embeddings [B, T, Hidden] ~ N(0, 1) with an all-zero additive mask
// [B, 1, 1, T] (so the mask broadcast is timed but masks nothing).
//
// The loss is L = Σ y ⊙ R for a fixed random R ~ N(0, 1) shaped like the
// output y: its gradient is R, seeded straight into the backward pass
// (Tape.BackwardWith), so the step times the layer and not a loss op; the
// PyTorch peer does the same with y.backward(R). (The mean of y² would be a
// poor loss here: after LayerNorm with unit gamma it is nearly constant.)
type BERTTrainer struct {
	Layer  *BERTLayer
	opt    optim.Optimizer
	params []*autograd.Var
	tape   *autograd.Tape
	infer  *autograd.Tape // Forward's inference tape, reset per call
	xs     []*tensor.Tensor
	mask   *autograd.Var
	seed   *tensor.Tensor
	step   int
}

// NewBERTTrainer builds the layer and its data for batch × seq tokens.
func NewBERTTrainer(hidden, heads, inter, batch, seq int, seed uint64) *BERTTrainer {
	l := NewBERTLayer(hidden, heads, inter, seed)
	rng := tensor.NewRNG(seed ^ 0xda7a)
	xs := make([]*tensor.Tensor, dataBatches)
	for i := range xs {
		xs[i] = tensor.RandNormal(rng, 0, 1, batch, seq, hidden)
	}
	return &BERTTrainer{
		Layer: l, opt: optim.NewAdam(1e-3), params: l.Params(), tape: autograd.NewTape(),
		xs: xs, mask: autograd.Const(tensor.Zeros(batch, 1, 1, seq)),
		seed: tensor.RandNormal(rng, 0, 1, batch, seq, hidden),
	}
}

// NewBERTMiniTrainer is NewBERTTrainer at the benchmarked BERT-mini shapes.
func NewBERTMiniTrainer(seed uint64) *BERTTrainer {
	return NewBERTTrainer(BERTMiniHidden, BERTMiniHeads, BERTMiniInter, BERTBatch, BERTSeq, seed)
}

func (b *BERTTrainer) next() *autograd.Var {
	i := b.step % dataBatches
	b.step++
	return autograd.Const(b.xs[i])
}

// Step runs forward, backward and an Adam update.
func (b *BERTTrainer) Step() error {
	tp := b.tape
	tp.Reset()
	var y *autograd.Var
	if err := autograd.Try(func() { y = b.Layer.Forward(tp, b.next(), b.mask) }); err != nil {
		return err
	}
	optim.ZeroGrad(b.params)
	if err := tp.BackwardWith(y, b.seed); err != nil {
		return err
	}
	return b.opt.Step(b.params)
}

// Forward runs the layer in inference mode (no tape records) and returns
// its output, valid until the next call.
func (b *BERTTrainer) Forward() (*tensor.Tensor, error) {
	if b.infer == nil {
		b.infer = autograd.NewInferenceTape()
	}
	tp := b.infer
	tp.Reset()
	var y *autograd.Var
	if err := autograd.Try(func() { y = b.Layer.Forward(tp, b.next(), b.mask) }); err != nil {
		return nil, fmt.Errorf("bert forward: %w", err)
	}
	return y.Value, nil
}
