// Package train fits models: Fit, Evaluate and Predict, with the loss and
// accuracy metrics, a History, Keras-style callbacks (early stopping,
// best-model checkpointing, CSV / JSON-lines logs, learning-rate scheduling),
// a progress display, and checkpoints that let a killed run resume.
//
// # Resume is exact
//
// A run directory holds the model config, the training settings and a
// checkpoint (model weights + optimizer state + position: epoch, batch and
// step), each written atomically. Everything random in a step is a function
// of (seed, position): the data order comes from (seed, epoch) and dropout
// masks from (seed, step). So a resumed run does exactly the arithmetic the
// uninterrupted run would have done, and its final weights are bit-identical.
//
// # Loss from logits
//
// Classifiers usually end in a softmax (the source document's model does).
// Fit computes the cross-entropy from the logits before that softmax, which
// is the numerically stable form (Keras does the same behind the scenes);
// models without a final softmax are taken to output logits.
package train
