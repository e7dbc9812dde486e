// Package kernels holds every hot loop in resnorm as a plain function over
// slices, with the shapes in its signature (llm.c style): GEMM, convolution,
// normalisation, softmax, activations, and the deterministic parallel-for
// they run on. Nothing here allocates tensors or knows about autograd; the
// autograd package calls these for its forward and backward passes.
//
// Forward kernels write their output; backward kernels ACCUMULATE (+=) into
// the gradient slices they are given, so a value used twice sums its
// gradients without extra buffers. Where autograd would otherwise zero a
// fresh gradient buffer only to add into it, a kernel has a Set variant or
// a set flag (GEMM: beta = 0) that writes the gradient instead.
//
// Determinism: work is split into chunks whose boundaries depend only on the
// problem size, never on the number of threads, and any reduction across
// chunks is combined in chunk order; results are bit-identical for any
// GOMAXPROCS.
package kernels
