package checkpoint

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAtomicWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.json")
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := AtomicWriteFile(p, write("first")); err != nil {
		t.Fatal(err)
	}
	if err := AtomicWriteFile(p, write("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "second" {
		t.Errorf("file holds %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}

	// A failing writer leaves the old file intact and no temp file.
	boom := errors.New("boom")
	err := AtomicWriteFile(p, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v should wrap the writer's and name %s", err, p)
	}
	func() {
		defer func() { recover() }()
		AtomicWriteFile(p, func(io.Writer) error { panic("writer panics") })
	}()
	if b, _ := os.ReadFile(p); string(b) != "second" {
		t.Errorf("failed writes changed the file to %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1 (temp files left behind?)", len(entries))
	}

	// A missing directory is reported, naming the path.
	if err := AtomicWriteFile(filepath.Join(dir, "no", "such.json"), write("x")); err == nil || !strings.Contains(err.Error(), "such.json") {
		t.Errorf("missing directory: %v", err)
	}
}

// TestAtomicWriteFileSweepsKilledWrites: a writer killed mid-write leaves
// its temp file; the next successful write of the same path removes it and
// leaves other files (another path's temp, a name with glob characters)
// alone.
func TestAtomicWriteFileSweepsKilledWrites(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ck[1].safetensors")
	killed := filepath.Join(dir, ".ck[1].safetensors.tmp-123")
	other := filepath.Join(dir, ".model.safetensors.tmp-456")
	for _, f := range []string{killed, other} {
		if err := os.WriteFile(f, []byte("torn"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := AtomicWriteFile(p, func(w io.Writer) error { _, err := io.WriteString(w, "whole"); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("the killed write's temp file is still there (%v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temp was removed: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "whole" {
		t.Errorf("file holds %q", b)
	}
}
