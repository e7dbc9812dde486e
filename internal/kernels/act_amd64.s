//go:build !purego

#include "textflag.h"

// AVX2/FMA kernels for GELU (exact and tanh forms) and the softmax rows;
// act_amd64.go declares them and gelu.go / softmax.go hold the math and
// the Go twins. n counts elements and is a multiple of 8 (the callers pad
// the tail). Reductions keep one accumulator and fold its lanes in a fixed
// order, so a result depends only on the data.

// Constants, broadcast from here (see gelu.go for where each comes from).
DATA actc<>+0(SB)/4, $0x3fb8aa3b   // log2(e)
DATA actc<>+4(SB)/4, $0x3f318000   // ln2 high part (few bits: n·hi is exact)
DATA actc<>+8(SB)/4, $0xb95e8083   // ln2 − high part
DATA actc<>+12(SB)/4, $0x3efffffe  // exp polynomial c2
DATA actc<>+16(SB)/4, $0x3e2aaa49  // c3
DATA actc<>+20(SB)/4, $0x3d2aac79  // c4
DATA actc<>+24(SB)/4, $0x3c091cea  // c5
DATA actc<>+28(SB)/4, $0x3ab51226  // c6
DATA actc<>+32(SB)/4, $0xc2ad0000  // -86.5: lowest exp argument (result stays normal)
DATA actc<>+36(SB)/4, $0x42b00000  // 88: highest exp argument
DATA actc<>+40(SB)/4, $0x3f800000  // 1
DATA actc<>+44(SB)/4, $0x41500000  // 13: |x| clamp of the GELU tail
DATA actc<>+48(SB)/4, $0x3ecc422a  // 1/√(2π)
DATA actc<>+52(SB)/4, $0xbf000000  // -0.5
DATA actc<>+56(SB)/4, $0x3f000000  // Q numerator a0
DATA actc<>+60(SB)/4, $0x3edeb4ec  // a1
DATA actc<>+64(SB)/4, $0x3e391f05  // a2
DATA actc<>+68(SB)/4, $0x3d230df4  // a3
DATA actc<>+72(SB)/4, $0x3b82e258  // a4
DATA actc<>+76(SB)/4, $0x3fd57b8e  // Q denominator b1 (b0 = 1)
DATA actc<>+80(SB)/4, $0x3f989d41  // b2
DATA actc<>+84(SB)/4, $0x3eed0de1  // b3
DATA actc<>+88(SB)/4, $0x3dcc5fcb  // b4
DATA actc<>+92(SB)/4, $0x3c240959  // b5
DATA actc<>+96(SB)/4, $0xbfcc422a  // -2·√(2/π)
DATA actc<>+100(SB)/4, $0xbd922279 // -2·√(2/π)·0.044715
DATA actc<>+104(SB)/4, $0x3f4c422a // √(2/π)
DATA actc<>+108(SB)/4, $0x3ddb33b6 // 3·√(2/π)·0.044715
DATA actc<>+112(SB)/4, $0x7fffffff // abs mask
DATA actc<>+116(SB)/4, $0x40000000 // 2
GLOBL actc<>(SB), RODATA|NOPTR, $120

// EXPF sets P = exp(A) for A in [-86.5, 88] (the caller clamps): A = n·ln2
// + r with |r| ≤ ln2/2, exp(r) by a degree-6 polynomial, 2ⁿ added into the
// exponent bits. A and N are clobbered, T is scratch.
#define EXPF(A, N, P, T) \
	VBROADCASTSS actc<>+0(SB), T; \
	VMULPS       T, A, N; \
	VROUNDPS     $0, N, N; \
	VBROADCASTSS actc<>+4(SB), T; \
	VFNMADD231PS T, N, A; \
	VBROADCASTSS actc<>+8(SB), T; \
	VFNMADD231PS T, N, A; \
	VBROADCASTSS actc<>+28(SB), P; \
	VBROADCASTSS actc<>+24(SB), T; \
	VFMADD213PS  T, A, P; \
	VBROADCASTSS actc<>+20(SB), T; \
	VFMADD213PS  T, A, P; \
	VBROADCASTSS actc<>+16(SB), T; \
	VFMADD213PS  T, A, P; \
	VBROADCASTSS actc<>+12(SB), T; \
	VFMADD213PS  T, A, P; \
	VBROADCASTSS actc<>+40(SB), T; \
	VFMADD213PS  T, A, P; \
	VFMADD213PS  T, A, P; \
	VCVTPS2DQ    N, N; \
	VPSLLD       $23, N, N; \
	VPADDD       N, P, P

