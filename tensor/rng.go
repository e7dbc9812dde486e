package tensor

import (
	"math"
	"math/rand/v2"
)

// RNG is resnorm's deterministic random source. It is the PCG-DXSM generator
// of math/rand/v2 (whose output stream is fixed by its algorithm), seeded by
// (seed, 0x5eed); floats and normals are derived here, not by math/rand, so the
// same seed yields the same numbers on every Go version and platform:
//
//	Float64: the top 53 bits of Uint64 scaled to [0, 1)
//	Normal:  Box–Muller on two Float64 draws (both outputs used, in order)
//
// An RNG is not safe for concurrent use; give each goroutine its own (see Split).
type RNG struct {
	src       *rand.PCG
	spare     float64
	haveSpare bool
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG { return &RNG{src: rand.NewPCG(seed, 0x5eed)} }

// Uint64 returns 64 random bits.
func (r *RNG) Uint64() uint64 { return r.src.Uint64() }

// Split derives an independent generator from this one (consuming one draw),
// so that sub-tasks get their own stream without sharing state.
func (r *RNG) Split() *RNG { return NewRNG(r.Uint64()) }

// Float64 returns a uniform value in [0, 1).
func (r *RNG) Float64() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// Intn returns a uniform integer in [0, n) without modulo bias. n must be > 0.
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		panic("tensor: RNG.Intn with n <= 0")
	}
	bound := uint64(n)
	limit := -bound % bound // values below limit are rejected (2^64 mod n)
	for {
		v := r.src.Uint64()
		if v >= limit {
			return int(v % bound)
		}
	}
}

// Perm returns a random permutation of 0..n-1 (Fisher–Yates).
func (r *RNG) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	r.Shuffle(p)
	return p
}

// Shuffle permutes p in place (Fisher–Yates).
func (r *RNG) Shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// Normal returns a standard normal value.
func (r *RNG) Normal() float64 {
	if r.haveSpare {
		r.haveSpare = false
		return r.spare
	}
	u1 := r.Float64()
	for u1 == 0 {
		u1 = r.Float64()
	}
	u2 := r.Float64()
	rad := math.Sqrt(-2 * math.Log(u1))
	r.spare = rad * math.Sin(2*math.Pi*u2)
	r.haveSpare = true
	return rad * math.Cos(2*math.Pi*u2)
}

// RandNormal returns a tensor of N(mean, std²) values.
func RandNormal(r *RNG, mean, std float64, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(mean + std*r.Normal())
	}
	return t
}

// RandUniform returns a tensor of values uniform in [lo, hi).
func RandUniform(r *RNG, lo, hi float64, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return t
}

// RandTruncatedNormal returns N(mean, std²) values redrawn until they fall
// within two standard deviations of the mean (the Keras / TensorFlow rule).
func RandTruncatedNormal(r *RNG, mean, std float64, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		z := r.Normal()
		for z < -2 || z > 2 {
			z = r.Normal()
		}
		t.Data[i] = float32(mean + std*z)
	}
	return t
}
