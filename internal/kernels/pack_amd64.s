//go:build !purego

#include "textflag.h"

// Masked row copies for the GEMM packers (gemm_pack.go), AVX-512F: a panel
// row is one or two zmm moves, and the zeroing masked load pads a short
// row with zeros, so there is no call or clear per row. Masked-off lanes
// are never read, so a short last row may end the source array.

// MASKQ leaves (1<<min(max(n, 0), 16)) - 1 in k; n is clobbered, AX and
// CX are scratch.
#define MASKQ(n, k) \
	CMPQ n, $0; \
	JGE  2(PC); \
	XORQ n, n; \
	CMPQ n, $16; \
	JLE  2(PC); \
	MOVQ $16, n; \
	MOVQ n, CX; \
	MOVQ $1, AX; \
	SHLQ CX, AX; \
	DECQ AX; \
	KMOVW AX, k

// func packRowsAVX512(dst, src *float32, lds, rows, cols, width int)
// For r < rows: dst[r*width + j] = src[r*lds + j] for j < cols, 0 for
// cols <= j < width; 1 <= width <= 32, cols <= width.
TEXT ·packRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), DX
	SHLQ $2, DX
	MOVQ cols+32(FP), R9
	MASKQ(R9, K1)
	MOVQ cols+32(FP), R9
	SUBQ $16, R9
	MASKQ(R9, K2)
	MOVQ width+40(FP), R9
	MASKQ(R9, K3)
	MOVQ width+40(FP), R9
	SUBQ $16, R9
	MASKQ(R9, K4)
	MOVQ width+40(FP), R8
	SHLQ $2, R8
	MOVQ rows+24(FP), BX
	TESTQ BX, BX
	JZ   pr_done
	CMPQ R8, $64
	JG   pr32

pr16:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS Z0, K3, (DI)
	ADDQ DX, SI
	ADDQ R8, DI
	DECQ BX
	JNZ  pr16
	JMP  pr_done

pr32:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS Z0, K3, (DI)
	VMOVUPS Z1, K4, 64(DI)
	ADDQ DX, SI
	ADDQ R8, DI
	DECQ BX
	JNZ  pr32

pr_done:
	VZEROUPPER
	RET
