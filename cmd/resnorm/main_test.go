package main

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/data/mnistdata"
	"github.com/resnorm/resnorm/models"
	"github.com/resnorm/resnorm/nn"
)

// buildBinary compiles resnorm once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "resnorm")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestCommandErrorsAreOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"train", "--epochs", "0"},
		{"train", "--threads", "-3"},
		{"train", "--batch-size", "0"},
		{"train", "--lr", "NaN"},
		{"train", "--clip-norm", "NaN"},
		{"train", "--clip-norm", "-1"},
		{"train", "--validation-split", "NaN"},
		{"train", "--warmup", "-1"},
		{"train", "--schedule", "zigzag"},
		{"train", "--model", "nope"},
		{"eval", "/nonexistent/run"},
		{"summary", "nope"},
	} {
		var out, errb bytes.Buffer
		err := run(args, &out, &errb)
		if err == nil {
			t.Errorf("%v: no error", args)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error spans lines: %q", args, err)
		}
	}
}

func TestSummaryCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"summary"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Total params: 115,338") {
		t.Fatalf("summary:\n%s", out.String())
	}
}

// TestKillAndResume starts `resnorm train` as a real process, SIGKILLs it
// mid-epoch once a checkpoint exists, resumes it, and checks that the run
// finishes with exactly the weights of an uninterrupted run.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	base := []string{"train", "--limit", "1600", "--epochs", "2", "--batch-size", "32", "--checkpoint-every", "10", "--seed", "4"}

	whole := filepath.Join(t.TempDir(), "whole")
	if out, err := exec.Command(bin, append(base, "--out", whole, "--quiet")...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	dir := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(bin, append(base, "--out", dir, "--quiet")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "checkpoint.safetensors")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint appeared within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond) // let it run past the checkpoint
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		t.Skip("the run finished before it could be killed; nothing to test on this machine")
	}
	// The run directory must be intact: a readable checkpoint. (A kill
	// during a checkpoint write may leave that write's temp file; the
	// resumed run's next write sweeps it, checked below.)
	if _, _, err := checkpoint.LoadSafetensors(ckpt); err != nil {
		t.Fatalf("checkpoint after SIGKILL: %v", err)
	}
	out, err := exec.Command(bin, "train", "--resume", dir, "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temp file left behind after the resumed run: %s", e.Name())
		}
	}
	if !strings.Contains(string(out), "Test accuracy") {
		t.Fatalf("resume output:\n%s", out)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("killed-and-resumed weights differ from the uninterrupted run's")
	}
	// The finished run can be evaluated and used for prediction.
	if out, err := exec.Command(bin, "eval", dir).CombinedOutput(); err != nil || !strings.Contains(string(out), "Test accuracy") {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	png := writeDigitPNG(t)
	if out, err := exec.Command(bin, "predict", dir, png).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "0: class ") {
		t.Fatalf("predict: %v\n%s", err, out)
	}
}

// writeDigitPNG saves MNIST test image 0 (a 7) as a PNG file.
func writeDigitPNG(t *testing.T) string {
	t.Helper()
	_, test, err := mnistdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for i := 0; i < 28*28; i++ {
		img.Pix[i] = uint8(test.X.Data[i] * 255)
	}
	path := filepath.Join(t.TempDir(), "seven.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadPNGRejectsWrongSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.png")
	f, _ := os.Create(path)
	png.Encode(f, image.NewGray(image.Rect(0, 0, 30, 20)))
	f.Close()
	if _, err := readPNG(path); err == nil || !strings.Contains(err.Error(), "30x20") {
		t.Fatalf("got %v", err)
	}
	os.WriteFile(path, []byte("not a png"), 0o644)
	if _, err := readPNG(path); err == nil {
		t.Fatal("garbage accepted as PNG")
	}
}