// GELUCORE takes x in Y0 and leaves Φ(x) in Y8 and e = exp(-z²/2) in Y5,
// z = |x|; beyond z = 13 both Q and e are flushed to 0. z² is split exactly
// into h + l (FMA) and exp(-l/2) ≈ 1 - l/2 corrects exp(-h/2), so the
// rounding of z² does not cost accuracy in the tail. Q = Φ(-z) =
// e·N(z)/D(z); Φ(x) = Q for negative x, 1 - Q otherwise. Needs Y12..Y15 =
// abs mask, 13, -0.5, 1; clobbers Y1..Y9.
#define GELUCORE \
	VANDPS       Y12, Y0, Y1; \
	VCMPPS       $0x1e, Y13, Y1, Y9; \
	VMINPS       Y13, Y1, Y1; \
	VMULPS       Y1, Y1, Y2; \
	VMOVAPS      Y2, Y3; \
	VFMSUB231PS  Y1, Y1, Y3; \
	VMULPS       Y14, Y2, Y2; \
	EXPF(Y2, Y4, Y5, Y6); \
	VMULPS       Y5, Y3, Y3; \
	VFMADD231PS  Y14, Y3, Y5; \
	VANDNPS      Y5, Y9, Y5; \
	VBROADCASTSS actc<>+72(SB), Y6; \
	VBROADCASTSS actc<>+68(SB), Y7; \
	VFMADD213PS  Y7, Y1, Y6; \
	VBROADCASTSS actc<>+64(SB), Y7; \
	VFMADD213PS  Y7, Y1, Y6; \
	VBROADCASTSS actc<>+60(SB), Y7; \
	VFMADD213PS  Y7, Y1, Y6; \
	VBROADCASTSS actc<>+56(SB), Y7; \
	VFMADD213PS  Y7, Y1, Y6; \
	VBROADCASTSS actc<>+92(SB), Y7; \
	VBROADCASTSS actc<>+88(SB), Y8; \
	VFMADD213PS  Y8, Y1, Y7; \
	VBROADCASTSS actc<>+84(SB), Y8; \
	VFMADD213PS  Y8, Y1, Y7; \
	VBROADCASTSS actc<>+80(SB), Y8; \
	VFMADD213PS  Y8, Y1, Y7; \
	VBROADCASTSS actc<>+76(SB), Y8; \
	VFMADD213PS  Y8, Y1, Y7; \
	VFMADD213PS  Y15, Y1, Y7; \
	VDIVPS       Y7, Y6, Y6; \
	VMULPS       Y5, Y6, Y6; \
	VSUBPS       Y6, Y15, Y7; \
	VBLENDVPS    Y0, Y6, Y7, Y8

#define GELUCONSTS \
	VBROADCASTSS actc<>+112(SB), Y12; \
	VBROADCASTSS actc<>+44(SB), Y13; \
	VBROADCASTSS actc<>+52(SB), Y14; \
	VBROADCASTSS actc<>+40(SB), Y15

// func geluFwdAVX2(y, x *float32, n int)
TEXT ·geluFwdAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	GELUCONSTS

gfloop:
	TESTQ CX, CX
	JZ    gfdone
	VMOVUPS (SI), Y0
	GELUCORE
	VMULPS  Y8, Y0, Y8
	VMOVUPS Y8, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     gfloop

gfdone:
	VZEROUPPER
	RET

// func geluBwdAVX2(dx, dy, x *float32, n int)
// dx += dy·(Φ(x) + x·φ(x)).
TEXT ·geluBwdAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	GELUCONSTS

gbloop:
	TESTQ CX, CX
	JZ    gbdone
	VMOVUPS      (SI), Y0
	GELUCORE
	VBROADCASTSS actc<>+48(SB), Y6
	VMULPS       Y6, Y5, Y5
	VFMADD231PS  Y5, Y0, Y8
	VMOVUPS      (DX), Y10
	VFMADD213PS  (DI), Y10, Y8
	VMOVUPS      Y8, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          gbloop

