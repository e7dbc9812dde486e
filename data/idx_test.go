package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// idxBytes builds an IDX file: header for typ and dims, then payload as is.
func idxBytes(typ IDXType, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, byte(typ), byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// onlyReader hides Len/Seek, so the reader cannot know the input's size.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadIDXTypes(t *testing.T) {
	be := binary.BigEndian
	cases := []struct {
		typ     IDXType
		payload []byte
		want    []float64
	}{
		{IDXUint8, []byte{0, 7, 255, 128}, []float64{0, 7, 255, 128}},
		{IDXInt8, []byte{0, 7, 255, 128}, []float64{0, 7, -1, -128}},
		{IDXInt16, be.AppendUint16(be.AppendUint16(be.AppendUint16(be.AppendUint16(nil, 1), 0xffff), 0x8000), 300), []float64{1, -1, -32768, 300}},
		{IDXInt32, be.AppendUint32(be.AppendUint32(be.AppendUint32(be.AppendUint32(nil, 1), 0xffffffff), 70000), 0x80000000), []float64{1, -1, 70000, -2147483648}},
		{IDXFloat32, be.AppendUint32(be.AppendUint32(be.AppendUint32(be.AppendUint32(nil, math.Float32bits(1.5)), math.Float32bits(-2)), 0), math.Float32bits(1e-3)), []float64{1.5, -2, 0, float64(float32(1e-3))}},
		{IDXFloat64, be.AppendUint64(be.AppendUint64(be.AppendUint64(be.AppendUint64(nil, math.Float64bits(0.1)), math.Float64bits(-3)), 0), math.Float64bits(1e300)), []float64{0.1, -3, 0, 1e300}},
	}
	for _, c := range cases {
		raw := idxBytes(c.typ, []uint32{2, 2}, c.payload)
		for _, in := range []struct {
			name string
			r    io.Reader
		}{
			{"raw", bytes.NewReader(raw)},
			{"raw-unsized", onlyReader{bytes.NewReader(raw)}},
			{"gzip", bytes.NewReader(gz(raw))},
		} {
			x, err := ReadIDX(in.r)
			if err != nil {
				t.Errorf("%v %s: %v", c.typ, in.name, err)
				continue
			}
			if x.Type != c.typ || !slices.Equal(x.Dims, []int{2, 2}) || x.Len() != 4 {
				t.Errorf("%v %s: got type %v dims %v len %d", c.typ, in.name, x.Type, x.Dims, x.Len())
			}
			for i, w := range c.want {
				if got := x.At(i); got != w {
					t.Errorf("%v %s: element %d = %v, want %v", c.typ, in.name, i, got, w)
				}
				if got := x.Float32s()[i]; got != float32(w) {
					t.Errorf("%v %s: Float32s()[%d] = %v, want %v", c.typ, in.name, i, got, float32(w))
				}
			}
		}
	}
}

