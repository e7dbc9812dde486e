package data

// IDX is the file format of MNIST and Fashion-MNIST: a 4-byte magic
// (0x00 0x00 type ndim), ndim big-endian uint32 dimensions, then the elements,
// big-endian, row-major. This file reads it from untrusted bytes: every size
// is checked against a limit and, when the input's length is known, against
// that length BEFORE anything is allocated, so a corrupt header cannot make
// the reader allocate gigabytes. It does not write IDX (nothing needs to).

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
)

// IDXType is the element type of an IDX file (the third magic byte).
type IDXType byte

// The element types the IDX format defines.
const (
	IDXUint8   IDXType = 0x08
	IDXInt8    IDXType = 0x09
	IDXInt16   IDXType = 0x0B
	IDXInt32   IDXType = 0x0C
	IDXFloat32 IDXType = 0x0D
	IDXFloat64 IDXType = 0x0E
)

// Size returns the byte size of one element, or 0 for an unknown type.
func (t IDXType) Size() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

func (t IDXType) String() string {
	switch t {
	case IDXUint8:
		return "uint8"
	case IDXInt8:
		return "int8"
	case IDXInt16:
		return "int16"
	case IDXInt32:
		return "int32"
	case IDXFloat32:
		return "float32"
	case IDXFloat64:
		return "float64"
	}
	return fmt.Sprintf("unknown type 0x%02x", byte(t))
}

// MaxIDXElements bounds the element count a header may declare (2^31, about
// 45 times full MNIST): beyond it the file is taken to be corrupt.
const MaxIDXElements = 1 << 31

// Errors a caller can test for with errors.Is; the returned errors wrap them
// with the file name and the numbers at fault.
var (
	ErrIDXMagic     = errors.New("not an IDX file (bad magic)")
	ErrIDXType      = errors.New("unsupported IDX element type")
	ErrIDXDims      = errors.New("bad IDX dimensions")
	ErrIDXTruncated = errors.New("truncated IDX data")
	ErrIDXTrailing  = errors.New("trailing data after the IDX contents")
	ErrIDXCorrupt   = errors.New("corrupt gzip stream")
)

// IDX is a decoded IDX file. Data holds the elements as stored: big-endian,
// row-major, Type.Size() bytes each; use At, Float32s or Ints to read them.
type IDX struct {
	Type IDXType
	Dims []int
	Data []byte
}

// Len returns the number of elements (the product of Dims).
func (x *IDX) Len() int { return len(x.Data) / x.Type.Size() }

// At returns element i (in row-major order) as a float64, which holds every
// IDX type exactly.
func (x *IDX) At(i int) float64 {
	switch x.Type {
	case IDXUint8:
		return float64(x.Data[i])
	case IDXInt8:
		return float64(int8(x.Data[i]))
	case IDXInt16:
		return float64(int16(binary.BigEndian.Uint16(x.Data[2*i:])))
	case IDXInt32:
		return float64(int32(binary.BigEndian.Uint32(x.Data[4*i:])))
	case IDXFloat32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(x.Data[4*i:])))
	case IDXFloat64:
		return math.Float64frombits(binary.BigEndian.Uint64(x.Data[8*i:]))
	}
	panic(fmt.Sprintf("data: IDX.At on %v", x.Type))
}

// Float32s returns the elements converted to float32 (unscaled; float64
// elements are rounded).
func (x *IDX) Float32s() []float32 {
	out := make([]float32, x.Len())
	if x.Type == IDXUint8 {
		for i, b := range x.Data {
			out[i] = float32(b)
		}
		return out
	}
	for i := range out {
		out[i] = float32(x.At(i))
	}
	return out
}