gbdone:
	VZEROUPPER
	RET

// TANHCORE takes x in Y0 and leaves x² in Y1, e = exp(-2u) in Y5 and
// s = 1/(1+e) = (1+tanh u)/2 in Y7, u = √(2/π)(x + 0.044715x³) (-2u
// clamped to the exp range; s and e flushed to 0 where -2u > 88, so a huge
// negative x gives 0). Needs Y15 = 1; clobbers Y1..Y9.
#define TANHCORE \
	VMULPS       Y0, Y0, Y1; \
	VBROADCASTSS actc<>+96(SB), Y2; \
	VBROADCASTSS actc<>+100(SB), Y3; \
	VFMADD213PS  Y2, Y1, Y3; \
	VMULPS       Y0, Y3, Y2; \
	VBROADCASTSS actc<>+32(SB), Y3; \
	VMAXPS       Y3, Y2, Y2; \
	VBROADCASTSS actc<>+36(SB), Y3; \
	VCMPPS       $0x1e, Y3, Y2, Y9; \
	VMINPS       Y3, Y2, Y2; \
	EXPF(Y2, Y4, Y5, Y6); \
	VANDNPS      Y5, Y9, Y5; \
	VADDPS       Y15, Y5, Y6; \
	VDIVPS       Y6, Y15, Y7; \
	VANDNPS      Y7, Y9, Y7

// func geluTanhFwdAVX2(y, x *float32, n int)
TEXT ·geluTanhFwdAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS actc<>+40(SB), Y15

gtfloop:
	TESTQ CX, CX
	JZ    gtfdone
	VMOVUPS (SI), Y0
	TANHCORE
	VMULPS  Y7, Y0, Y8
	VMOVUPS Y8, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     gtfloop

gtfdone:
	VZEROUPPER
	RET

// func geluTanhBwdAVX2(dx, dy, x *float32, n int)
// dx += dy·(s + 2x·s(1-s)·u'), with 1-s = e·s (no cancellation).
TEXT ·geluTanhBwdAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	VBROADCASTSS actc<>+40(SB), Y15

gtbloop:
	TESTQ CX, CX
	JZ    gtbdone
	VMOVUPS      (SI), Y0
	TANHCORE
	VBROADCASTSS actc<>+104(SB), Y2
	VBROADCASTSS actc<>+108(SB), Y3
	VFMADD213PS  Y2, Y1, Y3
	VMULPS       Y7, Y5, Y5
	VMULPS       Y7, Y5, Y5
	VMULPS       Y3, Y5, Y5
	VMULPS       Y0, Y5, Y5
	VBROADCASTSS actc<>+116(SB), Y6
	VFMADD213PS  Y7, Y6, Y5
	VMOVUPS      (DX), Y10
	VFMADD213PS  (DI), Y10, Y5
	VMOVUPS      Y5, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          gtbloop

gtbdone:
	VZEROUPPER
	RET

// HSUMX leaves the sum of the 8 lanes of y in the low lane of x (the xmm
// half of y); t is a scratch xmm.
#define HSUMX(y, x, t) \
	VEXTRACTF128 $1, y, t; \
	VADDPS       t, x, x; \
	VHADDPS      x, x, x; \
	VHADDPS      x, x, x

// func maxAVX2(x *float32, n int) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS (SI), Y0
	ADDQ    $32, SI
	SUBQ    $8, CX

mxloop:
	TESTQ   CX, CX
	JZ      mxdone
	VMAXPS  (SI), Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     mxloop

mxdone:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

// func expSubSumAVX2(y, x *float32, n int, m float32) float32
// y = exp(x - m), flushed to 0 where x - m < -86.5; returns Σ y.
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y11
	VBROADCASTSS actc<>+32(SB), Y12
	VXORPS       Y10, Y10, Y10

esloop:
	TESTQ   CX, CX
	JZ      esdone
	VMOVUPS (SI), Y0
	VSUBPS  Y11, Y0, Y0
	VCMPPS  $1, Y12, Y0, Y9
	VMAXPS  Y0, Y12, Y0
	EXPF(Y0, Y1, Y2, Y3)
	VANDNPS Y2, Y9, Y2
	VMOVUPS Y2, (DI)
	VADDPS  Y2, Y10, Y10
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     esloop

