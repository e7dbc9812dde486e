package nn

// Layer configurations as data: every layer type registers a constructor
// from its JSON config, so a model's architecture round-trips through JSON
// ({"class_name": "Conv2D", "config": {...}}, as Keras writes it).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/resnorm/resnorm/internal/jsonerr"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// LayerSpec is a layer's class name and JSON configuration.
type LayerSpec struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

var (
	registryMu sync.RWMutex
	registry   = map[string]func(json.RawMessage) (Layer, error){}
)

// RegisterLayer makes a layer type rebuildable from its configuration.
// fromConfig receives the JSON of the value the layer's Config returned.
// Registering a class name twice panics (a programming error).
func RegisterLayer(className string, fromConfig func(config json.RawMessage) (Layer, error)) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[className]; dup {
		panic("nn: layer class " + className + " registered twice")
	}
	registry[className] = fromConfig
}

// register is RegisterLayer for a built-in whose constructor takes its
// config struct and the construction error.
func register[C any, L Layer](className string, mk func(C, error) L) {
	RegisterLayer(className, func(raw json.RawMessage) (Layer, error) {
		var c C
		if err := decodeStrict(raw, &c); err != nil {
			return nil, err
		}
		l := mk(c, nil)
		return l, nil
	})
}

func init() {
	register("Activation", newActivation)
	register("Dense", newDense)
	register("Conv2D", newConv2D)
	register("MaxPooling2D", newMaxPooling2D)
	register("GlobalAveragePooling2D", newGlobalAveragePooling2D)
	register("Flatten", newFlatten)
	register("Reshape", newReshape)
	register("Add", newAdd)
	register("Dropout", newDropout)
	register("BatchNormalization", newBatchNormalization)
	register("LayerNormalization", newLayerNormalization)
	register("RMSNormalization", newRMSNormalization)
	register("GroupNormalization", newGroupNormalization)
	register("SeedBlock", newSeedBlock)
	register("BasicBlock", newBasicBlock)
	register("PreActBlock", newPreActBlock)
	register("InputLayer", newInputLayer)
	RegisterLayer("Residual", residualFromConfig)
}

// SpecOf returns a layer's class name and encoded configuration.
func SpecOf(l Layer) (LayerSpec, error) {
	b, err := json.Marshal(l.Config())
	if err != nil {
		return LayerSpec{}, fmt.Errorf("nn: layer %q (%s): encoding config: %w", l.Name(), l.Type(), err)
	}
	return LayerSpec{ClassName: l.Type(), Config: b}, nil
}

// LayerFromSpec rebuilds an (unbuilt) layer from its spec. A layer whose
// configuration is invalid is returned with the error, which its Build
// reports as well.
func LayerFromSpec(s LayerSpec) (Layer, error) {
	registryMu.RLock()
	mk, ok := registry[s.ClassName]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("nn: unknown layer class %q (registered: %s)", s.ClassName, strings.Join(registered(), ", "))
	}
	l, err := mk(s.Config)
	if err != nil {
		return nil, fmt.Errorf("nn: %s config: %w", s.ClassName, err)
	}
	return l, nil
}

func registered() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var names []string
	for k := range registry {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// decodeStrict decodes JSON, rejecting unknown fields so that a typo in a
// hand-written config is an error rather than a silently ignored setting.
func decodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return jsonerr.Explain(err)
	}
	if d.More() {
		return fmt.Errorf("trailing data after config")
	}
	return nil
}

// withName replaces the "name" field of an encoded config.
func withName(raw json.RawMessage, name string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	n, _ := json.Marshal(name)
	m["name"] = n
	return json.Marshal(m)
}

// namer hands out Keras-style default names: the snake-case type name, then
// "_1", "_2", … for later layers of the same type, skipping names taken.
// Numbering is per model (Keras numbers per session), so the same code
// gives the same names and summaries every time.
type namer struct {
	used  map[string]bool
	count map[string]int
}

func newNamer() *namer { return &namer{used: map[string]bool{}, count: map[string]int{}} }

func (n *namer) reserve(name string) error {
	if n.used[name] {
		return fmt.Errorf("two layers are named %q", name)
	}
	n.used[name] = true
	return nil
}

func (n *namer) next(typ string) string {
	base := snakeCase(typ)
	for {
		k := n.count[base]
		n.count[base]++
		name := base
		if k > 0 {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		if !n.used[name] {
			n.used[name] = true
			return name
		}
	}
}

var (
	snake1 = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	snake2 = regexp.MustCompile(`([a-z])([A-Z])`)
)

// snakeCase turns a class name into Keras's default layer name:
// Conv2D → conv2d, BatchNormalization → batch_normalization,
// MaxPooling2D → max_pooling2d.
func snakeCase(s string) string {
	s = snake1.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(snake2.ReplaceAllString(s, "${1}_${2}"))
}
