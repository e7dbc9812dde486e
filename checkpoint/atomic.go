package checkpoint

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// AtomicWriteFile writes a file so that a crash at any moment leaves either
// the old file or the complete new one at path, never a torn mix: write
// streams into a temporary file in the same directory, which is flushed,
// fsynced, renamed over path, and then the directory is fsynced so the rename
// itself survives a power cut. The temporary file is removed if write (or
// anything after it) fails. A writer killed outright (SIGKILL, power loss)
// cannot remove its own: a successful write sweeps such leftovers for the
// same path, so a resumed run's directory ends up clean. (Two processes
// writing one path at once is not supported.) The new file has mode 0644.
func AtomicWriteFile(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		// Also runs when write panics, so no temp file is left behind.
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("checkpoint: syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		done = true
		return fmt.Errorf("checkpoint: %w", err)
	}
	done = true
	sweepTemps(dir, base)
	return syncDir(dir)
}

// sweepTemps removes temporary files that earlier, killed writes of base
// left in dir (named as os.CreateTemp names ours). Failing to remove one is
// harmless: it is only clutter.
func sweepTemps(dir, base string) {
	entries, _ := os.ReadDir(dir)
	prefix := "." + base + ".tmp-"
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// syncDir makes a rename in dir durable. File systems that cannot fsync a
// directory (EINVAL, ENOTSUP) are tolerated: there is nothing more to do.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("checkpoint: syncing directory %s: %w", dir, err)
	}
	return nil
}