// TestBatchNormCarryoverWarning: a run too short for BatchNorm's moving
// statistics to forget their initial values says so on stderr, with the
// right share; a model without BatchNorm has nothing to carry over.
func TestBatchNormCarryoverWarning(t *testing.T) {
	m, err := models.New("seed", models.Options{Seed: 1, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	mom, carry := batchNormCarryover(m, 94)
	if mom != 0.99 || math.Abs(carry-math.Pow(0.99, 94)) > 1e-12 {
		t.Fatalf("seed model, 94 steps: momentum %g, carry-over %g; want 0.99, %g", mom, carry, math.Pow(0.99, 94))
	}
	if n := stepsBelow(0.99, 0.01); n != 459 || math.Pow(0.99, float64(n)) >= 0.01 || math.Pow(0.99, float64(n-1)) < 0.01 {
		t.Fatalf("stepsBelow(0.99, 0.01) = %d", n)
	}
	dense, err := nn.Sequential{InputShape: []int{4}, Layers: []nn.Layer{nn.Dense(2)}}.Build()
	if err != nil {
		t.Fatal(err)
	}
	if mom, carry := batchNormCarryover(dense, 5); mom != 0 || carry != 0 {
		t.Fatalf("model without BatchNorm: momentum %g, carry-over %g", mom, carry)
	}

	var out, errb bytes.Buffer
	dir := filepath.Join(t.TempDir(), "run")
	if err := run([]string{"train", "--quiet", "--limit", "64", "--out", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "warning: after 2 steps BatchNorm's moving statistics (momentum 0.99) will still be 98% their initial") {
		t.Fatalf("stderr of a 2-step run: %q", errb.String())
	}

	// Training afresh into that run's directory would overwrite its model:
	// refused, and the model is untouched.
	before, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	err = run([]string{"train", "--quiet", "--limit", "64", "--seed", "9", "--out", dir}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "already holds a run; continue it with --resume") {
		t.Fatalf("training into an existing run: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "model.safetensors")); !bytes.Equal(before, after) {
		t.Fatal("the refused run changed the existing model")
	}
}

// TestCorruptRunSpec: a run.json with a value of the wrong type is named in
// the file's terms, not in Go's.
func TestCorruptRunSpec(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(`{"model":"seed","epochs":"two","batch_size":32}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"train", "--resume", dir}, {"eval", dir}} {
		var out, errb bytes.Buffer
		err := run(args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "run.json is corrupt: epochs: expected an integer, found a JSON string") ||
			strings.Contains(err.Error(), "Go ") {
			t.Errorf("%v: error %v", args, err)
		}
	}
}

// TestInterruptAndResume: Ctrl-C (SIGINT) stops training after the current
// step with the run saved there, and --resume finishes it with the
// uninterrupted run's weights.
func TestInterruptAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	base := []string{"train", "--limit", "3200", "--epochs", "2", "--checkpoint-every", "100000", "--seed", "5", "--quiet"}
	whole := filepath.Join(t.TempDir(), "whole")
	if out, err := exec.Command(bin, append(base, "--out", whole)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	dir := filepath.Join(t.TempDir(), "interrupted")
	cmd := exec.Command(bin, append(base, "--out", dir)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// run.json is written just before training starts.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "run.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the run did not start within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if _, statErr := os.Stat(filepath.Join(dir, "model.safetensors")); statErr == nil {
		t.Skip("the run finished before it could be interrupted; nothing to test on this machine")
	}
	if err == nil || !strings.Contains(stderr.String(), "interrupted after epoch") || !strings.Contains(stderr.String(), "resnorm train --resume "+dir) {
		t.Fatalf("interrupted run: %v\n%s", err, stderr.String())
	}
	if _, _, err := checkpoint.LoadSafetensors(filepath.Join(dir, "checkpoint.safetensors")); err != nil {
		t.Fatalf("checkpoint after SIGINT: %v", err)
	}
	if out, err := exec.Command(bin, "train", "--resume", dir, "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("interrupted-and-resumed weights differ from the uninterrupted run's")
	}
}
