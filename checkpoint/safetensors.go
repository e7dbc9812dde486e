// Package checkpoint reads and writes resnorm's files: tensors in Hugging
// Face's safetensors format, and any file written atomically (temp file,
// fsync, rename) so a crash never leaves a half-written checkpoint.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON header, then the raw little-endian tensor data:
//
//	{"__metadata__": {"key": "value"},
//	 "dense_1/kernel": {"dtype": "F32", "shape": [784, 10], "data_offsets": [0, 31360]}, ...}
//
// data_offsets are [begin, end) byte offsets into the data that follows the
// header; the tensors tile the data exactly, without gaps or overlaps. The
// reader treats every file as hostile: each number in the header is checked
// against the file before anything is allocated from it.
package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/resnorm/resnorm/internal/jsonerr"
	"github.com/resnorm/resnorm/tensor"
)

// Named is a tensor with the name it is stored under.
type Named struct {
	Name string
	T    *tensor.Tensor
}

const (
	metadataKey = "__metadata__"
	// maxHeader bounds the JSON header, as the reference implementation
	// does; real headers are at most a few MB.
	maxHeader = 100 << 20
	// maxBytes bounds any offset so that sums of offsets cannot overflow.
	maxBytes = 1 << 56
	// chunk is the I/O buffer size for tensor data.
	chunk = 1 << 16
)

// dtypeSize gives the element size of the dtypes resnorm reads. Everything
// is converted to float32: F16, BF16 exactly, F64 rounded to nearest, and
// integers only when exactly representable (e.g. BERT's position_ids).
var dtypeSize = map[string]int64{"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4}

// WriteSafetensors writes tensors (as F32, in the given order, so the bytes
// are deterministic) and the optional metadata to w in safetensors format.
// Names must be unique, non-empty, valid UTF-8 and not "__metadata__".
func WriteSafetensors(w io.Writer, tensors []Named, metadata map[string]string) error {
	hdr, err := header(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, chunk)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	bw.Write(n[:])
	bw.Write(hdr)
	buf := make([]byte, chunk)
	for _, nt := range tensors {
		d := nt.T.Data
		for len(d) > 0 {
			k := min(len(d), chunk/4)
			for i, v := range d[:k] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := bw.Write(buf[:4*k]); err != nil {
				return fmt.Errorf("checkpoint: writing tensor %q: %w", nt.Name, err)
			}
			d = d[k:]
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("checkpoint: writing safetensors: %w", err)
	}
	return nil
}

// SaveSafetensors writes tensors and metadata to path atomically (see
// AtomicWriteFile).
func SaveSafetensors(path string, tensors []Named, metadata map[string]string) error {
	// Validate before creating any file.
	if _, err := header(tensors, metadata); err != nil {
		return fmt.Errorf("%w (saving %s)", err, path)
	}
	return AtomicWriteFile(path, func(w io.Writer) error { return WriteSafetensors(w, tensors, metadata) })
}

// header builds the JSON header, padded with spaces to a multiple of 8 bytes
// so the data (and every F32 tensor in it) starts aligned.
func header(tensors []Named, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(metadata) > 0 {
		b.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if !utf8.ValidString(k) || !utf8.ValidString(metadata[k]) {
				return nil, fmt.Errorf("checkpoint: metadata %q is not valid UTF-8", k)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, metadata[k])
		}
		b.WriteByte('}')
	}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for i, nt := range tensors {
		switch {
		case nt.Name == "" || nt.Name == metadataKey || !utf8.ValidString(nt.Name):
			return nil, fmt.Errorf("checkpoint: tensor %d has invalid name %q", i, nt.Name)
		case seen[nt.Name]:
			return nil, fmt.Errorf("checkpoint: tensor name %q appears twice", nt.Name)
		case nt.T == nil:
			return nil, fmt.Errorf("checkpoint: tensor %q is nil", nt.Name)
		case tensor.Numel(nt.T.Shape) != len(nt.T.Data):
			return nil, fmt.Errorf("checkpoint: tensor %q has shape %v but %d values", nt.Name, nt.T.Shape, len(nt.T.Data))
		}
		seen[nt.Name] = true
		if i > 0 || len(metadata) > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, nt.Name)
		end := off + 4*int64(len(nt.T.Data))
		fmt.Fprintf(&b, `:{"dtype":"F32","shape":[%s],"data_offsets":[%d,%d]}`, joinInts(nt.T.Shape), off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false) // keep names like "a<b" readable; still valid JSON
	e.Encode(s)
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

func joinInts(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, ",")
}

// LoadSafetensors reads a safetensors file; see ReadSafetensors. Errors name
// the file.
func LoadSafetensors(path string) ([]Named, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %w", err)
	}
	return parse(path, bufio.NewReaderSize(f, chunk), fi.Size())
}

