package main

import (
	"fmt"
	"image"
	"image/color"
	_ "image/png" // PNG decoding for predict
	"io"
	"os"
	"strings"

	"github.com/resnorm/resnorm/data"
	"github.com/resnorm/resnorm/models"
	"github.com/resnorm/resnorm/tensor"
	"github.com/resnorm/resnorm/train"
)

func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "resnorm eval [flags] RUN", stderr)
	dataDir := fs.String("data", "", "directory with MNIST-format IDX files (default: the run's data, else MNIST built in)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("eval: want one run directory, got %d arguments", fs.NArg())
	}
	s, m, err := readRun(fs.Arg(0))
	if err != nil {
		return err
	}
	dir := s.DataDir
	if *dataDir != "" {
		dir = *dataDir
	}
	_, testSet, err := loadData(dir)
	if err != nil {
		return err
	}
	res, err := train.Evaluate(m, testSet, evalBatch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Test accuracy: %.2f%% (loss %.4f) on %d images\n", 100*res.Accuracy, res.Loss, res.N)
	return nil
}

func cmdPredict(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("predict", "resnorm predict [flags] RUN FILE (a PNG image or an IDX image file)", stderr)
	limit := fs.Int("n", 10, "for IDX files: print at most this many predictions (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("predict: want a run directory and a file, got %d arguments", fs.NArg())
	}
	_, m, err := readRun(fs.Arg(0))
	if err != nil {
		return err
	}
	path := fs.Arg(1)
	var x *tensor.Tensor
	if strings.HasSuffix(strings.ToLower(path), ".png") {
		x, err = readPNG(path)
	} else {
		var idx *data.IDX
		idx, err = data.ReadIDXFile(path)
		if err == nil {
			x, err = data.ImagesFromIDX(idx)
		}
	}
	if err != nil {
		return err
	}
	probs, err := train.Predict(m, x, evalBatch)
	if err != nil {
		return fmt.Errorf("predict: %s: %w", path, err)
	}
	c := probs.Shape[len(probs.Shape)-1]
	n := x.Shape[0]
	if *limit > 0 && n > *limit {
		n = *limit
	}
	for i := 0; i < n; i++ {
		row := probs.Data[i*c : (i+1)*c]
		best := 0
		for j := range row {
			if row[j] > row[best] {
				best = j
			}
		}
		fmt.Fprintf(stdout, "%d: class %d (p = %.4f)\n", i, best, row[best])
	}
	return nil
}

// readPNG reads a 28×28 image as MNIST does: grayscale, white digit on a
// black background, scaled to [0, 1]. A dark-on-light image is inverted.
func readPNG(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err) // names the path
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("predict: %s: not a readable PNG: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() != 28 || b.Dy() != 28 {
		return nil, fmt.Errorf("predict: %s is %dx%d; the model takes 28x28 images", path, b.Dx(), b.Dy())
	}
	x := tensor.New(1, 28, 28, 1)
	var sum float64
	for y := 0; y < 28; y++ {
		for xx := 0; xx < 28; xx++ {
			g := color.GrayModel.Convert(img.At(b.Min.X+xx, b.Min.Y+y)).(color.Gray)
			v := float32(g.Y) / 255
			x.Data[y*28+xx] = v
			sum += float64(v)
		}
	}
	if sum/(28*28) > 0.5 { // mostly light: a dark digit on paper
		for i := range x.Data {
			x.Data[i] = 1 - x.Data[i]
		}
	}
	return x, nil
}

func cmdSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", "resnorm summary [MODEL]", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	name := "seed"
	if fs.NArg() > 1 {
		return fmt.Errorf("summary: want at most one model name, got %d arguments", fs.NArg())
	}
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	m, err := models.ByName(name, 1)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, m.Summary())
	return nil
}

func cmdModels(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models", "resnorm models", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, n := range models.Names() {
		fmt.Fprintln(stdout, n)
	}
	return nil
}
