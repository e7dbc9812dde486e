package data

// MNIST (and anything laid out like it: Fashion-MNIST, KMNIST …) from a
// directory of four IDX files. The copy shipped with resnorm is loaded by
// package data/mnistdata through LoadMNISTFS.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/resnorm/resnorm/tensor"
)

// MNISTFiles are the standard names of the four MNIST files, in the order
// train images, train labels, test images, test labels. Each may also be
// gzipped (name + ".gz") or use a dot before "idx" (train-images.idx3-ubyte).
var MNISTFiles = [4]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// MNISTClasses is the number of MNIST classes (digits 0–9).
const MNISTClasses = 10

// LoadMNIST reads MNIST-format train and test sets from dir: images as
// [N, H, W, 1] float32 (NHWC) scaled to [0, 1], labels 0..9.
func LoadMNIST(dir string) (train, test *Dataset, err error) {
	return loadMNIST(os.DirFS(dir), func(name string) string { return filepath.Join(dir, name) })
}

// LoadMNISTFS is LoadMNIST reading from the root of fsys.
func LoadMNISTFS(fsys fs.FS) (train, test *Dataset, err error) {
	return loadMNIST(fsys, func(name string) string { return name })
}

func loadMNIST(fsys fs.FS, path func(string) string) (train, test *Dataset, err error) {
	var sets [2]*Dataset
	for s := range sets {
		img, err := readMNISTFile(fsys, MNISTFiles[2*s], path)
		if err != nil {
			return nil, nil, err
		}
		x, err := ImagesFromIDX(img.IDX)
		if err != nil {
			return nil, nil, fmt.Errorf("data: %s: %w", path(img.name), err)
		}
		lab, err := readMNISTFile(fsys, MNISTFiles[2*s+1], path)
		if err != nil {
			return nil, nil, err
		}
		y, err := LabelsFromIDX(lab.IDX, MNISTClasses)
		if err != nil {
			return nil, nil, fmt.Errorf("data: %s: %w", path(lab.name), err)
		}
		if len(y) != x.Shape[0] {
			return nil, nil, fmt.Errorf("data: %s holds %d images but %s holds %d labels", path(img.name), x.Shape[0], path(lab.name), len(y))
		}
		sets[s] = &Dataset{X: x, Y: y}
	}
	if a, b := sets[0].X.Shape[1:], sets[1].X.Shape[1:]; !tensor.SameShape(a, b) {
		return nil, nil, fmt.Errorf("data: training images are %v but test images are %v", a, b)
	}
	return sets[0], sets[1], nil
}

type namedIDX struct {
	*IDX
	name string
}

// readMNISTFile finds base under one of its accepted spellings and reads it.
func readMNISTFile(fsys fs.FS, base string, path func(string) string) (namedIDX, error) {
	dotted := base[:len(base)-len("-idx3-ubyte")] + "." + base[len(base)-len("idx3-ubyte"):]
	for _, name := range []string{base + ".gz", base, dotted + ".gz", dotted} {
		if _, err := fs.Stat(fsys, name); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		x, err := readIDXFS(fsys, name)
		if err != nil {
			return namedIDX{}, fmt.Errorf("data: read IDX file %s: %w", path(name), err)
		}
		return namedIDX{x, name}, nil
	}
	return namedIDX{}, fmt.Errorf("data: no %s (or %s.gz) in %s", base, base, path("."))
}

// ImagesFromIDX converts uint8 images, [N, H, W] or [N, H, W, C], to a
// float32 tensor [N, H, W, C] (C = 1 for rank 3) with pixels scaled to [0, 1].
func ImagesFromIDX(x *IDX) (*tensor.Tensor, error) {
	if x.Type != IDXUint8 {
		return nil, fmt.Errorf("images must be uint8, got %v", x.Type)
	}
	shape := append([]int{}, x.Dims...)
	switch len(shape) {
	case 3:
		shape = append(shape, 1)
	case 4:
	default:
		return nil, fmt.Errorf("images must be [N, H, W] or [N, H, W, C], got %d dimensions %v", len(x.Dims), x.Dims)
	}
	t := tensor.New(shape...)
	for i, b := range x.Data {
		t.Data[i] = float32(b) / 255
	}
	return t, nil
}

// LabelsFromIDX converts integer labels, shape [N], to ints, checking that
// each lies in 0..numClasses-1.
func LabelsFromIDX(x *IDX, numClasses int) ([]int, error) {
	if len(x.Dims) != 1 {
		return nil, fmt.Errorf("labels must be one-dimensional [N], got %v", x.Dims)
	}
	if x.Type == IDXFloat32 || x.Type == IDXFloat64 {
		return nil, fmt.Errorf("labels must be integers, got %v", x.Type)
	}
	y, err := x.Ints()
	if err != nil {
		return nil, err
	}
	for i, c := range y {
		if c < 0 || c >= numClasses {
			return nil, fmt.Errorf("label %d of sample %d is outside 0..%d", c, i, numClasses-1)
		}
	}
	return y, nil
}
