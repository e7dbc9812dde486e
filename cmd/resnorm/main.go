// Command resnorm trains, evaluates and inspects residual / normalized
// networks. With no flags, `resnorm train` trains the source document's
// ResNet-style CNN on MNIST (shipped inside the binary) for one epoch.
//
//	resnorm train [flags]            train a model, save the run to runs/<time>/
//	resnorm train --resume RUN       continue a killed run exactly
//	resnorm eval RUN                 test accuracy of a saved run
//	resnorm predict RUN FILE         classify a PNG image or an IDX image file
//	resnorm summary [MODEL]          print a model's Keras-style summary
//	resnorm models                   list the ready-made models
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "resnorm:", err)
		os.Exit(1)
	}
}

// evalBatch is the batch size of eval, predict and the test pass after
// training: an inference tape's buffers grow with it (about 0.5 MB per
// image for the seed CNN), and past ~100 images larger batches buy little
// speed.
const evalBatch = 100

const usage = `resnorm: residual connections and normalization layers, in Go.

Usage:
  resnorm train [flags]          train a model (default: the source document's CNN on MNIST, 1 epoch)
  resnorm train --resume RUN     continue an interrupted run exactly where it stopped
  resnorm eval [flags] RUN       evaluate a saved run on the MNIST test set
  resnorm predict RUN FILE       classify a 28x28 PNG image or the images of an IDX file
  resnorm summary [MODEL]        print a model's summary (default: seed)
  resnorm models                 list the ready-made models

Run 'resnorm COMMAND --help' for a command's flags.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "train":
		return cmdTrain(args[1:], stdout, stderr)
	case "eval":
		return cmdEval(args[1:], stdout, stderr)
	case "predict":
		return cmdPredict(args[1:], stdout, stderr)
	case "summary":
		return cmdSummary(args[1:], stdout, stderr)
	case "models":
		return cmdModels(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// newFlags makes a FlagSet whose errors are returned, not printed twice.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
