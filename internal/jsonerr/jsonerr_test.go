package jsonerr

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestExplain(t *testing.T) {
	type inner struct {
		Units int `json:"units"`
	}
	type spec struct {
		Epochs  int       `json:"epochs"`
		LR      float64   `json:"lr"`
		Name    string    `json:"name"`
		Shape   []int64   `json:"shape"`
		Grid    [][]int   `json:"grid"`
		Quiet   bool      `json:"quiet"`
		Layer   inner     `json:"layer"`
		Layers  []inner   `json:"layers"`
		Offsets *[]int64  `json:"offsets"`
		Scale   []float32 `json:"scale"`
	}
	cases := []struct{ in, want string }{
		{`{"epochs":"two"}`, "epochs: expected an integer, found a JSON string"},
		{`{"epochs":1.5}`, "epochs: expected an integer, found a JSON number 1.5"},
		{`{"lr":"fast"}`, "lr: expected a number, found a JSON string"},
		{`{"name":3}`, "name: expected a string, found a JSON number"},
		{`{"shape":"x"}`, "shape: expected a list of integers, found a JSON string"},
		{`{"grid":[1]}`, "grid: expected a list of integers, found a JSON number"},
		{`{"quiet":"yes"}`, "quiet: expected true or false, found a JSON string"},
		{`{"layer":[]}`, "layer: expected an object, found a JSON array"},
		{`{"layers":[{"units":"8"}]}`, "layers.units: expected an integer, found a JSON string"},
		{`{"offsets":{}}`, "offsets: expected a list of integers, found a JSON object"},
		{`{"scale":[true]}`, "scale: expected a number, found a JSON bool"},
		{`[1]`, "expected an object, found a JSON array"},
		{`{"epochs":`, "invalid JSON at byte 10: unexpected end of JSON input"},
		{`{"epochs" 3}`, "invalid JSON at byte 11: invalid character '3' after object key"},
	}
	for _, c := range cases {
		var s spec
		err := Explain(json.Unmarshal([]byte(c.in), &s))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
	if Explain(nil) != nil {
		t.Error("Explain(nil) is not nil")
	}
	other := errors.New("other")
	if Explain(other) != other {
		t.Error("Explain changed an error that is not JSON's")
	}
}
