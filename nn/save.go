package nn

// Saving a model: its architecture as JSON (layer configs plus the graph)
// and its weights as safetensors, tensor names = weight names.

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/internal/jsonerr"
)

// modelConfig is a model's JSON form: {"class_name": "Sequential" or
// "Functional", "config": {...}}.
type modelConfig struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

type sequentialConfig struct {
	Name       string      `json:"name"`
	Seed       uint64      `json:"seed"`
	InputShape []int       `json:"input_shape"`
	Layers     []LayerSpec `json:"layers"`
}

// functionalConfig lists the layers once and the graph as nodes: model
// inputs are nodes 0..len(inputs)-1; every other node applies a layer (by
// name) to earlier nodes (by index).
type functionalConfig struct {
	Name    string        `json:"name"`
	Seed    uint64        `json:"seed"`
	Layers  []LayerSpec   `json:"layers"`
	Inputs  []inputConfig `json:"inputs"`
	Nodes   []nodeConfig  `json:"nodes"`
	Outputs []int         `json:"outputs"`
}

type inputConfig struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type nodeConfig struct {
	Layer   string `json:"layer"`
	Inbound []int  `json:"inbound"`
}

// MarshalConfig returns the model's architecture as JSON, enough for
// ModelFromConfig to rebuild the same model (same seed, so the same
// initial weights).
func (m *Model) MarshalConfig() ([]byte, error) {
	specs := make([]LayerSpec, len(m.layers))
	for i, l := range m.layers {
		s, err := SpecOf(l)
		if err != nil {
			return nil, err
		}
		specs[i] = s
	}
	var inner any
	if m.kind == "Sequential" {
		inner = sequentialConfig{Name: m.name, Seed: m.seed, InputShape: m.inputs[0].shape, Layers: specs}
	} else {
		fc := functionalConfig{Name: m.name, Seed: m.seed, Layers: specs}
		for _, n := range m.inputs {
			fc.Inputs = append(fc.Inputs, inputConfig{Name: n.name, Shape: n.shape})
		}
		for _, n := range m.nodes[len(m.inputs):] {
			nc := nodeConfig{Layer: n.layer.Name(), Inbound: []int{}}
			for _, p := range n.in {
				nc.Inbound = append(nc.Inbound, p.id)
			}
			fc.Nodes = append(fc.Nodes, nc)
		}
		for _, n := range m.outputs {
			fc.Outputs = append(fc.Outputs, n.id)
		}
		inner = fc
	}
	raw, err := json.Marshal(inner)
	if err != nil {
		return nil, fmt.Errorf("nn: model %q: encoding config: %w", m.name, err)
	}
	return json.MarshalIndent(modelConfig{ClassName: m.kind, Config: raw}, "", "  ")
}

// ModelFromConfig rebuilds a model from MarshalConfig's JSON, with fresh
// weights drawn from the recorded seed (load trained weights with
// LoadWeights).
func ModelFromConfig(data []byte) (*Model, error) {
	var mc modelConfig
	if err := json.Unmarshal(data, &mc); err != nil {
		return nil, fmt.Errorf("nn: model config: %w", jsonerr.Explain(err))
	}
	switch mc.ClassName {
	case "Sequential":
		var sc sequentialConfig
		if err := decodeStrict(mc.Config, &sc); err != nil {
			return nil, fmt.Errorf("nn: Sequential config: %w", err)
		}
		layers := make([]Layer, len(sc.Layers))
		for i, s := range sc.Layers {
			l, err := LayerFromSpec(s)
			if err != nil {
				return nil, fmt.Errorf("nn: Sequential %q layer %d: %w", sc.Name, i, err)
			}
			layers[i] = l
		}
		if sc.InputShape == nil {
			return nil, fmt.Errorf("nn: Sequential %q config has no input_shape", sc.Name)
		}
		return Sequential{Name: sc.Name, Seed: sc.Seed, InputShape: sc.InputShape, Layers: layers}.Build()
	case "Functional":
		var fc functionalConfig
		if err := decodeStrict(mc.Config, &fc); err != nil {
			return nil, fmt.Errorf("nn: Functional config: %w", err)
		}
		byName := map[string]Layer{}
		for i, s := range fc.Layers {
			l, err := LayerFromSpec(s)
			if err != nil {
				return nil, fmt.Errorf("nn: Functional %q layer %d: %w", fc.Name, i, err)
			}
			byName[l.Name()] = l
		}
		var nodes []*Node
		for _, in := range fc.Inputs {
			nodes = append(nodes, NamedInput(in.Name, in.Shape...))
		}
		inputs := slices.Clone(nodes)
		for i, nc := range fc.Nodes {
			l, ok := byName[nc.Layer]
			if !ok {
				return nil, fmt.Errorf("nn: Functional %q node %d applies unknown layer %q", fc.Name, i, nc.Layer)
			}
			var ins []*Node
			for _, k := range nc.Inbound {
				if k < 0 || k >= len(nodes) {
					return nil, fmt.Errorf("nn: Functional %q node %d reads node %d, which does not precede it", fc.Name, i, k)
				}
				ins = append(ins, nodes[k])
			}
			nodes = append(nodes, Apply(l, ins...))
		}
		var outputs []*Node
		for _, k := range fc.Outputs {
			if k < 0 || k >= len(nodes) {
				return nil, fmt.Errorf("nn: Functional %q output %d is not a node", fc.Name, k)
			}
			outputs = append(outputs, nodes[k])
		}
		return Functional{Name: fc.Name, Seed: fc.Seed, Inputs: inputs, Outputs: outputs}.Build()
	}
	return nil, fmt.Errorf("nn: model config: unknown class_name %q (want Sequential or Functional)", mc.ClassName)
}

