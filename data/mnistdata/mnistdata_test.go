package mnistdata

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"testing"

	"github.com/resnorm/resnorm/data"
)

// The published checksums of the original files (also in README.md): a
// damaged or replaced copy fails here.
func TestEmbeddedFilesIntact(t *testing.T) {
	want := map[string]struct {
		size   int
		sha256 string
	}{
		"train-images-idx3-ubyte.gz": {9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
		"train-labels-idx1-ubyte.gz": {28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
		"t10k-images-idx3-ubyte.gz":  {1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
		"t10k-labels-idx1-ubyte.gz":  {4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
	}
	entries, err := fs.ReadDir(FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("embedded %d files, want %d", len(entries), len(want))
	}
	for name, w := range want {
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		sum := sha256.Sum256(b)
		if len(b) != w.size || hex.EncodeToString(sum[:]) != w.sha256 {
			t.Errorf("%s: %d bytes, sha256 %x; want %d bytes, sha256 %s", name, len(b), sum, w.size, w.sha256)
		}
	}
}

func TestLoad(t *testing.T) {
	train, test, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		d      *data.Dataset
		n      int
		first  []int
		counts []int
		sum0   float64 // sum of the first image's raw pixel values
	}{
		{"train", train, 60000, []int{5, 0, 4, 1, 9}, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 27525},
		{"test", test, 10000, []int{7, 2, 1, 0, 4}, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, 18454},
	} {
		if want := []int{c.n, 28, 28, 1}; !slices.Equal(c.d.X.Shape, want) || len(c.d.Y) != c.n {
			t.Errorf("%s: X %v with %d labels, want %v", c.name, c.d.X.Shape, len(c.d.Y), want)
			continue
		}
		if !slices.Equal(c.d.Y[:5], c.first) {
			t.Errorf("%s: first labels %v, want %v", c.name, c.d.Y[:5], c.first)
		}
		counts, err := data.ClassCounts(c.d.Y, 10)
		if err != nil || !slices.Equal(counts, c.counts) {
			t.Errorf("%s: label histogram %v (%v), want %v", c.name, counts, err, c.counts)
		}
		lo, hi, sum0 := float32(1), float32(0), 0.0
		for i, v := range c.d.X.Data {
			lo, hi = min(lo, v), max(hi, v)
			if i < 784 {
				sum0 += float64(v)
			}
		}
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixels span [%v, %v], want [0, 1]", c.name, lo, hi)
		}
		if got := sum0 * 255; got < c.sum0-0.01 || got > c.sum0+0.01 {
			t.Errorf("%s: first image's pixels sum to %v/255, want %v/255", c.name, got, c.sum0)
		}
	}
}

func ExampleLoad() {
	train, test, err := Load()
	if err != nil {
		panic(err)
	}
	fmt.Println(train.X.Shape, test.X.Shape, "first label:", train.Y[0])
	// Output: [60000 28 28 1] [10000 28 28 1] first label: 5
}
