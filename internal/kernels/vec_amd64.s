//go:build !purego

#include "textflag.h"

// AVX2/FMA vector primitives for the norm kernels; see vec.go for what each
// computes and vec_amd64.go for the Go declarations. n counts elements (a
// multiple of 8); ld is a row stride in elements. Reductions keep four (or
// two) ymm accumulators per quantity and add them in a fixed order, so the
// result depends only on n.

// STREAMAHEAD is how far ahead (bytes) the streaming-size row-norm loops
// prefetch their inputs into L2. The passes that run from L1 over a row the
// previous pass brought in leave memory idle without it (the hardware
// prefetchers follow demand misses, and there are none); the first passes
// gain too, as the hardware prefetchers run less far ahead. 8 KB measured
// best of 3-24 KB on [8192, 768], paired: the L1 passes' prefetch made the
// forward 1.15-1.2x and the backward 1.2x faster, the first passes' 4-10%
// more.
#define STREAMAHEAD 8192

// HSUM leaves the sum of the 8 lanes of y in the low lane of x (the xmm
// half of y); t is a scratch xmm.
#define HSUM(y, x, t) \
	VEXTRACTF128 $1, y, t; \
	VADDPS t, x, x; \
	VHADDPS x, x, x; \
	VHADDPS x, x, x

// func sumAVX2(x *float32, n int) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

sum32:
	CMPQ CX, $32
	JLT  sum8
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sum32

sum8:
	TESTQ CX, CX
	JZ    sumdone
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  sum8

sumdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0, X1)
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqDevAVX2(x *float32, n int, m float32, pf int) float32
// With pf != 0 (a streaming-size row) it prefetches STREAMAHEAD bytes ahead.
TEXT ·sumSqDevAVX2(SB), NOSPLIT, $0-36
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ pf+24(FP), DX
	TESTQ DX, DX
	JNZ  sqp32

sq32:
	CMPQ CX, $32
	JLT  sq8
	VSUBPS (SI), Y8, Y4
	VSUBPS 32(SI), Y8, Y5
	VSUBPS 64(SI), Y8, Y6
	VSUBPS 96(SI), Y8, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sq32

sqp32: // streaming: the same, prefetching x STREAMAHEAD bytes ahead
	CMPQ CX, $32
	JLT  sq8
	PREFETCHT1 STREAMAHEAD(SI)
	PREFETCHT1 STREAMAHEAD+64(SI)
	VSUBPS (SI), Y8, Y4
	VSUBPS 32(SI), Y8, Y5
	VSUBPS 64(SI), Y8, Y6
	VSUBPS 96(SI), Y8, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sqp32

sq8:
	TESTQ CX, CX
	JZ    sqdone
	VSUBPS (SI), Y8, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  sq8

sqdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0, X1)
	VMOVSS X0, ret+32(FP)
	VZEROUPPER
	RET

// AFFST does one vector of y = (x − m)·rs·g + b at byte offset off+AX,
// stored with st.
#define AFFST(st, off, v, w) \
	VMOVUPS off(SI)(AX*1), v; \
	VSUBPS Y14, v, v; \
	VMULPS Y15, v, v; \
	VMOVUPS off(R9)(AX*1), w; \
	VFMADD231PS off(R8)(AX*1), v, w; \
	st w, off(DI)(AX*1)

#define AFF1(off, v, w) AFFST(VMOVUPS, off, v, w)

// AFF1NT is AFF1 with a non-temporal store (y 32-byte aligned): for outputs
// far larger than the caches it saves the read-for-ownership of each line.
// The loops that use it (and BWDS1NT's) also prefetch their inputs
// STREAMAHEAD bytes ahead (see there).
#define AFF1NT(off, v, w) AFFST(VMOVNTPS, off, v, w)

