package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeMNIST writes a tiny MNIST-format directory: nTrain/nTest images of
// 2×3 pixels (pixel value = 51·(sample mod 6)) and labels sample mod 10.
// names overrides file names (index as in MNISTFiles); gzipped ones get .gz.
func writeMNIST(t *testing.T, nTrain, nTest int, edit func(i int, b []byte) []byte) string {
	t.Helper()
	dir := t.TempDir()
	for i, name := range MNISTFiles {
		n := nTrain
		if i >= 2 {
			n = nTest
		}
		var b []byte
		if i%2 == 0 {
			px := make([]byte, n*6)
			for s := range n {
				for p := range 6 {
					px[6*s+p] = byte(51 * ((s + p) % 6))
				}
			}
			b = idxBytes(IDXUint8, []uint32{uint32(n), 2, 3}, px)
		} else {
			lab := make([]byte, n)
			for s := range lab {
				lab[s] = byte(s % 10)
			}
			b = idxBytes(IDXUint8, []uint32{uint32(n)}, lab)
		}
		if edit != nil {
			b = edit(i, b)
		}
		switch i {
		case 0: // gzipped, like the official download
			name, b = name+".gz", gz(b)
		case 3: // the "dotted" spelling of some mirrors
			name = "t10k-labels.idx1-ubyte"
		}
		if b != nil {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func TestLoadMNIST(t *testing.T) {
	dir := writeMNIST(t, 12, 7, nil)
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.X.Shape, []int{12, 2, 3, 1}) || !slices.Equal(test.X.Shape, []int{7, 2, 3, 1}) {
		t.Fatalf("shapes %v and %v", train.X.Shape, test.X.Shape)
	}
	if !slices.Equal(train.Y, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1}) || !slices.Equal(test.Y, []int{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("labels %v / %v", train.Y, test.Y)
	}
	// sample 1 holds pixels 51·((1+p) mod 6): 51, 102, 153, 204, 255, 0.
	if got, want := train.X.Data[6:12], []float32{0.2, 0.4, 0.6, 0.8, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("sample 1 pixels %v, want %v", got, want)
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(i int, b []byte) []byte
		want []string
	}{
		{"missing file", func(i int, b []byte) []byte {
			if i == 2 {
				return nil
			}
			return b
		}, []string{"no t10k-images-idx3-ubyte (or t10k-images-idx3-ubyte.gz) in"}},
		{"count mismatch", func(i int, b []byte) []byte {
			if i == 1 {
				return idxBytes(IDXUint8, []uint32{11}, make([]byte, 11))
			}
			return b
		}, []string{"train-images-idx3-ubyte.gz holds 12 images but", "train-labels-idx1-ubyte holds 11 labels"}},
		{"label out of range", func(i int, b []byte) []byte {
			if i == 3 {
				b[8+4] = 10
			}
			return b
		}, []string{"t10k-labels.idx1-ubyte: label 10 of sample 4 is outside 0..9"}},
		{"truncated images", func(i int, b []byte) []byte {
			if i == 0 {
				return b[:len(b)-1]
			}
			return b
		}, []string{"train-images-idx3-ubyte.gz: truncated IDX data"}},
		{"images not uint8", func(i int, b []byte) []byte {
			if i == 2 {
				return idxBytes(IDXInt16, []uint32{7, 2, 3}, make([]byte, 84))
			}
			return b
		}, []string{"t10k-images-idx3-ubyte: images must be uint8, got int16"}},
		{"images rank 2", func(i int, b []byte) []byte {
			if i == 2 {
				return idxBytes(IDXUint8, []uint32{7, 6}, make([]byte, 42))
			}
			return b
		}, []string{"images must be [N, H, W] or [N, H, W, C], got 2 dimensions [7 6]"}},
		{"image sizes differ", func(i int, b []byte) []byte {
			if i == 2 {
				return idxBytes(IDXUint8, []uint32{7, 3, 2}, make([]byte, 42))
			}
			return b
		}, []string{"training images are [2 3 1] but test images are [3 2 1]"}},
	} {
		dir := writeMNIST(t, 12, 7, c.edit)
		_, _, err := LoadMNIST(dir)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
		if c.name != "image sizes differ" && !strings.Contains(err.Error(), dir) {
			t.Errorf("%s: error %q does not name the directory", c.name, err)
		}
	}
}

// Fashion-MNIST (Debian package dataset-fashion-mnist) has MNIST's layout;
// load it when the machine has it.
func TestLoadFashionMNISTIfInstalled(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not installed", dir)
	}
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 60000 || test.Len() != 10000 || !slices.Equal(train.SampleShape(), []int{28, 28, 1}) {
		t.Errorf("Fashion-MNIST: %v train, %v test", train.X.Shape, test.X.Shape)
	}
}