// ReadSafetensors reads a whole safetensors stream from r and returns its
// tensors in file order (by data offset) and its metadata (nil if none).
// Every header number is checked before use; a stream that ends early,
// or has bytes after the last tensor, is an error. Memory grows with the
// bytes actually read, never with a number claimed by the header.
func ReadSafetensors(r io.Reader) ([]Named, map[string]string, error) {
	return parse("safetensors stream", r, -1)
}

// ParseSafetensors is ReadSafetensors for bytes already in memory.
func ParseSafetensors(b []byte) ([]Named, map[string]string, error) {
	return parse("safetensors data", bytes.NewReader(b), int64(len(b)))
}

// entry is one tensor's header record, offsets relative to the data start.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// parse reads a safetensors file from r. size is the total size when known
// (a file), -1 otherwise; src names the file in errors.
func parse(src string, r io.Reader, size int64) ([]Named, map[string]string, error) {
	fail := func(format string, args ...any) ([]Named, map[string]string, error) {
		return nil, nil, fmt.Errorf("checkpoint: %s: "+format, append([]any{src}, args...)...)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return fail("too short to hold the 8-byte header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n < 2:
		return fail("header length %d is too small for a JSON object", n)
	case n > maxHeader:
		return fail("header length %d exceeds the %d-byte limit (not a safetensors file?)", n, maxHeader)
	case size >= 0 && int64(n) > size-8:
		return fail("header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	hdr, err := readN(r, int64(n), size >= 0)
	if err != nil {
		return fail("reading the %d-byte header: %v", n, err)
	}
	entries, meta, err := parseHeader(hdr)
	if err != nil {
		return fail("%v", err)
	}
	total, err := checkLayout(entries)
	if err != nil {
		return fail("%v", err)
	}
	if size >= 0 && size-8-int64(n) != total {
		return fail("tensors need %d bytes of data but the file has %d after the header", total, size-8-int64(n))
	}
	out := make([]Named, len(entries))
	buf := make([]byte, chunk)
	for i, e := range entries {
		data, err := readTensor(r, e, buf, size >= 0)
		if err != nil {
			return fail("tensor %q: %v", e.name, err)
		}
		t, err := tensor.FromSlice(data, e.shape...)
		if err != nil {
			return fail("tensor %q: %v", e.name, err)
		}
		out[i] = Named{Name: e.name, T: t}
	}
	if size < 0 {
		var b [1]byte
		if k, _ := io.ReadFull(r, b[:]); k > 0 {
			return fail("unexpected bytes after the last tensor (data should be %d bytes)", total)
		}
	}
	return out, meta, nil
}

// readN reads exactly n bytes. When the caller has checked n against the
// file size it allocates n at once; otherwise the buffer grows with the
// bytes that actually arrive.
func readN(r io.Reader, n int64, trusted bool) ([]byte, error) {
	if trusted {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	var b bytes.Buffer
	k, err := io.CopyN(&b, r, n)
	if err == io.EOF {
		err = fmt.Errorf("stream ends after %d bytes", k)
	}
	return b.Bytes(), err
}

// parseHeader decodes the JSON header: tensor entries (in header order)
// and the optional metadata. It rejects duplicate names, which
// encoding/json would silently collapse.
func parseHeader(hdr []byte) ([]entry, map[string]string, error) {
	if hdr[0] != '{' {
		return nil, nil, errors.New("header does not start with '{'")
	}
	if !utf8.Valid(hdr) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	fields, err := objectFields(hdr)
	if err != nil {
		return nil, nil, fmt.Errorf("header: %v", err)
	}
	var meta map[string]string
	var entries []entry
	for _, f := range fields {
		if f.key == metadataKey {
			mf, err := objectFields(f.raw)
			if err != nil {
				return nil, nil, fmt.Errorf("__metadata__: %v", err)
			}
			meta = make(map[string]string, len(mf))
			for _, m := range mf {
				var s string
				if err := json.Unmarshal(m.raw, &s); err != nil || m.raw[0] != '"' {
					return nil, nil, fmt.Errorf("__metadata__ %q: value must be a string", m.key)
				}
				meta[m.key] = s
			}
			continue
		}
		if f.key == "" {
			return nil, nil, errors.New("a tensor has an empty name")
		}
		e, err := parseEntry(f.key, f.raw)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %v", f.key, err)
		}
		entries = append(entries, e)
	}
	return entries, meta, nil
}

type field struct {
	key string
	raw json.RawMessage
}

// objectFields splits a JSON object into its fields in order, failing on
// duplicate keys or anything after the closing brace but whitespace.
func objectFields(b []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []field
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // inside an object the decoder only yields string keys
		if seen[key] {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("key %q: %v", key, err)
		}
		out = append(out, field{key, raw})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return out, nil
}

func parseEntry(name string, raw []byte) (entry, error) {
	var j struct {
		Dtype       *string  `json:"dtype"`
		Shape       *[]int64 `json:"shape"`
		DataOffsets *[]int64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return entry{}, jsonerr.Explain(err)
	}
	if j.Dtype == nil || j.Shape == nil || j.DataOffsets == nil {
		return entry{}, errors.New("needs dtype, shape and data_offsets")
	}
	e := entry{name: name, dtype: *j.Dtype}
	esize, ok := dtypeSize[e.dtype]
	if !ok {
		return entry{}, fmt.Errorf("unsupported dtype %q (resnorm reads F32, F16, BF16, F64, I64, I32)", e.dtype)
	}
	offs := *j.DataOffsets
	if len(offs) != 2 {
		return entry{}, fmt.Errorf("data_offsets %v must be [begin, end]", offs)
	}
	e.begin, e.end = offs[0], offs[1]
	if e.begin < 0 || e.end < e.begin || e.end > maxBytes {
		return entry{}, fmt.Errorf("invalid data_offsets %v", offs)
	}
	// The byte range bounds the element count, so check each dimension
	// against it before multiplying: no overflow, no huge shapes.
	limit := (e.end - e.begin) / esize
	numel := int64(1)
	for _, d := range *j.Shape {
		if d < 0 {
			return entry{}, fmt.Errorf("negative dimension in shape %v", *j.Shape)
		}
		if d != 0 && numel > limit/d {
			numel = -1
			break
		}
		numel *= d
		e.shape = append(e.shape, int(d))
	}
	if numel < 0 || numel*esize != e.end-e.begin {
		return entry{}, fmt.Errorf("shape %v of %s needs a different byte count than data_offsets %v (%d bytes)",
			*j.Shape, e.dtype, offs, e.end-e.begin)
	}
	if e.shape == nil {
		e.shape = []int{} // a scalar
	}
	return e, nil
}

// checkLayout sorts entries into file order and checks that they tile the
// data without gaps or overlaps; it returns the data size.
func checkLayout(es []entry) (int64, error) {
	slices.SortFunc(es, func(a, b entry) int {
		if a.begin != b.begin {
			return cmpInt64(a.begin, b.begin)
		}
		if a.end != b.end {
			return cmpInt64(a.end, b.end)
		}
		return strings.Compare(a.name, b.name)
	})
	var pos int64
	var prev string
	for _, e := range es {
		switch {
		case e.begin < pos:
			return 0, fmt.Errorf("tensor %q (bytes %d..%d) overlaps tensor %q", e.name, e.begin, e.end, prev)
		case e.begin > pos:
			return 0, fmt.Errorf("bytes %d..%d before tensor %q belong to no tensor", pos, e.begin, e.name)
		}
		pos = e.end
		prev = e.name
	}
	return pos, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// readTensor reads e's bytes from r (positioned at e.begin) and converts
// them to float32. Unless trusted, the output grows with the data read.
func readTensor(r io.Reader, e entry, buf []byte, trusted bool) ([]float32, error) {
	esize := dtypeSize[e.dtype]
	numel := (e.end - e.begin) / esize
	var out []float32
	if trusted {
		out = make([]float32, 0, numel)
	} else {
		out = make([]float32, 0, min(numel, chunk))
	}
	per := int64(len(buf)) / esize
	for left := numel; left > 0; {
		k := min(left, per)
		b := buf[:k*esize]
		if _, err := io.ReadFull(r, b); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, fmt.Errorf("data ends early (truncated file?)")
			}
			return nil, err
		}
		var err error
		out, err = convert(out, b, e.dtype)
		if err != nil {
			return nil, err
		}
		left -= k
	}
	return out, nil
}

// convert appends the little-endian values in b, of the given dtype, to out.
func convert(out []float32, b []byte, dtype string) ([]float32, error) {
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := 0; i < len(b); i += 4 {
			out = append(out, math.Float32frombits(le.Uint32(b[i:])))
		}
	case "F16":
		for i := 0; i < len(b); i += 2 {
			out = append(out, halfToFloat32(le.Uint16(b[i:])))
		}
	case "BF16":
		for i := 0; i < len(b); i += 2 {
			out = append(out, math.Float32frombits(uint32(le.Uint16(b[i:]))<<16))
		}
	case "F64":
		for i := 0; i < len(b); i += 8 {
			out = append(out, float32(math.Float64frombits(le.Uint64(b[i:]))))
		}
	case "I64", "I32":
		for i := 0; i < len(b); {
			var v int64
			if dtype == "I64" {
				v = int64(le.Uint64(b[i:]))
				i += 8
			} else {
				v = int64(int32(le.Uint32(b[i:])))
				i += 4
			}
			// Integers are exact in float32 up to 2^24 in magnitude.
			if v > 1<<24 || v < -(1<<24) {
				return nil, fmt.Errorf("%s value %d is not exact in float32", dtype, v)
			}
			out = append(out, float32(v))
		}
	}
	return out, nil
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0: // zero or subnormal: mant × 2^-24
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case 0x1f: // infinity or NaN (payload kept)
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}