esdone:
	HSUMX(Y10, X10, X1)
	VMOVSS X10, ret+32(FP)
	VZEROUPPER
	RET

// func scaleAVX2(y *float32, n int, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ         y+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y1

scloop:
	TESTQ   CX, CX
	JZ      scdone
	VMULPS  (DI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     scloop

scdone:
	VZEROUPPER
	RET

// func dotAVX2(a, b *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), DX
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0

dtloop:
	TESTQ       CX, CX
	JZ          dtdone
	VMOVUPS     (SI), Y1
	VFMADD231PS (DX), Y1, Y0
	ADDQ        $32, SI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         dtloop

dtdone:
	HSUMX(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func softmaxBwdAVX2(dx, dy, y *float32, n int, dot float32)
// dx += y·(dy − dot).
TEXT ·softmaxBwdAVX2(SB), NOSPLIT, $0-36
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), DX
	MOVQ         y+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSS dot+32(FP), Y3

sbloop:
	TESTQ       CX, CX
	JZ          sbdone
	VMOVUPS     (DX), Y0
	VSUBPS      Y3, Y0, Y0
	VMOVUPS     (SI), Y1
	VFMADD213PS (DI), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         sbloop

sbdone:
	VZEROUPPER
	RET

// func logSoftmaxBwdAVX2(dx, dy, y *float32, n int, s float32)
// dx += dy − exp(y)·s, exp flushed to 0 below -86.5 (y ≤ 0 here).
TEXT ·logSoftmaxBwdAVX2(SB), NOSPLIT, $0-36
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), DX
	MOVQ         y+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSS s+32(FP), Y11
	VBROADCASTSS actc<>+32(SB), Y12
	VBROADCASTSS actc<>+36(SB), Y13

lbloop:
	TESTQ        CX, CX
	JZ           lbdone
	VMOVUPS      (SI), Y0
	VCMPPS       $1, Y12, Y0, Y9
	VMAXPS       Y0, Y12, Y0
	VMINPS       Y0, Y13, Y0
	EXPF(Y0, Y1, Y2, Y3)
	VANDNPS      Y2, Y9, Y2
	VMOVUPS      (DX), Y4
	VFNMADD231PS Y11, Y2, Y4
	VADDPS       (DI), Y4, Y4
	VMOVUPS      Y4, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	SUBQ         $8, CX
	JMP          lbloop

lbdone:
	VZEROUPPER
	RET

// func scaleShiftAVX2(dst, x *float32, n int, scale, shift float32)
// dst = x·scale + shift (one FMA).
TEXT ·scaleShiftAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS scale+24(FP), Y1
	VBROADCASTSS shift+28(FP), Y2

ssloop:
	CMPQ        CX, $16
	JLT         ss8
	VMOVUPS     (SI), Y0
	VMOVUPS     32(SI), Y3
	VFMADD213PS Y2, Y1, Y0
	VFMADD213PS Y2, Y1, Y3
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y3, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         ssloop

ss8:
	TESTQ       CX, CX
	JZ          ssdone
	VMOVUPS     (SI), Y0
	VFMADD213PS Y2, Y1, Y0
	VMOVUPS     Y0, (DI)

ssdone:
	VZEROUPPER
	RET

// BINLOOP(OP) is the body of a dst = a OP b kernel over DI, SI, DX, CX.
#define BINLOOP(OP, L32, L8, DONE) \
L32: \
	CMPQ    CX, $16; \
	JLT     L8; \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	OP      (DX), Y0, Y0; \
	OP      32(DX), Y1, Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DX; \
	ADDQ    $64, DI; \
	SUBQ    $16, CX; \
	JMP     L32; \
L8: \
	TESTQ   CX, CX; \
	JZ      DONE; \
	VMOVUPS (SI), Y0; \
	OP      (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
DONE: \
	VZEROUPPER; \
	RET

// func addVecAVX2(dst, a, b *float32, n int)
TEXT ·addVecAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	BINLOOP(VADDPS, av32, av8, avdone)

// func mulVecAVX2(dst, a, b *float32, n int)
TEXT ·mulVecAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	BINLOOP(VMULPS, mv32, mv8, mvdone)
