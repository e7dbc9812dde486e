package checkpoint_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/resnorm/resnorm/checkpoint"
	"github.com/resnorm/resnorm/tensor"
)

// Tensors round-trip through the safetensors format, in memory or through
// a file written atomically.
func Example() {
	kernel := tensor.New(2, 3)
	copy(kernel.Data, []float32{1, 2, 3, 4, 5, 6})
	tensors := []checkpoint.Named{{Name: "dense/kernel", T: kernel}}

	var buf bytes.Buffer
	if err := checkpoint.WriteSafetensors(&buf, tensors, map[string]string{"epoch": "3"}); err != nil {
		fmt.Println(err)
		return
	}
	got, meta, err := checkpoint.ReadSafetensors(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got[0].Name, got[0].T.Shape, got[0].T.Data, "epoch", meta["epoch"])

	path := filepath.Join(os.TempDir(), "resnorm-example.safetensors")
	defer os.Remove(path)
	if err := checkpoint.SaveSafetensors(path, tensors, nil); err != nil {
		fmt.Println(err)
		return
	}
	got, _, err = checkpoint.LoadSafetensors(path)
	fmt.Println(got[0].T.Data, err)
	// Output:
	// dense/kernel [2 3] [1 2 3 4 5 6] epoch 3
	// [1 2 3 4 5 6] <nil>
}

// A file that is not safetensors gets an error that says what is wrong
// with it, never a panic or a huge allocation.
func ExampleParseSafetensors_corrupt() {
	_, _, err := checkpoint.ParseSafetensors([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{'})
	fmt.Println(err)
	// Output: checkpoint: safetensors data: header length 9223372036854775807 exceeds the 104857600-byte limit (not a safetensors file?)
}