// SaveWeights writes every weight (trainable or not) to a safetensors file,
// atomically; the model's config travels in the metadata under "config".
func (m *Model) SaveWeights(path string) error {
	cfg, err := m.MarshalConfig()
	if err != nil {
		return err
	}
	ws := m.Weights()
	named := make([]checkpoint.Named, len(ws))
	for i, w := range ws {
		named[i] = checkpoint.Named{Name: w.Name, T: w.Var.Value}
	}
	meta := map[string]string{"format": "resnorm", "model": m.name, "config": string(cfg)}
	if err := checkpoint.SaveSafetensors(path, named, meta); err != nil {
		return fmt.Errorf("nn: model %q: saving weights: %w", m.name, err)
	}
	return nil
}

// LoadWeights reads a safetensors file into the model's weights, in place
// (Vars held by an optimiser stay valid). Every weight must be in the file
// with the same shape and finite values, and the file must hold nothing
// else; the error names each missing or unexpected tensor, any shape that
// differs and any NaN or infinity. Nothing is changed when there is an
// error.
func (m *Model) LoadWeights(path string) error {
	tensors, _, err := checkpoint.LoadSafetensors(path)
	if err != nil {
		return fmt.Errorf("nn: model %q: loading weights: %w", m.name, err)
	}
	inFile := make(map[string]checkpoint.Named, len(tensors))
	for _, t := range tensors {
		inFile[t.Name] = t
	}
	var problems, missing []string
	ws := m.Weights()
	want := map[string]bool{}
	for _, w := range ws {
		want[w.Name] = true
		t, ok := inFile[w.Name]
		if !ok {
			missing = append(missing, w.Name)
			continue
		}
		if !slices.Equal(t.T.Shape, w.Var.Value.Shape) {
			problems = append(problems, fmt.Sprintf("tensor %q has shape %v in the file but %v in the model",
				w.Name, t.T.Shape, w.Var.Value.Shape))
		} else if i, bad := t.T.FirstNonFinite(); bad {
			// A model with a NaN or infinite weight computes garbage (a
			// diverged run, or a corrupt file): refuse it rather than let
			// every prediction quietly be wrong.
			problems = append(problems, fmt.Sprintf("tensor %q holds %v at index %d (a diverged or corrupt model)", w.Name, t.T.Data[i], i))
		}
	}
	var unexpected []string
	for name := range inFile {
		if !want[name] {
			unexpected = append(unexpected, name)
		}
	}
	sort.Strings(unexpected)
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("missing from the file: %s", quoteAll(missing)))
	}
	if len(unexpected) > 0 {
		problems = append(problems, fmt.Sprintf("not in the model: %s", quoteAll(unexpected)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("nn: model %q: loading weights from %s: %s", m.name, path, strings.Join(problems, "; "))
	}
	for _, w := range ws {
		copy(w.Var.Value.Data, inFile[w.Name].T.Data)
	}
	return nil
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
