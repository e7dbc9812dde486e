// Command cnnrun trains the source document's CNN for a fixed number of
// steps on random MNIST-shaped data (bench.CNNTrainer) and exits: the Go side
// of the peak-RSS comparison that bench/cmd/compare measures with
// /usr/bin/time -v (the PyTorch side is bench/torch_e2e.py --rss-steps).
//
// Usage: go run ./bench/cmd/cnnrun [-steps 300] [-batch 32]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/resnorm/resnorm/bench"
)

func main() {
	steps := flag.Int("steps", 300, "training steps")
	batch := flag.Int("batch", 32, "batch size")
	flag.Parse()
	if *steps < 1 || *batch < 1 {
		fmt.Fprintln(os.Stderr, "cnnrun: -steps and -batch must be positive")
		os.Exit(2)
	}
	c, err := bench.NewCNNTrainer(*batch, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cnnrun:", err)
		os.Exit(1)
	}
	var loss float32
	for range *steps {
		if loss, err = c.Step(); err != nil {
			fmt.Fprintln(os.Stderr, "cnnrun:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "rss-run loss %.4f\n", loss)
}
