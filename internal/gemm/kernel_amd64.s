//go:build !purego

#include "textflag.h"

// One row of the 8×32 tile: the accumulator pair (lo, hi) holds the row's
// 32 columns. ACCUMULATE adds the row already in C before storing. Both
// count the row off R14 (the rows to store) and end at done after the last.
#define STORE_ROW(lo, hi) \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 64(DX); \
	ADDQ    R8, DX; \
	DECQ    R14; \
	JZ      done

#define ACCUMULATE_ROW(lo, hi) \
	VADDPS  (DX), lo, lo; \
	VADDPS  64(DX), hi, hi; \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 64(DX); \
	ADDQ    R8, DX; \
	DECQ    R14; \
	JZ      done

// One step of the contraction for two rows of A (broadcast from memory at
// addresses m0, m1) times the 32 columns of B in Z16, Z17.
#define FMA_2ROWS(m0, m1, t0, t1, a0, a1, a2, a3) \
	VBROADCASTSS m0, t0; \
	VBROADCASTSS m1, t1; \
	VFMADD231PS  Z16, t0, a0; \
	VFMADD231PS  Z17, t0, a1; \
	VFMADD231PS  Z16, t1, a2; \
	VFMADD231PS  Z17, t1, a3

// func kernel8x32(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows int, accumulate bool)
//
// c[r][j] (+)= Σ_p a[r*aRow+p*aStep] * b[p*ldb+j] for r < rows, j < 32, p < kc
// (kc ≥ 1, 1 ≤ rows ≤ 8; strides in values): a is 8 rows of A, either in
// place (aRow the row stride, aStep 1) or packed column by column (aRow 1,
// aStep 8); b is 32 columns of B, in place or packed (ldb 32); c is the
// tile's first value in a matrix with row stride ldc, of which only the
// first rows rows are written (all 8 are computed). Sixteen ZMM accumulators hold the tile, the B
// row sits in two registers, the A values are broadcast from memory (a load,
// no shuffle).
TEXT ·kernel8x32(SB), NOSPLIT, $0-73
	MOVQ    kc+0(FP), CX
	MOVQ    a+8(FP), SI
	MOVQ    aRow+16(FP), R11
	SHLQ    $2, R11               // R11 = 1 row of A, in bytes
	LEAQ    (R11)(R11*2), AX      // AX = 3 rows
	LEAQ    (R11)(R11*4), BX      // BX = 5 rows
	LEAQ    (AX)(R11*4), R12      // R12 = 7 rows
	MOVQ    aStep+24(FP), R13
	SHLQ    $2, R13
	MOVQ    b+32(FP), DI
	MOVQ    ldb+40(FP), R10
	SHLQ    $2, R10
	MOVQ    c+48(FP), DX
	MOVQ    ldc+56(FP), R8
	SHLQ    $2, R8
	MOVQ    rows+64(FP), R14
	MOVBLZX accumulate+72(FP), R9

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

loop:
	VMOVUPS (DI), Z16
	VMOVUPS 64(DI), Z17
	FMA_2ROWS((SI), (SI)(R11*1), Z18, Z19, Z0, Z1, Z2, Z3)
	FMA_2ROWS((SI)(R11*2), (SI)(AX*1), Z20, Z21, Z4, Z5, Z6, Z7)
	FMA_2ROWS((SI)(R11*4), (SI)(BX*1), Z22, Z23, Z8, Z9, Z10, Z11)
	FMA_2ROWS((SI)(AX*2), (SI)(R12*1), Z24, Z25, Z12, Z13, Z14, Z15)
	ADDQ R13, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  loop
	TESTQ R9, R9
	JZ    store
	ACCUMULATE_ROW(Z0, Z1)
	ACCUMULATE_ROW(Z2, Z3)
	ACCUMULATE_ROW(Z4, Z5)
	ACCUMULATE_ROW(Z6, Z7)
	ACCUMULATE_ROW(Z8, Z9)
	ACCUMULATE_ROW(Z10, Z11)
	ACCUMULATE_ROW(Z12, Z13)
	ACCUMULATE_ROW(Z14, Z15)
	JMP   done

store:
	STORE_ROW(Z0, Z1)
	STORE_ROW(Z2, Z3)
	STORE_ROW(Z4, Z5)
	STORE_ROW(Z6, Z7)
	STORE_ROW(Z8, Z9)
	STORE_ROW(Z10, Z11)
	STORE_ROW(Z12, Z13)
	STORE_ROW(Z14, Z15)

done:
	VZEROUPPER
	RET
