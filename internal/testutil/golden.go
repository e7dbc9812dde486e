// Package testutil holds helpers shared by resnorm's tests: reading golden
// values written by the PyTorch generator scripts in scripts/golden.
package testutil

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/resnorm/resnorm/tensor"
)

// Golden is one golden-value file: named tensors and free-form attributes.
type Golden struct {
	Name    string                     `json:"name"`
	Attrs   map[string]json.RawMessage `json:"attrs"`
	Tensors map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"tensors"`
	path string
}

// LoadGolden reads testdata/golden/<name>.json relative to the test's package.
func LoadGolden(name string) (*Golden, error) {
	p := filepath.Join("testdata", "golden", name+".json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("golden %s: %w (regenerate with scripts/golden)", name, err)
	}
	g := &Golden{path: p}
	if err := json.Unmarshal(b, g); err != nil {
		return nil, fmt.Errorf("golden %s: %w", p, err)
	}
	return g, nil
}

// T returns the named tensor; it panics if absent (a broken golden file is a
// test bug, and the message names the file and tensor).
func (g *Golden) T(name string) *tensor.Tensor {
	e, ok := g.Tensors[name]
	if !ok {
		panic(fmt.Sprintf("golden %s has no tensor %q", g.path, name))
	}
	d := make([]float32, len(e.Data))
	for i, v := range e.Data {
		d[i] = float32(v)
	}
	t, err := tensor.FromSlice(d, e.Shape...)
	if err != nil {
		panic(fmt.Sprintf("golden %s tensor %q: %v", g.path, name, err))
	}
	return t
}

// Has reports whether the named tensor is present.
func (g *Golden) Has(name string) bool { _, ok := g.Tensors[name]; return ok }

// Attr decodes the named attribute into v; it panics if absent or malformed.
func (g *Golden) Attr(name string, v any) {
	raw, ok := g.Attrs[name]
	if !ok {
		panic(fmt.Sprintf("golden %s has no attr %q", g.path, name))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		panic(fmt.Sprintf("golden %s attr %q: %v", g.path, name, err))
	}
}
