package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnorm/resnorm/tensor"
)

func sample() []Named {
	return []Named{
		{"conv2d_1/kernel", tensor.MustFromSlice([]float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}, 1, 2, 3)},
		{"scalar", tensor.Scalar(42)},
		{"empty", tensor.New(0, 3)},
		{"dense_1/bias", tensor.MustFromSlice([]float32{float32(math.NaN()), 1e-38, -1e38}, 3)},
	}
}

func encode(t *testing.T, ts []Named, meta map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSafetensors(&b, ts, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sameNamed(t *testing.T, got, want []Named) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !tensor.SameShape(g.T.Shape, w.T.Shape) {
			t.Fatalf("tensor %d: got %q %v, want %q %v", i, g.Name, g.T.Shape, w.Name, w.T.Shape)
		}
		for j := range w.T.Data {
			if math.Float32bits(g.T.Data[j]) != math.Float32bits(w.T.Data[j]) {
				t.Fatalf("tensor %q[%d]: got %v, want %v (bits differ)", w.Name, j, g.T.Data[j], w.T.Data[j])
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ts := sample()
	meta := map[string]string{"format": "resnorm", "note": "a<b & \"quoted\"\n"}
	b := encode(t, ts, meta)
	if hl := binary.LittleEndian.Uint64(b); (8+hl)%8 != 0 {
		t.Errorf("data starts at %d, not 8-aligned", 8+hl)
	}
	for name, read := range map[string]func() ([]Named, map[string]string, error){
		"stream": func() ([]Named, map[string]string, error) { return ReadSafetensors(bytes.NewReader(b)) },
		"bytes":  func() ([]Named, map[string]string, error) { return ParseSafetensors(b) },
	} {
		got, gotMeta, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameNamed(t, got, ts)
		if len(gotMeta) != len(meta) || gotMeta["note"] != meta["note"] || gotMeta["format"] != "resnorm" {
			t.Errorf("%s: metadata %q, want %q", name, gotMeta, meta)
		}
	}
	// Writing the same tensors twice gives the same bytes.
	if !bytes.Equal(b, encode(t, ts, meta)) {
		t.Error("two writes of the same tensors differ")
	}
	// No metadata: nil map back.
	_, m, err := ParseSafetensors(encode(t, ts, nil))
	if err != nil || m != nil {
		t.Errorf("no metadata: got %v, %v", m, err)
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	ts := sample()
	if err := SaveSafetensors(p, ts, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := LoadSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, ts)
	if meta["k"] != "v" {
		t.Errorf("metadata %v", meta)
	}
	// Overwrite in place; only the final file remains in the directory.
	if err := SaveSafetensors(p, ts[:1], nil); err != nil {
		t.Fatal(err)
	}
	got, _, err = LoadSafetensors(p)
	if err != nil {
		t.Fatal(err)
	}
	sameNamed(t, got, ts[:1])
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the checkpoint", len(entries))
	}
	_, _, err = LoadSafetensors(filepath.Join(dir, "missing.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("missing file: error %v should name it", err)
	}
}

// A file in the style Hugging Face's reference writer produces (spaces in
// the header, tensors ordered by dtype alignment), with every dtype resnorm
// converts to float32.
func TestReadOtherDtypes(t *testing.T) {
	var data bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&data, le, []float64{-0.1})                  // d: 0..8
	binary.Write(&data, le, []int64{0, -7})                   // e: 8..24
	binary.Write(&data, le, []float32{1.5, -2})               // a: 24..32
	binary.Write(&data, le, []uint16{0x3c00, 0x0001, 0xfc00}) // b: 32..38 (1, smallest subnormal, -inf)
	binary.Write(&data, le, []uint16{0x4049})                 // c: 38..40 (bf16 3.140625)
	hdr := `{"__metadata__": {"format": "pt"}, ` +
		`"d": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}, ` +
		`"e": {"dtype": "I64", "shape": [2], "data_offsets": [8, 24]}, ` +
		`"a": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]}, ` +
		`"b": {"dtype": "F16", "shape": [3], "data_offsets": [32, 38]}, ` +
		`"c": {"dtype": "BF16", "shape": [], "data_offsets": [38, 40]}}`
	got, meta, err := ParseSafetensors(file(hdr, data.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := []Named{
		{"d", tensor.MustFromSlice([]float32{float32(-0.1)}, 1)},
		{"e", tensor.MustFromSlice([]float32{0, -7}, 2)},
		{"a", tensor.MustFromSlice([]float32{1.5, -2}, 2)},
		{"b", tensor.MustFromSlice([]float32{1, float32(math.Ldexp(1, -24)), float32(math.Inf(-1))}, 3)},
		{"c", tensor.Scalar(3.140625)},
	}
	sameNamed(t, got, want)
	if meta["format"] != "pt" {
		t.Errorf("metadata %v", meta)
	}
}

func TestHalfToFloat32(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0400, float32(math.Ldexp(1, -14))},
		{0x03ff, float32(math.Ldexp(1023, -24))}, {0x3555, 0.333251953125},
	} {
		if got := halfToFloat32(c.h); got != c.want {
			t.Errorf("half %#04x: got %v, want %v", c.h, got, c.want)
		}
	}
	if got := halfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("half -0: got %v", got)
	}
	if got := halfToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("half NaN: got %v", got)
	}
}

// file assembles a safetensors file from a header string and data.
func file(hdr string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	return append(append(b, hdr...), data...)
}

func TestCorrupt(t *testing.T) {
	f32 := func(name string, shape string, b, e int) string {
		return fmt.Sprintf(`%q:{"dtype":"F32","shape":%s,"data_offsets":[%d,%d]}`, name, shape, b, e)
	}
	eight := make([]byte, 8)
	good := file("{"+f32("w", "[2]", 0, 8)+"}", eight)
	cases := []struct {
		name string
		b    []byte
		want string // substring of the error
	}{
		{"empty", nil, "too short"},
		{"short length", []byte{1, 2, 3}, "too short"},
		{"huge header", binary.LittleEndian.AppendUint64(nil, 1<<60), "exceeds"},
		{"header past end", binary.LittleEndian.AppendUint64(nil, 100), "exceeds"},
		{"not json", file("[1,2]", nil), "start with '{'"},
		{"bad json", file(`{"w":{`, nil), "header"},
		{"trailing json", file(`{}{}`, nil), "after the JSON object"},
		{"duplicate", file("{"+f32("w", "[1]", 0, 4)+","+f32("w", "[1]", 4, 8)+"}", eight), `"w" appears twice`},
		{"bad dtype", file(`{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}`, eight[:1]), `tensor "w": unsupported dtype "Q4"`},
		{"missing field", file(`{"w":{"dtype":"F32","shape":[1]}}`, eight[:4]), `tensor "w": needs`},
		{"null entry", file(`{"w":null}`, nil), `tensor "w": needs`},
		{"shape mismatch", file("{"+f32("w", "[3]", 0, 8)+"}", eight), `tensor "w": shape [3]`},
		{"negative dim", file("{"+f32("w", "[-2, -1]", 0, 8)+"}", eight), "negative dimension"},
		{"overflowing shape", file("{"+f32("w", "[4294967296,4294967296,4294967296]", 0, 8)+"}", eight), `tensor "w": shape`},
		{"fractional dim", file("{"+f32("w", "[2.5]", 0, 8)+"}", eight), `tensor "w": shape: expected an integer, found a JSON number 2.5`},
		{"entry a number", file(`{"w":1}`, nil), `tensor "w": expected an object, found a JSON number`},
		{"dtype a number", file(`{"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}`, eight[:4]), `tensor "w": dtype: expected a string, found a JSON number`},
		{"offsets strings", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}`, eight[:4]), `tensor "w": data_offsets: expected an integer, found a JSON string`},
		{"reversed offsets", file("{"+f32("w", "[0]", 8, 0)+"}", eight), "invalid data_offsets"},
		{"overlap", file("{"+f32("a", "[2]", 0, 8)+","+f32("b", "[1]", 4, 8)+"}", eight), "overlaps"},
		{"gap", file("{"+f32("a", "[1]", 4, 8)+"}", eight), "belong to no tensor"},
		{"truncated data", good[:len(good)-1], "need 8 bytes of data but the file has 7"},
		{"trailing data", append(append([]byte{}, good...), 0), "the file has 9"},
		{"out of range", file("{"+f32("w", "[4]", 0, 16)+"}", eight), "need 16 bytes"},
		{"metadata not strings", file(`{"__metadata__":{"a":1}}`, nil), `__metadata__ "a"`},
		{"metadata null value", file(`{"__metadata__":{"a":null}}`, nil), `__metadata__ "a"`},
		{"metadata not object", file(`{"__metadata__":[]}`, nil), "__metadata__"},
		{"big int", file(`{"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, []byte{0xff, 0xff, 0xff, 0x7f}), "not exact"},
	}
	for _, c := range cases {
		_, _, err := ParseSafetensors(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "safetensors data") {
			t.Errorf("%s: error %v, want one naming the data and containing %q", c.name, err, c.want)
		}
		// The streaming reader must reject the same inputs.
		if _, _, err := ReadSafetensors(bytes.NewReader(c.b)); err == nil {
			t.Errorf("%s: ReadSafetensors accepted it", c.name)
		}
	}
	// Errors from files name the file.
	p := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(p, good[:len(good)-1], 0o644)
	if _, _, err := LoadSafetensors(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v should name %s", err, p)
	}
}

func TestWriteRejects(t *testing.T) {
	x := tensor.New(2)
	for _, c := range []struct {
		name string
		ts   []Named
		want string
	}{
		{"empty name", []Named{{"", x}}, "invalid name"},
		{"reserved name", []Named{{"__metadata__", x}}, "invalid name"},
		{"bad utf8", []Named{{"a\xff", x}}, "invalid name"},
		{"duplicate", []Named{{"a", x}, {"a", x}}, `"a" appears twice`},
		{"nil", []Named{{"a", nil}}, `"a" is nil`},
		{"inconsistent", []Named{{"a", &tensor.Tensor{Shape: []int{3}, Data: make([]float32, 2)}}}, "shape [3] but 2 values"},
	} {
		if err := WriteSafetensors(&bytes.Buffer{}, c.ts, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// A failed save leaves no file behind.
	dir := t.TempDir()
	if err := SaveSafetensors(filepath.Join(dir, "x.safetensors"), []Named{{"", x}}, nil); err == nil {
		t.Error("SaveSafetensors accepted an empty name")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed save left %d files", len(entries))
	}
}

func FuzzReadSafetensors(f *testing.F) {
	var b bytes.Buffer
	WriteSafetensors(&b, sample(), map[string]string{"k": "v"})
	f.Add(b.Bytes())
	f.Add(file(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(file(`{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _, err := ParseSafetensors(data)
		ts2, _, err2 := ReadSafetensors(bytes.NewReader(data))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("ParseSafetensors error %v but ReadSafetensors error %v", err, err2)
		}
		if err != nil {
			return
		}
		sameNamed(t, ts2, ts)
		// What parses must survive a rewrite and reparse unchanged.
		var out bytes.Buffer
		if err := WriteSafetensors(&out, ts, nil); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		ts3, _, err := ParseSafetensors(out.Bytes())
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		sameNamed(t, ts3, ts)
	})
}
