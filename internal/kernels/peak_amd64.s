//go:build !purego

#include "textflag.h"

// The machine-peak probes: n iterations of 12 independent multiply-adds
// (enough accumulators to cover the FMA latency on every x86 core we know),
// nothing loaded or stored, so they run at the cores' FMA throughput.

#define FMA12Z(a, b) \
	VFMADD231PS a, b, Z0; VFMADD231PS a, b, Z1; VFMADD231PS a, b, Z2; VFMADD231PS a, b, Z3; \
	VFMADD231PS a, b, Z4; VFMADD231PS a, b, Z5; VFMADD231PS a, b, Z6; VFMADD231PS a, b, Z7; \
	VFMADD231PS a, b, Z8; VFMADD231PS a, b, Z9; VFMADD231PS a, b, Z10; VFMADD231PS a, b, Z11

#define FMA12Y(a, b) \
	VFMADD231PS a, b, Y0; VFMADD231PS a, b, Y1; VFMADD231PS a, b, Y2; VFMADD231PS a, b, Y3; \
	VFMADD231PS a, b, Y4; VFMADD231PS a, b, Y5; VFMADD231PS a, b, Y6; VFMADD231PS a, b, Y7; \
	VFMADD231PS a, b, Y8; VFMADD231PS a, b, Y9; VFMADD231PS a, b, Y10; VFMADD231PS a, b, Y11

// func fmaPeakAVX512(n int)
TEXT ·fmaPeakAVX512(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	TESTQ CX, CX
	JZ   pz_done

pz_loop:
	FMA12Z(Z30, Z31)
	DECQ CX
	JNZ  pz_loop

pz_done:
	VZEROUPPER
	RET

// func fmaPeakAVX2(n int)
TEXT ·fmaPeakAVX2(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JZ   py_done

py_loop:
	FMA12Y(Y14, Y15)
	DECQ CX
	JNZ  py_loop

py_done:
	VZEROUPPER
	RET
