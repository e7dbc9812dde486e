package kernels

// Packing for the blocked SGEMM. A panel holds kb steps of MR (or NR)
// consecutive values, so the micro-kernel reads it as one stream; rows or
// columns beyond the matrix edge are zero so edge tiles need no special
// kernel.

// packA copies rows [i0, i0+rows) and columns [pc, pc+kb) of op(A) into
// dst as one panel: dst[p*mr+r] = op(A)[i0+r][pc+p], zero for r >= rows.
func packA(transA bool, a []float32, lda, i0, rows, pc, kb, mr int, dst []float32) {
	dst = dst[:kb*mr]
	if transA {
		// op(A)[i][p] = a[p*lda+i]: each step copies a contiguous run.
		if packRowsAsm(dst, a[pc*lda+i0:], lda, kb, rows, mr) {
			return
		}
		if mr == 14 && rows == 14 {
			for p := 0; p < kb; p++ {
				o := (pc+p)*lda + i0
				*(*[14]float32)(dst[p*14:]) = [14]float32(a[o : o+14])
			}
			return
		}
		for p := 0; p < kb; p++ {
			o := (pc+p)*lda + i0
			d := dst[p*mr : p*mr+mr]
			copy(d, a[o:o+rows])
			clear(d[rows:])
		}
		return
	}
	// op(A)[i][p] = a[i*lda+p]: read each row contiguously, write with
	// stride mr.
	for r := 0; r < mr; r++ {
		d := dst[r:]
		if r >= rows {
			for p := 0; p < kb; p++ {
				d[p*mr] = 0
			}
			continue
		}
		src := a[(i0+r)*lda+pc : (i0+r)*lda+pc+kb]
		for p, v := range src {
			d[p*mr] = v
		}
	}
}

// packB copies rows [pc, pc+kb) and columns [j0, j0+cols) of op(B) into dst
// as one panel: dst[p*nr+j] = op(B)[pc+p][j0+j], zero for j >= cols.
func packB(transB bool, b []float32, ldb, pc, kb, j0, cols, nr int, dst []float32) {
	dst = dst[:kb*nr]
	if !transB {
		if packRowsAsm(dst, b[pc*ldb+j0:], ldb, kb, cols, nr) {
			return
		}
		if cols == nr && nr == 32 {
			for p := 0; p < kb; p++ {
				o := (pc+p)*ldb + j0
				*(*[32]float32)(dst[p*32:]) = [32]float32(b[o : o+32])
			}
			return
		}
		if cols < 16 { // short runs: a call to memmove per row costs more than the copy
			for p := 0; p < kb; p++ {
				o := (pc+p)*ldb + j0
				d := dst[p*nr : p*nr+nr]
				src := b[o : o+cols]
				j := 0
				if cols >= 8 {
					*(*[8]float32)(d) = [8]float32(src)
					j = 8
				}
				for ; j < cols; j++ {
					d[j] = src[j]
				}
				for ; j < nr; j++ {
					d[j] = 0
				}
			}
			return
		}
		for p := 0; p < kb; p++ {
			o := (pc+p)*ldb + j0
			d := dst[p*nr : p*nr+nr]
			copy(d, b[o:o+cols])
			clear(d[cols:])
		}
		return
	}
	// op(B)[p][j] = b[j*ldb+p]: read each row of b contiguously.
	for j := 0; j < nr; j++ {
		d := dst[j:]
		if j >= cols {
			for p := 0; p < kb; p++ {
				d[p*nr] = 0
			}
			continue
		}
		src := b[(j0+j)*ldb+pc : (j0+j)*ldb+pc+kb]
		for p, v := range src {
			d[p*nr] = v
		}
	}
}

// gemmKernelGo is the portable micro-kernel: acc[i][j] = sum over p < kc of
// a[i*rsa+p*csa] * b[p*nr+j], then c[i*ldc+j] = alpha*acc (+ beta*c when
// load != 0), for the full mr×nr tile.
func gemmKernelGo(mr, nr, kc int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32, load int) {
	var acc [maxTile]float32
	t := acc[:mr*nr]
	for p := 0; p < kc; p++ {
		bp := b[p*nr : p*nr+nr]
		for i := 0; i < mr; i++ {
			av := a[i*rsa+p*csa]
			row := t[i*nr : i*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for i := 0; i < mr; i++ {
		crow := c[i*ldc : i*ldc+nr]
		row := t[i*nr : i*nr+nr]
		for j, v := range row {
			if load != 0 {
				crow[j] = alpha*v + beta*crow[j]
			} else {
				crow[j] = alpha * v
			}
		}
	}
}