// func normAffineAVX2(y, x, gm, b *float32, n int, m, rs float32, nt int)
// With nt != 0, y (32-byte aligned) is stored non-temporally and x
// prefetched STREAMAHEAD bytes ahead.
TEXT ·normAffineAVX2(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gm+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS m+40(FP), Y14
	VBROADCASTSS rs+44(FP), Y15
	SHLQ $2, CX
	XORQ AX, AX
	MOVQ nt+48(FP), DX
	TESTQ DX, DX
	JNZ  affnt32

aff32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  aff8
	AFF1(0, Y0, Y4)
	AFF1(32, Y1, Y5)
	AFF1(64, Y2, Y6)
	AFF1(96, Y3, Y7)
	ADDQ $128, AX
	JMP  aff32

aff8:
	CMPQ AX, CX
	JGE  affdone
	AFF1(0, Y0, Y4)
	ADDQ $32, AX
	JMP  aff8

affnt32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  affnt8
	PREFETCHT1 STREAMAHEAD(SI)(AX*1)
	PREFETCHT1 STREAMAHEAD+64(SI)(AX*1)
	AFF1NT(0, Y0, Y4)
	AFF1NT(32, Y1, Y5)
	AFF1NT(64, Y2, Y6)
	AFF1NT(96, Y3, Y7)
	ADDQ $128, AX
	JMP  affnt32

affnt8:
	CMPQ AX, CX
	JGE  affntdone
	AFF1NT(0, Y0, Y4)
	ADDQ $32, AX
	JMP  affnt8

affntdone:
	SFENCE

affdone:
	VZEROUPPER
	RET

// BWS1 does one vector of the backward sums at byte offset off+AX:
// x̂ = (x − m)·rs; pg += dy·x̂; pb += dy; sd += dy·g; sdx += dy·g·x̂.
#define BWS1(off, sd, sdx, v, d, t, u) \
	VMOVUPS off(SI)(AX*1), v; \
	VSUBPS Y14, v, v; \
	VMULPS Y15, v, v; \
	VMOVUPS off(BX)(AX*1), d; \
	VMOVUPS off(R10)(AX*1), t; \
	VFMADD231PS v, d, t; \
	VMOVUPS t, off(R10)(AX*1); \
	VADDPS off(R11)(AX*1), d, u; \
	VMOVUPS u, off(R11)(AX*1); \
	VMULPS off(R8)(AX*1), d, d; \
	VADDPS d, sd, sd; \
	VFMADD231PS v, d, sdx

// func normBwdSumsAVX2(pg, pb, dy, x, gm *float32, n int, m, rs float32, pf int) (sd, sdx float32)
// With pf != 0 (a streaming-size backward) its main loop prefetches dy and
// x STREAMAHEAD bytes ahead into L2, one line of each per 64 bytes.
TEXT ·normBwdSumsAVX2(SB), NOSPLIT, $0-72
	MOVQ pg+0(FP), R10
	MOVQ pb+8(FP), R11
	MOVQ dy+16(FP), BX
	MOVQ x+24(FP), SI
	MOVQ gm+32(FP), R8
	MOVQ n+40(FP), CX
	VBROADCASTSS m+48(FP), Y14
	VBROADCASTSS rs+52(FP), Y15
	SHLQ $2, CX
	XORQ AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ pf+56(FP), DX
	TESTQ DX, DX
	JNZ  bwsp16

bws16:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $64
	JLT  bws8
	BWS1(0, Y0, Y2, Y4, Y5, Y6, Y7)
	BWS1(32, Y1, Y3, Y8, Y9, Y10, Y11)
	ADDQ $64, AX
	JMP  bws16

bwsp16:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $64
	JLT  bws8
	PREFETCHT1 STREAMAHEAD(BX)(AX*1)
	PREFETCHT1 STREAMAHEAD(SI)(AX*1)
	BWS1(0, Y0, Y2, Y4, Y5, Y6, Y7)
	BWS1(32, Y1, Y3, Y8, Y9, Y10, Y11)
	ADDQ $64, AX
	JMP  bwsp16

bws8:
	CMPQ AX, CX
	JGE  bwsdone
	BWS1(0, Y0, Y2, Y4, Y5, Y6, Y7)
	ADDQ $32, AX
	JMP  bws8

bwsdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	HSUM(Y0, X0, X1)
	HSUM(Y2, X2, X3)
	VMOVSS X0, sd+64(FP)
	VMOVSS X2, sdx+68(FP)
	VZEROUPPER
	RET

// BWD1 does one vector of dx += rs·(g·dy − c1 − x̂·c2) at byte offset off+AX,
// as rs·(g·dy) − rs·c1 − rs²·c2·(x − m): with Y14 = rs·c1 and Y15 = rs²·c2
// that is one subtraction and three multiplies (two fused), not five.
#define BWD1(off, v, d, t) \
	VMOVUPS off(SI)(AX*1), v; \
	VSUBPS Y12, v, v; \
	VMOVUPS off(BX)(AX*1), d; \
	VMULPS off(R8)(AX*1), d, d; \
	VFMSUB213PS Y14, Y13, d; \
	VFNMADD231PS Y15, v, d; \
	VADDPS off(DI)(AX*1), d, d; \
	VMOVUPS d, off(DI)(AX*1)

// BWDS1 is BWD1 writing dx = rs·(g·dy − c1 − x̂·c2), old dx unread, with
// store st (BWDSST); BWDS1NT stores non-temporally (dx 32-byte aligned).
#define BWDSST(st, off, v, d) \
	VMOVUPS off(SI)(AX*1), v; \
	VSUBPS Y12, v, v; \
	VMOVUPS off(BX)(AX*1), d; \
	VMULPS off(R8)(AX*1), d, d; \
	VFMSUB213PS Y14, Y13, d; \
	VFNMADD231PS Y15, v, d; \
	st d, off(DI)(AX*1)

#define BWDS1(off, v, d) BWDSST(VMOVUPS, off, v, d)
#define BWDS1NT(off, v, d) BWDSST(VMOVNTPS, off, v, d)

// func normBwdDxAVX2(dx, dy, x, gm *float32, n int, m, rs, c1, c2 float32, set int)
// With set == 1, dx is written rather than added to (BWDS1); with set == 2,
// written non-temporally (BWDS1NT, dx 32-byte aligned) while dy and x are
// prefetched STREAMAHEAD bytes ahead.
TEXT ·normBwdDxAVX2(SB), NOSPLIT, $0-64
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), BX
	MOVQ x+16(FP), SI
	MOVQ gm+24(FP), R8
	MOVQ n+32(FP), CX
	VBROADCASTSS m+40(FP), Y12
	VBROADCASTSS rs+44(FP), Y13
	VMOVSS rs+44(FP), X0
	VMULSS c1+48(FP), X0, X1
	VBROADCASTSS X1, Y14
	VMULSS X0, X0, X1
	VMULSS c2+52(FP), X1, X1
	VBROADCASTSS X1, Y15
	SHLQ $2, CX
	XORQ AX, AX
	MOVQ set+56(FP), DX
	CMPQ DX, $2
	JEQ  bwdn32
	TESTQ DX, DX
	JNZ  bwds32

bwd32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  bwd8
	BWD1(0, Y0, Y1, Y2)
	BWD1(32, Y3, Y4, Y5)
	BWD1(64, Y6, Y7, Y8)
	BWD1(96, Y9, Y10, Y11)
	ADDQ $128, AX
	JMP  bwd32

bwd8:
	CMPQ AX, CX
	JGE  bwddone
	BWD1(0, Y0, Y1, Y2)
	ADDQ $32, AX
	JMP  bwd8

bwds32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  bwds8
	BWDS1(0, Y0, Y1)
	BWDS1(32, Y3, Y4)
	BWDS1(64, Y6, Y7)
	BWDS1(96, Y9, Y10)
	ADDQ $128, AX
	JMP  bwds32

bwds8:
	CMPQ AX, CX
	JGE  bwddone
	BWDS1(0, Y0, Y1)
	ADDQ $32, AX
	JMP  bwds8

bwdn32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  bwdn8
	PREFETCHT1 STREAMAHEAD(BX)(AX*1)
	PREFETCHT1 STREAMAHEAD+64(BX)(AX*1)
	PREFETCHT1 STREAMAHEAD(SI)(AX*1)
	PREFETCHT1 STREAMAHEAD+64(SI)(AX*1)
	BWDS1NT(0, Y0, Y1)
	BWDS1NT(32, Y3, Y4)
	BWDS1NT(64, Y6, Y7)
	BWDS1NT(96, Y9, Y10)
	ADDQ $128, AX
	JMP  bwdn32

bwdn8:
	CMPQ AX, CX
	JGE  bwdndone
	BWDS1NT(0, Y0, Y1)
	ADDQ $32, AX
	JMP  bwdn8

bwdndone:
	SFENCE

bwddone:
	VZEROUPPER
	RET

// Column reductions: for each block of 32 (then 8) columns, the
// accumulators stay in registers while the loop walks down the rows.

