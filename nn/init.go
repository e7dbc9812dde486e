package nn

// Weight initialisers with Keras's defaults and meanings.

import (
	"fmt"
	"math"

	"github.com/resnorm/resnorm/tensor"
)

// Initializer says how a weight's initial values are drawn. It is plain
// data so it appears in a layer's JSON config.
//
// fan_in and fan_out come from the weight's shape as in Keras: for a Dense
// kernel [in, out] they are in and out; for a convolution kernel
// [kh, kw, cin, cout] they are kh·kw·cin and kh·kw·cout; for a vector
// [n] both are n.
type Initializer struct {
	// Kind is one of "glorot_uniform", "glorot_normal", "he_normal",
	// "he_uniform", "lecun_normal", "normal", "truncated_normal", "uniform",
	// "zeros", "ones", "constant".
	Kind string `json:"kind"`
	// Stddev is the standard deviation of "normal" and "truncated_normal"
	// (Keras's default 0.05 when zero).
	Stddev float64 `json:"stddev,omitempty"`
	// Limit bounds "uniform" to [-Limit, Limit) (Keras's default 0.05 when zero).
	Limit float64 `json:"limit,omitempty"`
	// Value is the value of "constant".
	Value float64 `json:"value,omitempty"`
}

// The initialisers by name. GlorotUniform is Keras's default for kernels,
// Zeros for biases and betas, Ones for gammas.
var (
	GlorotUniform = Initializer{Kind: "glorot_uniform"}
	GlorotNormal  = Initializer{Kind: "glorot_normal"}
	HeNormal      = Initializer{Kind: "he_normal"}
	HeUniform     = Initializer{Kind: "he_uniform"}
	LecunNormal   = Initializer{Kind: "lecun_normal"}
	Zeros         = Initializer{Kind: "zeros"}
	Ones          = Initializer{Kind: "ones"}
)

// Normal draws from N(0, stddev²).
func Normal(stddev float64) Initializer { return Initializer{Kind: "normal", Stddev: stddev} }

// TruncatedNormal draws from N(0, stddev²) restricted to two standard
// deviations (BERT uses stddev 0.02).
func TruncatedNormal(stddev float64) Initializer {
	return Initializer{Kind: "truncated_normal", Stddev: stddev}
}

// Uniform draws from [-limit, limit).
func Uniform(limit float64) Initializer { return Initializer{Kind: "uniform", Limit: limit} }

// Constant fills with v.
func Constant(v float64) Initializer { return Initializer{Kind: "constant", Value: v} }

// fans returns Keras's fan_in and fan_out for a weight shape.
func fans(shape []int) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	case 2:
		return shape[0], shape[1]
	default:
		r := 1
		for _, d := range shape[:len(shape)-2] {
			r *= d
		}
		return r * shape[len(shape)-2], r * shape[len(shape)-1]
	}
}

// truncStdCorrection is the standard deviation of a unit normal truncated
// to [-2, 2]; variance-scaling initialisers divide by it so the truncated
// draw has the intended variance (as Keras does).
const truncStdCorrection = 0.87962566103423978

// Init draws a tensor of the given shape from rng.
func (in Initializer) Init(rng *tensor.RNG, shape []int) (*tensor.Tensor, error) {
	fanIn, fanOut := fans(shape)
	orDefault := func(v float64) float64 {
		if v == 0 {
			return 0.05
		}
		return v
	}
	switch in.Kind {
	case "zeros":
		return tensor.New(shape...), nil
	case "ones":
		return tensor.Ones(shape...), nil
	case "constant":
		return tensor.Full(float32(in.Value), shape...), nil
	case "glorot_uniform":
		lim := math.Sqrt(6 / float64(fanIn+fanOut))
		return tensor.RandUniform(rng, -lim, lim, shape...), nil
	case "glorot_normal":
		std := math.Sqrt(2/float64(fanIn+fanOut)) / truncStdCorrection
		return tensor.RandTruncatedNormal(rng, 0, std, shape...), nil
	case "he_normal":
		std := math.Sqrt(2/float64(fanIn)) / truncStdCorrection
		return tensor.RandTruncatedNormal(rng, 0, std, shape...), nil
	case "he_uniform":
		lim := math.Sqrt(6 / float64(fanIn))
		return tensor.RandUniform(rng, -lim, lim, shape...), nil
	case "lecun_normal":
		std := math.Sqrt(1/float64(fanIn)) / truncStdCorrection
		return tensor.RandTruncatedNormal(rng, 0, std, shape...), nil
	case "normal":
		return tensor.RandNormal(rng, 0, orDefault(in.Stddev), shape...), nil
	case "truncated_normal":
		return tensor.RandTruncatedNormal(rng, 0, orDefault(in.Stddev), shape...), nil
	case "uniform":
		lim := orDefault(in.Limit)
		return tensor.RandUniform(rng, -lim, lim, shape...), nil
	}
	return nil, fmt.Errorf("unknown initializer %q", in.Kind)
}
