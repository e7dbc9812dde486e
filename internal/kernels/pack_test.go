package kernels

import "testing"

// TestPackRowsAsm checks the masked row copier against its definition for
// every row length and the panel widths the kernels use, with the source
// ending exactly at the last row read.
func TestPackRowsAsm(t *testing.T) {
	for _, width := range []int{6, 14, 16, 32} {
		for cols := 1; cols <= width; cols++ {
			for _, rows := range []int{1, 2, 7} {
				lds := cols + 3
				src := make([]float32, (rows-1)*lds+cols)
				for i := range src {
					src[i] = float32(i + 1)
				}
				dst := make([]float32, rows*width+1)
				for i := range dst {
					dst[i] = -1 // garbage, to be overwritten (but not the guard)
				}
				if !packRowsAsm(dst, src, lds, rows, cols, width) {
					t.Skip("no AVX-512 row copier on this CPU")
				}
				for r := range rows {
					for j := range width {
						want := float32(0)
						if j < cols {
							want = src[r*lds+j]
						}
						if got := dst[r*width+j]; got != want {
							t.Fatalf("width %d cols %d rows %d: dst[%d][%d] = %g, want %g", width, cols, rows, r, j, got, want)
						}
					}
				}
				if dst[rows*width] != -1 {
					t.Fatalf("width %d cols %d rows %d: wrote past the panel", width, cols, rows)
				}
			}
		}
	}
}
