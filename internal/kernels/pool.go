package kernels

import "math"

// Pooling over NHWC inputs: 2-D max-pool (which saves the argmax for its
// backward pass) and global average pool. Padded cells of a max-pool window
// are skipped, so they never win.

// MaxPool2DForward writes y [N,OH,OW,C] = the maximum of x [N,H,W,C] over
// each window of g, and arg [N,OH,OW,C] = the winning spatial position
// ih·W+iw within its image (the first one on ties).
func MaxPool2DForward(y []float32, arg []int32, x []float32, g Window) {
	C := g.C
	ParallelFor(g.N*g.OH, Grain(g.OW*g.KH*g.KW*C, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			n, oh := r/g.OH, r%g.OH
			for ow := 0; ow < g.OW; ow++ {
				yo := y[(r*g.OW+ow)*C:][:C]
				ao := arg[(r*g.OW+ow)*C:][:C]
				for c := range yo {
					yo[c] = float32(math.Inf(-1))
					ao[c] = -1
				}
				for kh := 0; kh < g.KH; kh++ {
					ih := oh*g.SH - g.PadTop + kh
					if ih < 0 || ih >= g.H {
						continue
					}
					for kw := 0; kw < g.KW; kw++ {
						iw := ow*g.SW - g.PadLeft + kw
						if iw < 0 || iw >= g.W {
							continue
						}
						pos := int32(ih*g.W + iw)
						xs := x[((n*g.H+ih)*g.W+iw)*C:][:C]
						for c, v := range xs {
							if ao[c] < 0 || v > yo[c] {
								yo[c], ao[c] = v, pos
							}
						}
					}
				}
			}
		}
	})
}

// MaxPool2DBackward routes dy [N,OH,OW,C] to the argmax positions saved by
// the forward pass, accumulating into dx [N,H,W,C]. Windows may overlap, so
// work is split by image (disjoint slices of dx).
func MaxPool2DBackward(dx, dy []float32, arg []int32, g Window) {
	C := g.C
	per := g.OH * g.OW * C
	ParallelFor(g.N, Grain(per, 1<<14), func(lo, hi int) {
		for n := lo; n < hi; n++ {
			dxn := dx[n*g.H*g.W*C:][:g.H*g.W*C]
			dyn := dy[n*per:][:per]
			an := arg[n*per:][:per]
			for i, d := range dyn {
				if p := an[i]; p >= 0 {
					dxn[int(p)*C+i%C] += d
				}
			}
		}
	})
}

// GlobalAvgPoolForward writes y [N,C] = the mean of x [N,HW,C] over HW.
func GlobalAvgPoolForward(y, x []float32, N, HW, C int) {
	inv := 1 / float32(HW)
	ParallelFor(N, Grain(HW*C, 1<<14), func(lo, hi int) {
		for n := lo; n < hi; n++ {
			yn := y[n*C:][:C]
			clear(yn)
			for p := 0; p < HW; p++ {
				for c, v := range x[(n*HW+p)*C:][:C] {
					yn[c] += v
				}
			}
			for c := range yn {
				yn[c] *= inv
			}
		}
	})
}

// GlobalAvgPoolBackward accumulates dx [N,HW,C] += dy [N,C] / HW.
func GlobalAvgPoolBackward(dx, dy []float32, N, HW, C int) {
	inv := 1 / float32(HW)
	ParallelFor(N*HW, Grain(C, 1<<14), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dyn := dy[r/HW*C:][:C]
			dxr := dx[r*C:][:C]
			for c := range dxr {
				dxr[c] += dyn[c] * inv
			}
		}
	})
}