// func colSumAVX2(acc, x *float32, rows, ld, n int)
TEXT ·colSumAVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ ld+24(FP), DX
	MOVQ n+32(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX
	XORQ AX, AX

cs32:
	MOVQ BX, R8
	SUBQ AX, R8
	CMPQ R8, $128
	JLT  cs8
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1
	VMOVUPS 64(DI)(AX*1), Y2
	VMOVUPS 96(DI)(AX*1), Y3
	LEAQ (SI)(AX*1), R9
	MOVQ CX, R10

cs32r:
	VADDPS (R9), Y0, Y0
	VADDPS 32(R9), Y1, Y1
	VADDPS 64(R9), Y2, Y2
	VADDPS 96(R9), Y3, Y3
	ADDQ DX, R9
	DECQ R10
	JNZ  cs32r
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	VMOVUPS Y2, 64(DI)(AX*1)
	VMOVUPS Y3, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  cs32

cs8:
	CMPQ AX, BX
	JGE  csdone
	VMOVUPS (DI)(AX*1), Y0
	LEAQ (SI)(AX*1), R9
	MOVQ CX, R10

cs8r:
	VADDPS (R9), Y0, Y0
	ADDQ DX, R9
	DECQ R10
	JNZ  cs8r
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP  cs8

csdone:
	VZEROUPPER
	RET

// func colSumSqDevAVX2(acc, x, mean *float32, rows, ld, n int)
TEXT ·colSumSqDevAVX2(SB), NOSPLIT, $0-48
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mean+16(FP), R11
	MOVQ rows+24(FP), CX
	MOVQ ld+32(FP), DX
	MOVQ n+40(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX
	XORQ AX, AX

cq32:
	MOVQ BX, R8
	SUBQ AX, R8
	CMPQ R8, $128
	JLT  cq8
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1
	VMOVUPS 64(DI)(AX*1), Y2
	VMOVUPS 96(DI)(AX*1), Y3
	VMOVUPS (R11)(AX*1), Y4
	VMOVUPS 32(R11)(AX*1), Y5
	VMOVUPS 64(R11)(AX*1), Y6
	VMOVUPS 96(R11)(AX*1), Y7
	LEAQ (SI)(AX*1), R9
	MOVQ CX, R10

cq32r:
	VSUBPS (R9), Y4, Y8
	VSUBPS 32(R9), Y5, Y9
	VSUBPS 64(R9), Y6, Y10
	VSUBPS 96(R9), Y7, Y11
	VFMADD231PS Y8, Y8, Y0
	VFMADD231PS Y9, Y9, Y1
	VFMADD231PS Y10, Y10, Y2
	VFMADD231PS Y11, Y11, Y3
	ADDQ DX, R9
	DECQ R10
	JNZ  cq32r
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	VMOVUPS Y2, 64(DI)(AX*1)
	VMOVUPS Y3, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  cq32

cq8:
	CMPQ AX, BX
	JGE  cqdone
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS (R11)(AX*1), Y4
	LEAQ (SI)(AX*1), R9
	MOVQ CX, R10

cq8r:
	VSUBPS (R9), Y4, Y8
	VFMADD231PS Y8, Y8, Y0
	ADDQ DX, R9
	DECQ R10
	JNZ  cq8r
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP  cq8

cqdone:
	VZEROUPPER
	RET

// CBS1 does one vector of the batch-norm backward sums for one row:
// s1 += dy; s2 += dy·(x − mean).
#define CBS1(off, s1, s2, mu) \
	VMOVUPS off(R9), Y12; \
	VADDPS Y12, s1, s1; \
	VMOVUPS off(R10), Y13; \
	VSUBPS mu, Y13, Y13; \
	VFMADD231PS Y13, Y12, s2

// func colBwdSumsAVX2(s1, s2, dy, x, mean *float32, rows, ld, n int)
TEXT ·colBwdSumsAVX2(SB), NOSPLIT, $0-64
	MOVQ s1+0(FP), DI
	MOVQ s2+8(FP), R12
	MOVQ dy+16(FP), R13
	MOVQ x+24(FP), SI
	MOVQ mean+32(FP), R11
	MOVQ rows+40(FP), CX
	MOVQ ld+48(FP), DX
	MOVQ n+56(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX
	XORQ AX, AX

cb32:
	MOVQ BX, R8
	SUBQ AX, R8
	CMPQ R8, $128
	JLT  cb8
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1
	VMOVUPS 64(DI)(AX*1), Y2
	VMOVUPS 96(DI)(AX*1), Y3
	VMOVUPS (R12)(AX*1), Y4
	VMOVUPS 32(R12)(AX*1), Y5
	VMOVUPS 64(R12)(AX*1), Y6
	VMOVUPS 96(R12)(AX*1), Y7
	VMOVUPS (R11)(AX*1), Y8
	VMOVUPS 32(R11)(AX*1), Y9
	VMOVUPS 64(R11)(AX*1), Y10
	VMOVUPS 96(R11)(AX*1), Y11
	LEAQ (R13)(AX*1), R9
	LEAQ (SI)(AX*1), R10
	MOVQ CX, R8

cb32r:
	CBS1(0, Y0, Y4, Y8)
	CBS1(32, Y1, Y5, Y9)
	CBS1(64, Y2, Y6, Y10)
	CBS1(96, Y3, Y7, Y11)
	ADDQ DX, R9
	ADDQ DX, R10
	DECQ R8
	JNZ  cb32r
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	VMOVUPS Y2, 64(DI)(AX*1)
	VMOVUPS Y3, 96(DI)(AX*1)
	VMOVUPS Y4, (R12)(AX*1)
	VMOVUPS Y5, 32(R12)(AX*1)
	VMOVUPS Y6, 64(R12)(AX*1)
	VMOVUPS Y7, 96(R12)(AX*1)
	ADDQ $128, AX
	JMP  cb32

cb8:
	CMPQ AX, BX
	JGE  cbdone
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS (R12)(AX*1), Y4
	VMOVUPS (R11)(AX*1), Y8
	LEAQ (R13)(AX*1), R9
	LEAQ (SI)(AX*1), R10
	MOVQ CX, R8

cb8r:
	CBS1(0, Y0, Y4, Y8)
	ADDQ DX, R9
	ADDQ DX, R10
	DECQ R8
	JNZ  cb8r
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y4, (R12)(AX*1)
	ADDQ $32, AX
	JMP  cb8

cbdone:
	VZEROUPPER
	RET

// func bnFwdRowsAVX2(y, x, mean, a, b *float32, rows, ld, n, relu int)
// y = (x − mean)·a + b, then with relu != 0 ReLU as reluFwdAVX2 computes it
// (y where !(y <= 0), else +0): the compare mask is ORed with all ones when
// relu == 0, so both cases run the same instructions.
TEXT ·bnFwdRowsAVX2(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mean+16(FP), R11
	MOVQ a+24(FP), R12
	MOVQ b+32(FP), R13
	MOVQ rows+40(FP), CX
	MOVQ ld+48(FP), DX
	MOVQ n+56(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX
	VXORPS Y15, Y15, Y15
	VPCMPEQD Y14, Y14, Y14 // all ones: keep every lane
	MOVQ relu+64(FP), R8
	TESTQ R8, R8
	JZ   bfrow
	VXORPS Y14, Y14, Y14 // relu: keep the lanes the compare keeps

bfrow:
	XORQ AX, AX

bfcol:
	VMOVUPS (SI)(AX*1), Y0
	VSUBPS (R11)(AX*1), Y0, Y0
	VMOVUPS (R13)(AX*1), Y1
	VFMADD231PS (R12)(AX*1), Y0, Y1
	VCMPPS $6, Y15, Y1, Y2
	VORPS Y14, Y2, Y2
	VANDPS Y1, Y2, Y1
	VMOVUPS Y1, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, BX
	JLT  bfcol
	ADDQ DX, SI
	ADDQ DX, DI
	DECQ CX
	JNZ  bfrow
	VZEROUPPER
	RET

// func bnBwdDxRowsAVX2(dx, dy, x, mean, a, b, c0 *float32, rows, ld, n int)
TEXT ·bnBwdDxRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ mean+24(FP), R11
	MOVQ a+32(FP), R12
	MOVQ b+40(FP), R13
	MOVQ c0+48(FP), R9
	MOVQ rows+56(FP), CX
	MOVQ ld+64(FP), DX
	MOVQ n+72(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX

bbrow:
	XORQ AX, AX

bbcol:
	VMOVUPS (R8)(AX*1), Y0
	VMOVUPS (SI)(AX*1), Y1
	VSUBPS (R11)(AX*1), Y1, Y1
	VMOVUPS (DI)(AX*1), Y2
	VADDPS (R9)(AX*1), Y2, Y2
	VFMADD231PS (R12)(AX*1), Y0, Y2
	VFMADD231PS (R13)(AX*1), Y1, Y2
	VMOVUPS Y2, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, BX
	JLT  bbcol
	ADDQ DX, SI
	ADDQ DX, DI
	ADDQ DX, R8
	DECQ CX
	JNZ  bbrow
	VZEROUPPER
	RET

// func bnBwdDxRowsSetAVX2(dx, dy, x, mean, a, b, c0 *float32, rows, ld, n int)
// bnBwdDxRowsAVX2 writing dx = a·dy + b·(x − mean) + c0, old dx unread.
TEXT ·bnBwdDxRowsSetAVX2(SB), NOSPLIT, $0-80
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ mean+24(FP), R11
	MOVQ a+32(FP), R12
	MOVQ b+40(FP), R13
	MOVQ c0+48(FP), R9
	MOVQ rows+56(FP), CX
	MOVQ ld+64(FP), DX
	MOVQ n+72(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX

bsrow:
	XORQ AX, AX

bscol:
	VMOVUPS (R8)(AX*1), Y0
	VMOVUPS (SI)(AX*1), Y1
	VSUBPS (R11)(AX*1), Y1, Y1
	VMOVUPS (R9)(AX*1), Y2
	VFMADD231PS (R12)(AX*1), Y0, Y2
	VFMADD231PS (R13)(AX*1), Y1, Y2
	VMOVUPS Y2, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, BX
	JLT  bscol
	ADDQ DX, SI
	ADDQ DX, DI
	ADDQ DX, R8
	DECQ CX
	JNZ  bsrow
	VZEROUPPER
	RET

// CBSM1 is CBS1 with dy masked by the ReLU that followed the batch norm,
// dy' = dy where 0 < z (z the ReLU's output), else 0; the row's elements
// are at byte offset R9 from the bases of dy (R13), x (SI) and z (R10).
#define CBSM1(off, s1, s2, mu) \
	VCMPPS $1, off(R10)(R9*1), Y15, Y12; \
	VANDPS off(R13)(R9*1), Y12, Y12; \
	VADDPS Y12, s1, s1; \
	VMOVUPS off(SI)(R9*1), Y13; \
	VSUBPS mu, Y13, Y13; \
	VFMADD231PS Y13, Y12, s2

// func colBwdSumsMaskAVX2(s1, s2, dy, x, mean, z *float32, rows, ld, n int)
// colBwdSumsAVX2 of dy masked where !(0 < z): the sums of a batch norm
// followed by ReLU, equal to those of the unfused pair.
TEXT ·colBwdSumsMaskAVX2(SB), NOSPLIT, $0-72
	MOVQ s1+0(FP), DI
	MOVQ s2+8(FP), R12
	MOVQ dy+16(FP), R13
	MOVQ x+24(FP), SI
	MOVQ mean+32(FP), R11
	MOVQ z+40(FP), R10
	MOVQ rows+48(FP), CX
	MOVQ ld+56(FP), DX
	MOVQ n+64(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX
	VXORPS Y15, Y15, Y15
	XORQ AX, AX

cm32:
	MOVQ BX, R8
	SUBQ AX, R8
	CMPQ R8, $128
	JLT  cm8
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1
	VMOVUPS 64(DI)(AX*1), Y2
	VMOVUPS 96(DI)(AX*1), Y3
	VMOVUPS (R12)(AX*1), Y4
	VMOVUPS 32(R12)(AX*1), Y5
	VMOVUPS 64(R12)(AX*1), Y6
	VMOVUPS 96(R12)(AX*1), Y7
	VMOVUPS (R11)(AX*1), Y8
	VMOVUPS 32(R11)(AX*1), Y9
	VMOVUPS 64(R11)(AX*1), Y10
	VMOVUPS 96(R11)(AX*1), Y11
	MOVQ AX, R9
	MOVQ CX, R8

cm32r:
	CBSM1(0, Y0, Y4, Y8)
	CBSM1(32, Y1, Y5, Y9)
	CBSM1(64, Y2, Y6, Y10)
	CBSM1(96, Y3, Y7, Y11)
	ADDQ DX, R9
	DECQ R8
	JNZ  cm32r
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	VMOVUPS Y2, 64(DI)(AX*1)
	VMOVUPS Y3, 96(DI)(AX*1)
	VMOVUPS Y4, (R12)(AX*1)
	VMOVUPS Y5, 32(R12)(AX*1)
	VMOVUPS Y6, 64(R12)(AX*1)
	VMOVUPS Y7, 96(R12)(AX*1)
	ADDQ $128, AX
	JMP  cm32

cm8:
	CMPQ AX, BX
	JGE  cmdone
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS (R12)(AX*1), Y4
	VMOVUPS (R11)(AX*1), Y8
	MOVQ AX, R9
	MOVQ CX, R8

cm8r:
	CBSM1(0, Y0, Y4, Y8)
	ADDQ DX, R9
	DECQ R8
	JNZ  cm8r
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y4, (R12)(AX*1)
	ADDQ $32, AX
	JMP  cm8

cmdone:
	VZEROUPPER
	RET

// func bnBwdDxRowsMaskAVX2(dx, dy, x, mean, a, b, c0, z *float32, rows, ld, n, set int)
// bnBwdDxRowsAVX2 (set == 0) or bnBwdDxRowsSetAVX2 (set != 0) with dy
// masked where !(0 < z), as colBwdSumsMaskAVX2 masks it.
TEXT ·bnBwdDxRowsMaskAVX2(SB), NOSPLIT, $0-96
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ mean+24(FP), R11
	MOVQ a+32(FP), R12
	MOVQ b+40(FP), R13
	MOVQ c0+48(FP), R9
	MOVQ z+56(FP), R10
	MOVQ rows+64(FP), CX
	MOVQ ld+72(FP), DX
	MOVQ n+80(FP), BX
	SHLQ $2, DX
	SHLQ $2, BX
	VXORPS Y15, Y15, Y15
	MOVQ set+88(FP), AX
	TESTQ AX, AX
	JNZ  bmsrow

bmrow:
	XORQ AX, AX

bmcol:
	VCMPPS $1, (R10)(AX*1), Y15, Y0
	VANDPS (R8)(AX*1), Y0, Y0
	VMOVUPS (SI)(AX*1), Y1
	VSUBPS (R11)(AX*1), Y1, Y1
	VMOVUPS (DI)(AX*1), Y2
	VADDPS (R9)(AX*1), Y2, Y2
	VFMADD231PS (R12)(AX*1), Y0, Y2
	VFMADD231PS (R13)(AX*1), Y1, Y2
	VMOVUPS Y2, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, BX
	JLT  bmcol
	ADDQ DX, SI
	ADDQ DX, DI
	ADDQ DX, R8
	ADDQ DX, R10
	DECQ CX
	JNZ  bmrow
	VZEROUPPER
	RET

bmsrow:
	XORQ AX, AX

bmscol:
	VCMPPS $1, (R10)(AX*1), Y15, Y0
	VANDPS (R8)(AX*1), Y0, Y0
	VMOVUPS (SI)(AX*1), Y1
	VSUBPS (R11)(AX*1), Y1, Y1
	VMOVUPS (R9)(AX*1), Y2
	VFMADD231PS (R12)(AX*1), Y0, Y2
	VFMADD231PS (R13)(AX*1), Y1, Y2
	VMOVUPS Y2, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, BX
	JLT  bmscol
	ADDQ DX, SI
	ADDQ DX, DI
	ADDQ DX, R8
	ADDQ DX, R10
	DECQ CX
	JNZ  bmsrow
	VZEROUPPER
	RET

// func addReluFwdAVX2(y, a, b *float32, n int)
// y = ReLU(a + b), the ReLU as reluFwdAVX2 computes it.
TEXT ·addReluFwdAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), R8
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	VXORPS Y15, Y15, Y15
	XORQ AX, AX

ar32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  ar8
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS 32(SI)(AX*1), Y1
	VMOVUPS 64(SI)(AX*1), Y2
	VMOVUPS 96(SI)(AX*1), Y3
	VADDPS (R8)(AX*1), Y0, Y0
	VADDPS 32(R8)(AX*1), Y1, Y1
	VADDPS 64(R8)(AX*1), Y2, Y2
	VADDPS 96(R8)(AX*1), Y3, Y3
	VCMPPS $6, Y15, Y0, Y4
	VCMPPS $6, Y15, Y1, Y5
	VCMPPS $6, Y15, Y2, Y6
	VCMPPS $6, Y15, Y3, Y7
	VANDPS Y0, Y4, Y4
	VANDPS Y1, Y5, Y5
	VANDPS Y2, Y6, Y6
	VANDPS Y3, Y7, Y7
	VMOVUPS Y4, (DI)(AX*1)
	VMOVUPS Y5, 32(DI)(AX*1)
	VMOVUPS Y6, 64(DI)(AX*1)
	VMOVUPS Y7, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  ar32

ar8:
	CMPQ AX, CX
	JGE  ardone
	VMOVUPS (SI)(AX*1), Y0
	VADDPS (R8)(AX*1), Y0, Y0
	VCMPPS $6, Y15, Y0, Y4
	VANDPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)(AX*1)
	ADDQ $32, AX
	JMP  ar8

ardone:
	VZEROUPPER
	RET

// func reluBwd2AVX2(da, db, dy, y *float32, n, addA, addB int)
// g = dy where 0 < y, else 0; then da = g (addA == 0) or da += g, and
// likewise db: the backward of ReLU(a + b) into both operands, in one pass.
// da and db may be the same buffer (a + a): the store to da comes first.
TEXT ·reluBwd2AVX2(SB), NOSPLIT, $0-56
	MOVQ da+0(FP), DI
	MOVQ db+8(FP), R9
	MOVQ dy+16(FP), R8
	MOVQ y+24(FP), SI
	MOVQ n+32(FP), CX
	MOVQ addA+40(FP), R10
	MOVQ addB+48(FP), R11
	SHLQ $2, CX
	VXORPS Y15, Y15, Y15
	XORQ AX, AX

r2loop:
	CMPQ AX, CX
	JGE  r2done
	VCMPPS $1, (SI)(AX*1), Y15, Y0
	VANDPS (R8)(AX*1), Y0, Y0
	VMOVAPS Y0, Y1
	TESTQ R10, R10
	JZ   r2a
	VADDPS (DI)(AX*1), Y0, Y1

r2a:
	VMOVUPS Y1, (DI)(AX*1)
	TESTQ R11, R11
	JZ   r2b
	VADDPS (R9)(AX*1), Y0, Y0

r2b:
	VMOVUPS Y0, (R9)(AX*1)
	ADDQ $32, AX
	JMP  r2loop

r2done:
	VZEROUPPER
	RET

// func lnRowAVX2(y, x, gm, b *float32, n int, invD, eps float32, nt int) (m, rs float32)
// One layer-norm row: m = Σx·invD, rs = 1/sqrt(Σ(x − m)²·invD + eps) (the
// square root and division in float64, as the Go code does), then
// y = (x − m)·rs·g + b. Same lane order as sumAVX2, sumSqDevAVX2 and
// normAffineAVX2, so the results equal those calls'. With nt != 0 (a
// streaming-size output), y (32-byte aligned) is stored non-temporally and
// x prefetched STREAMAHEAD bytes ahead in the first and last passes.
TEXT ·lnRowAVX2(SB), NOSPLIT, $0-64
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ gm+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX
	MOVQ nt+48(FP), DX
	TESTQ DX, DX
	JNZ  lsp32

ls32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  ls8
	VADDPS (SI)(AX*1), Y0, Y0
	VADDPS 32(SI)(AX*1), Y1, Y1
	VADDPS 64(SI)(AX*1), Y2, Y2
	VADDPS 96(SI)(AX*1), Y3, Y3
	ADDQ $128, AX
	JMP  ls32

lsp32: // streaming: the same, prefetching x STREAMAHEAD bytes ahead
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  ls8
	PREFETCHT1 STREAMAHEAD(SI)(AX*1)
	PREFETCHT1 STREAMAHEAD+64(SI)(AX*1)
	VADDPS (SI)(AX*1), Y0, Y0
	VADDPS 32(SI)(AX*1), Y1, Y1
	VADDPS 64(SI)(AX*1), Y2, Y2
	VADDPS 96(SI)(AX*1), Y3, Y3
	ADDQ $128, AX
	JMP  lsp32

ls8:
	CMPQ AX, CX
	JGE  lsdone
	VADDPS (SI)(AX*1), Y0, Y0
	ADDQ $32, AX
	JMP  ls8

lsdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0, X1)
	VMULSS invD+40(FP), X0, X0
	VMOVSS X0, m+56(FP)
	VBROADCASTSS X0, Y14
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

lq32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  lq8
	VSUBPS (SI)(AX*1), Y14, Y4
	VSUBPS 32(SI)(AX*1), Y14, Y5
	VSUBPS 64(SI)(AX*1), Y14, Y6
	VSUBPS 96(SI)(AX*1), Y14, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ $128, AX
	JMP  lq32

lq8:
	CMPQ AX, CX
	JGE  lqdone
	VSUBPS (SI)(AX*1), Y14, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ $32, AX
	JMP  lq8

lqdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM(Y0, X0, X1)
	VMULSS invD+40(FP), X0, X0
	VADDSS eps+44(FP), X0, X0
	VCVTSS2SD X0, X0, X0
	VSQRTSD X0, X0, X0
	MOVQ $0x3ff0000000000000, DX
	VMOVQ DX, X1
	VDIVSD X0, X1, X0
	VCVTSD2SS X0, X0, X0
	VMOVSS X0, rs+60(FP)
	VBROADCASTSS X0, Y15
	XORQ AX, AX
	MOVQ nt+48(FP), DX
	TESTQ DX, DX
	JNZ  lant32

la32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  la8
	AFF1(0, Y0, Y4)
	AFF1(32, Y1, Y5)
	AFF1(64, Y2, Y6)
	AFF1(96, Y3, Y7)
	ADDQ $128, AX
	JMP  la32

la8:
	CMPQ AX, CX
	JGE  ladone
	AFF1(0, Y0, Y4)
	ADDQ $32, AX
	JMP  la8

lant32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  lant8
	PREFETCHT1 STREAMAHEAD(SI)(AX*1)
	PREFETCHT1 STREAMAHEAD+64(SI)(AX*1)
	AFF1NT(0, Y0, Y4)
	AFF1NT(32, Y1, Y5)
	AFF1NT(64, Y2, Y6)
	AFF1NT(96, Y3, Y7)
	ADDQ $128, AX
	JMP  lant32

lant8:
	CMPQ AX, CX
	JGE  lantdone
	AFF1NT(0, Y0, Y4)
	ADDQ $32, AX
	JMP  lant8

lantdone:
	SFENCE

ladone:
	VZEROUPPER
	RET

// func reluFwdAVX2(y, x *float32, n int)
// y = x where !(x <= 0) (so NaN passes through), else +0: a compare mask
// ANDed with x, without branches.
TEXT ·reluFwdAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	VXORPS Y15, Y15, Y15
	XORQ AX, AX

rf32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  rf8
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS 32(SI)(AX*1), Y1
	VMOVUPS 64(SI)(AX*1), Y2
	VMOVUPS 96(SI)(AX*1), Y3
	VCMPPS $6, Y15, Y0, Y4
	VCMPPS $6, Y15, Y1, Y5
	VCMPPS $6, Y15, Y2, Y6
	VCMPPS $6, Y15, Y3, Y7
	VANDPS Y0, Y4, Y4
	VANDPS Y1, Y5, Y5
	VANDPS Y2, Y6, Y6
	VANDPS Y3, Y7, Y7
	VMOVUPS Y4, (DI)(AX*1)
	VMOVUPS Y5, 32(DI)(AX*1)
	VMOVUPS Y6, 64(DI)(AX*1)
	VMOVUPS Y7, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  rf32

rf8:
	CMPQ AX, CX
	JGE  rfdone
	VMOVUPS (SI)(AX*1), Y0
	VCMPPS $6, Y15, Y0, Y4
	VANDPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)(AX*1)
	ADDQ $32, AX
	JMP  rf8

rfdone:
	VZEROUPPER
	RET

// func reluBwdAVX2(dx, dy, x *float32, n int)
// dx += dy where 0 < x (an ordered compare: false for NaN), else + 0.
TEXT ·reluBwdAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	VXORPS Y15, Y15, Y15
	XORQ AX, AX

rb32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  rb8
	VCMPPS $1, (SI)(AX*1), Y15, Y4
	VCMPPS $1, 32(SI)(AX*1), Y15, Y5
	VCMPPS $1, 64(SI)(AX*1), Y15, Y6
	VCMPPS $1, 96(SI)(AX*1), Y15, Y7
	VANDPS (R8)(AX*1), Y4, Y4
	VANDPS 32(R8)(AX*1), Y5, Y5
	VANDPS 64(R8)(AX*1), Y6, Y6
	VANDPS 96(R8)(AX*1), Y7, Y7
	VADDPS (DI)(AX*1), Y4, Y4
	VADDPS 32(DI)(AX*1), Y5, Y5
	VADDPS 64(DI)(AX*1), Y6, Y6
	VADDPS 96(DI)(AX*1), Y7, Y7
	VMOVUPS Y4, (DI)(AX*1)
	VMOVUPS Y5, 32(DI)(AX*1)
	VMOVUPS Y6, 64(DI)(AX*1)
	VMOVUPS Y7, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  rb32

rb8:
	CMPQ AX, CX
	JGE  rbdone
	VCMPPS $1, (SI)(AX*1), Y15, Y4
	VANDPS (R8)(AX*1), Y4, Y4
	VADDPS (DI)(AX*1), Y4, Y4
	VMOVUPS Y4, (DI)(AX*1)
	ADDQ $32, AX
	JMP  rb8

rbdone:
	VZEROUPPER
	RET

// func reluBwdSetAVX2(dx, dy, x *float32, n int)
// dx = dy where 0 < x (an ordered compare: false for NaN), else 0.
TEXT ·reluBwdSetAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), R8
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	VXORPS Y15, Y15, Y15
	XORQ AX, AX

rs32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  rs8
	VCMPPS $1, (SI)(AX*1), Y15, Y4
	VCMPPS $1, 32(SI)(AX*1), Y15, Y5
	VCMPPS $1, 64(SI)(AX*1), Y15, Y6
	VCMPPS $1, 96(SI)(AX*1), Y15, Y7
	VANDPS (R8)(AX*1), Y4, Y4
	VANDPS 32(R8)(AX*1), Y5, Y5
	VANDPS 64(R8)(AX*1), Y6, Y6
	VANDPS 96(R8)(AX*1), Y7, Y7
	VMOVUPS Y4, (DI)(AX*1)
	VMOVUPS Y5, 32(DI)(AX*1)
	VMOVUPS Y6, 64(DI)(AX*1)
	VMOVUPS Y7, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  rs32

rs8:
	CMPQ AX, CX
	JGE  rsdone
	VCMPPS $1, (SI)(AX*1), Y15, Y4
	VANDPS (R8)(AX*1), Y4, Y4
	VMOVUPS Y4, (DI)(AX*1)
	ADDQ $32, AX
	JMP  rs8

rsdone:
	VZEROUPPER
	RET

// func addToAVX2(dst, src *float32, n int)
// dst += src.
TEXT ·addToAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	XORQ AX, AX

ad32:
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $128
	JLT  ad8
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS 32(DI)(AX*1), Y1
	VMOVUPS 64(DI)(AX*1), Y2
	VMOVUPS 96(DI)(AX*1), Y3
	VADDPS (SI)(AX*1), Y0, Y0
	VADDPS 32(SI)(AX*1), Y1, Y1
	VADDPS 64(SI)(AX*1), Y2, Y2
	VADDPS 96(SI)(AX*1), Y3, Y3
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	VMOVUPS Y2, 64(DI)(AX*1)
	VMOVUPS Y3, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  ad32

ad8:
	CMPQ AX, CX
	JGE  addone
	VMOVUPS (DI)(AX*1), Y0
	VADDPS (SI)(AX*1), Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP  ad8

addone:
	VZEROUPPER
	RET

// func streamAddAVX2(a, x, y *float32, n int)
// a = x + y with non-temporal stores: the write half of the bandwidth
// probe that the streaming norm loops are measured against. a is 32-byte
// aligned and n a multiple of 32.
TEXT ·streamAddAVX2(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), BX
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	XORQ AX, AX

sa32:
	CMPQ AX, CX
	JGE  sadone
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS 32(SI)(AX*1), Y1
	VMOVUPS 64(SI)(AX*1), Y2
	VMOVUPS 96(SI)(AX*1), Y3
	VADDPS (BX)(AX*1), Y0, Y0
	VADDPS 32(BX)(AX*1), Y1, Y1
	VADDPS 64(BX)(AX*1), Y2, Y2
	VADDPS 96(BX)(AX*1), Y3, Y3
	VMOVNTPS Y0, (DI)(AX*1)
	VMOVNTPS Y1, 32(DI)(AX*1)
	VMOVNTPS Y2, 64(DI)(AX*1)
	VMOVNTPS Y3, 96(DI)(AX*1)
	ADDQ $128, AX
	JMP  sa32

sadone:
	SFENCE
	VZEROUPPER
	RET

// SKROW64 multiplies-accumulates one broadcast coefficient into 64 columns
// (Y0..Y7) from the row at DX.
#define SKROW64 \
	VFMADD231PS (DX), Y8, Y0; \
	VFMADD231PS 32(DX), Y8, Y1; \
	VFMADD231PS 64(DX), Y8, Y2; \
	VFMADD231PS 96(DX), Y8, Y3; \
	VFMADD231PS 128(DX), Y8, Y4; \
	VFMADD231PS 160(DX), Y8, Y5; \
	VFMADD231PS 192(DX), Y8, Y6; \
	VFMADD231PS 224(DX), Y8, Y7

// RELU1 keeps v where !(v <= 0) (NaN passes), else +0, as reluFwdAVX2;
// Y15 holds zeros.
#define RELU1(v) \
	VCMPPS $6, Y15, v, Y9; \
	VANDPS v, Y9, v

// func gemmSmallKAVX2(y, a, w, b *float32, m, k, n, relu int)
// y[r, j] = b[j] + Σ_kk a[r·k + kk]·w[kk·n + j] for r < m, j < n (n a
// multiple of 8), accumulated in kk order with FMAs; then ReLU if relu != 0.
TEXT ·gemmSmallKAVX2(SB), NOSPLIT, $0-64
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ w+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ m+32(FP), CX
	MOVQ k+40(FP), R10
	MOVQ n+48(FP), R11
	MOVQ relu+56(FP), R13
	SHLQ $2, R11
	VXORPS Y15, Y15, Y15

skrow:
	XORQ BX, BX

sk64:
	MOVQ R11, DX
	SUBQ BX, DX
	CMPQ DX, $256
	JLT  sk8
	VMOVUPS (R9)(BX*1), Y0
	VMOVUPS 32(R9)(BX*1), Y1
	VMOVUPS 64(R9)(BX*1), Y2
	VMOVUPS 96(R9)(BX*1), Y3
	VMOVUPS 128(R9)(BX*1), Y4
	VMOVUPS 160(R9)(BX*1), Y5
	VMOVUPS 192(R9)(BX*1), Y6
	VMOVUPS 224(R9)(BX*1), Y7
	LEAQ (R8)(BX*1), DX
	MOVQ SI, AX
	MOVQ R10, R12

sk64k:
	VBROADCASTSS (AX), Y8
	SKROW64
	ADDQ $4, AX
	ADDQ R11, DX
	DECQ R12
	JNZ  sk64k
	TESTQ R13, R13
	JZ    sk64st
	RELU1(Y0)
	RELU1(Y1)
	RELU1(Y2)
	RELU1(Y3)
	RELU1(Y4)
	RELU1(Y5)
	RELU1(Y6)
	RELU1(Y7)

sk64st:
	VMOVUPS Y0, (DI)(BX*1)
	VMOVUPS Y1, 32(DI)(BX*1)
	VMOVUPS Y2, 64(DI)(BX*1)
	VMOVUPS Y3, 96(DI)(BX*1)
	VMOVUPS Y4, 128(DI)(BX*1)
	VMOVUPS Y5, 160(DI)(BX*1)
	VMOVUPS Y6, 192(DI)(BX*1)
	VMOVUPS Y7, 224(DI)(BX*1)
	ADDQ $256, BX
	JMP  sk64

sk8:
	CMPQ BX, R11
	JGE  sknext
	VMOVUPS (R9)(BX*1), Y0
	LEAQ (R8)(BX*1), DX
	MOVQ SI, AX
	MOVQ R10, R12

sk8k:
	VBROADCASTSS (AX), Y8
	VFMADD231PS (DX), Y8, Y0
	ADDQ $4, AX
	ADDQ R11, DX
	DECQ R12
	JNZ  sk8k
	TESTQ R13, R13
	JZ    sk8st
	RELU1(Y0)

sk8st:
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	JMP  sk8

sknext:
	ADDQ R11, DI
	LEAQ (SI)(R10*4), SI
	DECQ CX
	JNZ  skrow
	VZEROUPPER
	RET

// func gemmSmallKAccTAVX2(dw, a, dy *float32, m, k, n int)
// dw[kk, j] += Σ_r a[r·k + kk]·dy[r·n + j] for kk < k, j < n (n a multiple
// of 8), accumulated in r order with FMAs.
TEXT ·gemmSmallKAccTAVX2(SB), NOSPLIT, $0-48
	MOVQ dw+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ dy+16(FP), R8
	MOVQ m+24(FP), CX
	MOVQ k+32(FP), R9
	MOVQ n+40(FP), R11
	SHLQ $2, R11
	LEAQ (R9*4), R13

stk:
	XORQ BX, BX

st64:
	MOVQ R11, DX
	SUBQ BX, DX
	CMPQ DX, $256
	JLT  st8
	VMOVUPS (DI)(BX*1), Y0
	VMOVUPS 32(DI)(BX*1), Y1
	VMOVUPS 64(DI)(BX*1), Y2
	VMOVUPS 96(DI)(BX*1), Y3
	VMOVUPS 128(DI)(BX*1), Y4
	VMOVUPS 160(DI)(BX*1), Y5
	VMOVUPS 192(DI)(BX*1), Y6
	VMOVUPS 224(DI)(BX*1), Y7
	LEAQ (R8)(BX*1), DX
	MOVQ SI, AX
	MOVQ CX, R12

st64r:
	VBROADCASTSS (AX), Y8
	SKROW64
	ADDQ R13, AX
	ADDQ R11, DX
	DECQ R12
	JNZ  st64r
	VMOVUPS Y0, (DI)(BX*1)
	VMOVUPS Y1, 32(DI)(BX*1)
	VMOVUPS Y2, 64(DI)(BX*1)
	VMOVUPS Y3, 96(DI)(BX*1)
	VMOVUPS Y4, 128(DI)(BX*1)
	VMOVUPS Y5, 160(DI)(BX*1)
	VMOVUPS Y6, 192(DI)(BX*1)
	VMOVUPS Y7, 224(DI)(BX*1)
	ADDQ $256, BX
	JMP  st64

st8:
	CMPQ BX, R11
	JGE  stnext
	VMOVUPS (DI)(BX*1), Y0
	LEAQ (R8)(BX*1), DX
	MOVQ SI, AX
	MOVQ CX, R12

st8r:
	VBROADCASTSS (AX), Y8
	VFMADD231PS (DX), Y8, Y0
	ADDQ R13, AX
	ADDQ R11, DX
	DECQ R12
	JNZ  st8r
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ $32, BX
	JMP  st8

stnext:
	ADDQ R11, DI
	ADDQ $4, SI
	DECQ R9
	JNZ  stk
	VZEROUPPER
	RET

// func adamAVX2(p, gr, m, v *float32, n int, a *AdamParams, wd int)
// One Adam step over n elements (a multiple of 8), operation for operation
// as adamUpdateGo (no FMAs; vsqrtps and vdivps round as the scalar code), so
// the bits are the same. The L2 term is added only if wd != 0, as there.
TEXT ·adamAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ a+40(FP), DX
	MOVQ wd+48(FP), R10
	SHLQ $2, CX
	VBROADCASTSS 0(DX), Y7     // StepSize, negated below
	VXORPS Y6, Y6, Y6
	VSUBPS Y7, Y6, Y7
	VBROADCASTSS 4(DX), Y10    // Beta1
	VBROADCASTSS 8(DX), Y12    // Beta2
	VBROADCASTSS 12(DX), Y11   // OneMinusB1
	VBROADCASTSS 16(DX), Y13   // OneMinusB2
	VBROADCASTSS 20(DX), Y14   // BC2Sqrt
	VBROADCASTSS 24(DX), Y15   // Eps
	VBROADCASTSS 28(DX), Y9    // WeightDecay
	VBROADCASTSS 32(DX), Y8    // Decay
	XORQ AX, AX

adloop:
	CMPQ AX, CX
	JGE  addone2
	VMOVUPS (DI)(AX*1), Y0
	VMULPS Y8, Y0, Y0
	VMOVUPS (SI)(AX*1), Y1
	TESTQ R10, R10
	JZ    adnowd
	VMULPS Y9, Y0, Y2
	VADDPS Y2, Y1, Y1

adnowd:
	VMULPS (R8)(AX*1), Y10, Y2
	VMULPS Y1, Y11, Y3
	VADDPS Y3, Y2, Y2
	VMULPS (R9)(AX*1), Y12, Y3
	VMULPS Y1, Y13, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y4, Y3, Y3
	VMOVUPS Y2, (R8)(AX*1)
	VMOVUPS Y3, (R9)(AX*1)
	VSQRTPS Y3, Y4
	VDIVPS Y14, Y4, Y4
	VADDPS Y15, Y4, Y4
	VDIVPS Y4, Y2, Y5
	VMULPS Y7, Y5, Y5
	VADDPS Y5, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP  adloop

addone2:
	VZEROUPPER
	RET

// func addF64AVX2(dst *float64, src *float32, n int)
// dst += float64(src), n a multiple of 4.
TEXT ·addF64AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	CMPQ CX, $8
	JLT  af4

af8:
	VCVTPS2PD (SI)(AX*4), Y0
	VCVTPS2PD 16(SI)(AX*4), Y1
	VADDPD (DI)(AX*8), Y0, Y0
	VADDPD 32(DI)(AX*8), Y1, Y1
	VMOVUPD Y0, (DI)(AX*8)
	VMOVUPD Y1, 32(DI)(AX*8)
	ADDQ $8, AX
	MOVQ CX, DX
	SUBQ AX, DX
	CMPQ DX, $8
	JGE  af8

af4:
	CMPQ AX, CX
	JGE  afdone
	VCVTPS2PD (SI)(AX*4), Y0
	VADDPD (DI)(AX*8), Y0, Y0
	VMOVUPD Y0, (DI)(AX*8)
	ADDQ $4, AX
	JMP  af4

afdone:
	VZEROUPPER
	RET
