//go:build !amd64 || purego

package kernels

func detectCPU() cpuFeatures { return cpuFeatures{} }

// gemmArchs lists the micro-kernels this build can run: only the Go one.
func gemmArchs() []*gemmArch { return []*gemmArch{gemmGo} }

func runKernelAsm(ar *gemmArch, kc int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32, load int) bool {
	return false
}

func packATransAsm(ar *gemmArch, a []float32, lda, i0, np, pc, kb int, dst []float32) bool {
	return false
}

func packAAsm(ar *gemmArch, a []float32, lda, i0, pc, kb int, dst []float32) bool {
	return false
}

func packRowsAsm(dst, src []float32, lds, rows, cols, width int) bool { return false }

func fmaPeak(int) int { return 0 }