func TestIDXInts(t *testing.T) {
	x := &IDX{Type: IDXFloat32, Dims: []int{2}, Data: binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, math.Float32bits(3)), math.Float32bits(2.5))}
	if _, err := x.Ints(); err == nil || !strings.Contains(err.Error(), "element 1 is 2.5") {
		t.Errorf("Ints of 2.5: got %v, want an error naming element 1", err)
	}
	x = &IDX{Type: IDXInt8, Dims: []int{3}, Data: []byte{1, 0xff, 9}}
	if got, err := x.Ints(); err != nil || !slices.Equal(got, []int{1, -1, 9}) {
		t.Errorf("Ints = %v, %v; want [1 -1 9]", got, err)
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(IDXUint8, []uint32{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	gzGood := gz(good)
	badCRC := slices.Clone(gzGood)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	cases := []struct {
		name string
		in   []byte
		want error
		text string // must appear in the message
		mode string // "sized", "unsized" (Len hidden) or "both"
	}{
		{"empty", nil, ErrIDXTruncated, "ends after 0 bytes", "both"},
		{"short magic", []byte{0, 0, 8}, ErrIDXTruncated, "inside the 4-byte magic", "both"},
		{"wrong magic", []byte("P5\n28 28\n255\n"), ErrIDXMagic, "50 35 0a 32", "both"},
		{"wrong magic byte 1", idxBytes(IDXUint8, []uint32{1}, []byte{1})[1:], ErrIDXMagic, "", "both"},
		{"wrong type", idxBytes(0x07, []uint32{1}, []byte{1}), ErrIDXType, "0x07", "both"},
		{"type 0x0a", idxBytes(0x0A, []uint32{1}, []byte{1}), ErrIDXType, "0x0a", "both"},
		{"zero dims", idxBytes(IDXUint8, nil, []byte{1}), ErrIDXDims, "0 dimensions", "both"},
		{"zero dimension", idxBytes(IDXUint8, []uint32{3, 0}, nil), ErrIDXDims, "dimension 1 of 2 is 0", "both"},
		{"short dims", idxBytes(IDXUint8, []uint32{3, 2}, nil)[:9], ErrIDXTruncated, "declares 2 dimensions but the input ends after 5", "both"},
		{"absurd dims", idxBytes(IDXUint8, []uint32{0xffffffff, 0xffffffff, 2}, []byte{1}), ErrIDXDims, "4294967295×4294967295×2", "both"},
		{"just over the limit", idxBytes(IDXUint8, []uint32{1 << 16, 1<<15 + 1}, []byte{1}), ErrIDXDims, "more than 2147483648", "both"},
		{"truncated data", good[:len(good)-2], ErrIDXTruncated, "3×2 uint8 = 6 bytes of data but only 4 bytes follow", "sized"},
		{"truncated unsized", good[:len(good)-2], ErrIDXTruncated, "3×2 uint8 = 6 bytes of data but the data ends after 4", "unsized"},
		{"trailing garbage", append(slices.Clone(good), 9, 9), ErrIDXTrailing, "8 bytes follow the header (2 extra)", "sized"},
		{"trailing unsized", append(slices.Clone(good), 9), ErrIDXTrailing, "but more bytes follow", "unsized"},
		{"gzip truncated", gzGood[:len(gzGood)-12], ErrIDXTruncated, "", "both"},
		{"gzip header only", gzGood[:5], ErrIDXCorrupt, "gzip", "both"},
		{"gzip bad crc", badCRC, ErrIDXCorrupt, "checksum", "both"},
		{"gzip of truncated", gz(good[:len(good)-1]), ErrIDXTruncated, "ends after 5", "both"},
		{"gzip of trailing", gz(append(slices.Clone(good), 0)), ErrIDXTrailing, "more", "both"},
		{"bytes after gzip", append(slices.Clone(gzGood), 0), ErrIDXTrailing, "end of the gzip stream", "both"},
		{"two gzip members", append(slices.Clone(gzGood), gzGood...), ErrIDXTrailing, "end of the gzip stream", "both"},
	}
	for _, c := range cases {
		readers := map[string]io.Reader{}
		if c.mode != "unsized" {
			readers["sized"] = bytes.NewReader(c.in)
		}
		if c.mode != "sized" {
			readers["unsized"] = onlyReader{bytes.NewReader(c.in)}
		}
		for how, r := range readers {
			x, err := ReadIDX(r)
			if err == nil {
				t.Errorf("%s (%s): no error, got %v %v", c.name, how, x.Type, x.Dims)
				continue
			}
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) || !strings.HasPrefix(err.Error(), "data: read IDX: ") {
				t.Errorf("%s (%s): error %q; want %q containing %q", c.name, how, err, c.want, c.text)
			}
		}
	}
}

// A header that claims 2^31 elements must not make an unsized read allocate
// them: memory follows the bytes that really arrive.
func TestReadIDXHugeHeaderBoundedMemory(t *testing.T) {
	in := idxBytes(IDXUint8, []uint32{1 << 15, 1 << 16}, make([]byte, 1000))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDX(onlyReader{bytes.NewReader(in)})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrIDXTruncated) || !strings.Contains(err.Error(), "2147483648 bytes of data but the data ends after 1000 bytes") {
		t.Errorf("got %v, want a truncation error", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("reading a 1 KB file allocated %d bytes", alloc)
	}
	_, err = ReadIDX(bytes.NewReader(gz(in)))
	if !errors.Is(err, ErrIDXTruncated) {
		t.Errorf("gzip: got %v, want a truncation error", err)
	}
}

func TestReadIDXFileNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	good := idxBytes(IDXUint8, []uint32{2, 2}, []byte{1, 2, 3, 4})
	okPath, badPath := filepath.Join(dir, "ok.idx.gz"), filepath.Join(dir, "bad-labels-idx1-ubyte")
	os.WriteFile(okPath, gz(good), 0o644)
	os.WriteFile(badPath, good[:14], 0o644)
	if x, err := ReadIDXFile(okPath); err != nil || !slices.Equal(x.Data, []byte{1, 2, 3, 4}) {
		t.Errorf("ReadIDXFile(%s) = %v, %v", okPath, x, err)
	}
	_, err := ReadIDXFile(badPath)
	if !errors.Is(err, ErrIDXTruncated) || !strings.Contains(err.Error(), badPath) || !strings.Contains(err.Error(), "only 2 bytes follow") {
		t.Errorf("ReadIDXFile of a truncated file: %v", err)
	}
	_, err = ReadIDXFile(filepath.Join(dir, "missing"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("ReadIDXFile of a missing file: %v", err)
	}
	_, err = ReadIDXFS(os.DirFS(dir), "bad-labels-idx1-ubyte")
	if !errors.Is(err, ErrIDXTruncated) || !strings.Contains(err.Error(), "bad-labels-idx1-ubyte: truncated") {
		t.Errorf("ReadIDXFS of a truncated file: %v", err)
	}
}

// FuzzReadIDX: any input gives a decoded file or an error, never a panic, and
// a decoded file is consistent with its header. Memory stays bounded because
// the reader checks sizes before allocating (run with -fuzz=FuzzReadIDX).
func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes(IDXUint8, []uint32{3, 2}, []byte{1, 2, 3, 4, 5, 6}))
	f.Add(idxBytes(IDXInt16, []uint32{2}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes(IDXFloat64, []uint32{1}, []byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}))
	f.Add(idxBytes(IDXUint8, []uint32{0xffffffff, 0xffffffff}, nil))
	f.Add(idxBytes(IDXUint8, []uint32{1 << 15, 1 << 16}, []byte{1}))
	f.Add(gz(idxBytes(IDXUint8, []uint32{2, 2}, []byte{1, 2, 3, 4})))
	f.Add(gz(idxBytes(IDXInt32, []uint32{1 << 20, 1 << 10}, []byte{1, 2})))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, r := range []io.Reader{bytes.NewReader(in), onlyReader{bytes.NewReader(in)}} {
			x, err := ReadIDX(r)
			if err != nil {
				if x != nil {
					t.Fatalf("error %v with a non-nil result", err)
				}
				continue
			}
			n := x.Type.Size()
			for _, d := range x.Dims {
				n *= d
			}
			if n == 0 || len(x.Data) != n {
				t.Fatalf("decoded %v %v with %d data bytes", x.Type, x.Dims, len(x.Data))
			}
			_ = x.At(x.Len() - 1)
		}
	})
}
