// Package mnistdata embeds the original MNIST files (Yann LeCun, Corinna
// Cortes, Christopher J.C. Burges; CC BY-SA 3.0 — see README.md), so that
// resnorm trains on MNIST offline and an installed binary needs no download.
// Importing this package adds the 11.6 MB of gzipped files to a program;
// package data itself does not import it.
package mnistdata

import (
	"embed"
	"io/fs"

	"github.com/resnorm/resnorm/data"
)

//go:embed *.gz
var files embed.FS

// FS returns the four gzipped IDX files (train-images-idx3-ubyte.gz, …) at
// its root.
func FS() fs.FS { return files }

// Load decodes the embedded MNIST: 60000 training and 10000 test images as
// [N, 28, 28, 1] float32 in [0, 1], labels 0..9.
func Load() (train, test *data.Dataset, err error) { return data.LoadMNISTFS(files) }