// Ints returns the elements as ints; it fails for float elements that are not
// whole numbers.
func (x *IDX) Ints() ([]int, error) {
	out := make([]int, x.Len())
	for i := range out {
		v := x.At(i)
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return nil, fmt.Errorf("data: IDX element %d is %v, not an integer", i, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

// ReadIDX decodes an IDX file from r, raw or gzip-compressed (recognised by
// the gzip magic 1f 8b). It reads r to its end: bytes after the declared
// elements are an error, as is a short file. When r reports its length
// (bytes.Reader, strings.Reader, *os.File …) sizes are checked before reading.
func ReadIDX(r io.Reader) (*IDX, error) {
	x, err := readIDX(r, remaining(r))
	if err != nil {
		return nil, fmt.Errorf("data: read IDX: %w", err)
	}
	return x, nil
}

// ReadIDXFile decodes the IDX file at path (raw or gzip-compressed).
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	x, err := readIDX(f, remaining(f))
	if err != nil {
		return nil, fmt.Errorf("data: read IDX file %s: %w", path, err)
	}
	return x, nil
}

// ReadIDXFS decodes the IDX file name in fsys (raw or gzip-compressed).
func ReadIDXFS(fsys fs.FS, name string) (*IDX, error) {
	x, err := readIDXFS(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("data: read IDX file %s: %w", name, err)
	}
	return x, nil
}

func readIDXFS(fsys fs.FS, name string) (*IDX, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return readIDX(f, size)
}

// remaining returns how many bytes r has left, or -1 when it cannot tell.
func remaining(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case io.Seeker:
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		end, err := v.Seek(0, io.SeekEnd)
		if err != nil {
			return -1
		}
		if _, err := v.Seek(cur, io.SeekStart); err != nil {
			return -1
		}
		return end - cur
	}
	return -1
}

// readIDX decodes one IDX file; size is the number of bytes r holds, or -1.
func readIDX(r io.Reader, size int64) (*IDX, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	src := io.Reader(br)
	var zr *gzip.Reader
	if m, _ := br.Peek(2); len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		var err error
		if zr, err = gzip.NewReader(br); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrIDXCorrupt, err)
		}
		zr.Multistream(false) // a second member would be trailing data
		src, size = zr, -1    // the decompressed size is unknown
	}

	var magic [4]byte
	if n, err := io.ReadFull(src, magic[:]); err != nil {
		return nil, shortRead(err, fmt.Sprintf("the input ends after %d bytes, inside the 4-byte magic number", n))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%w: starts with % x, want 00 00 <type> <ndim>", ErrIDXMagic, magic[:])
	}
	typ := IDXType(magic[2])
	if typ.Size() == 0 {
		return nil, fmt.Errorf("%w 0x%02x (want 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32 or 0x0E float64)", ErrIDXType, magic[2])
	}
	ndim := int(magic[3])
	if ndim == 0 {
		return nil, fmt.Errorf("%w: the header declares 0 dimensions", ErrIDXDims)
	}
	hdr := make([]byte, 4*ndim)
	if n, err := io.ReadFull(src, hdr); err != nil {
		return nil, shortRead(err, fmt.Sprintf("the header declares %d dimensions but the input ends after %d of their %d bytes", ndim, n, len(hdr)))
	}
	dims := make([]int, ndim)
	count := int64(1)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(hdr[4*i:]))
		if d == 0 {
			return nil, fmt.Errorf("%w: dimension %d of %d is 0", ErrIDXDims, i, ndim)
		}
		if d > MaxIDXElements/count {
			return nil, fmt.Errorf("%w: dimensions %s hold more than %d elements; the header is corrupt", ErrIDXDims, dimsString(hdr, ndim), int64(MaxIDXElements))
		}
		count *= d
		dims[i] = int(d)
	}
	need := count * int64(typ.Size())
	what := fmt.Sprintf("the header declares %s %v = %d bytes of data", shapeString(dims), typ, need)
	if size >= 0 {
		switch avail := size - int64(4+len(hdr)); {
		case avail < need:
			return nil, fmt.Errorf("%w: %s but only %d bytes follow the header", ErrIDXTruncated, what, avail)
		case avail > need:
			return nil, fmt.Errorf("%w: %s but %d bytes follow the header (%d extra)", ErrIDXTrailing, what, avail, avail-need)
		}
	}

	buf, err := readN(src, need, size >= 0)
	if err != nil {
		return nil, shortRead(err, fmt.Sprintf("%s but the data ends after %d bytes", what, len(buf)))
	}
	// Read on to the end: extra bytes mean the header lies, and for gzip this
	// is also where the CRC is checked.
	var one [1]byte
	if n, err := io.ReadFull(src, one[:]); n > 0 {
		return nil, fmt.Errorf("%w: %s but more bytes follow", ErrIDXTrailing, what)
	} else if err != io.EOF {
		return nil, shortRead(err, what)
	}
	if zr != nil {
		if n, _ := br.Read(one[:]); n > 0 {
			return nil, fmt.Errorf("%w: bytes follow the end of the gzip stream", ErrIDXTrailing)
		}
	}
	return &IDX{Type: typ, Dims: dims, Data: buf}, nil
}

// readN reads exactly n bytes. Unless n is known to be available (exact), the
// buffer grows as data arrives, so memory is bounded by the input's real size
// and not by what a corrupt header claims.
func readN(r io.Reader, n int64, exact bool) ([]byte, error) {
	size := n
	if !exact {
		size = min(n, 1<<20)
	}
	buf := make([]byte, size)
	got := 0
	for {
		k, err := io.ReadFull(r, buf[got:])
		got += k
		if err != nil {
			return buf[:got], err
		}
		if int64(got) == n {
			return buf, nil
		}
		buf = append(buf, make([]byte, min(n, 2*int64(len(buf)))-int64(len(buf)))...)
	}
}

// shortRead classifies a read error: running out of input is truncation; a
// gzip failure is corruption; anything else (an I/O error) passes through.
func shortRead(err error, what string) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("%w: %s", ErrIDXTruncated, what)
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || isFlateError(err):
		return fmt.Errorf("%w: %v (%s)", ErrIDXCorrupt, err, what)
	}
	return err
}

func isFlateError(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce)
}

func shapeString(dims []int) string {
	var b strings.Builder
	for i, d := range dims {
		if i > 0 {
			b.WriteString("×")
		}
		fmt.Fprint(&b, d)
	}
	return b.String()
}

func dimsString(hdr []byte, ndim int) string {
	dims := make([]int, ndim)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(hdr[4*i:]))
	}
	return shapeString(dims)
}
