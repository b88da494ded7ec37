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

// One step of the contraction for the whole tile: the B row into Z16, Z17,
// then the eight rows of A, and on to the next step. PREFETCH_A is a
// prefetch of one row of A (or nothing).
#define STEP(PREFETCH_A) \
	VMOVUPS (DI), Z16; \
	VMOVUPS 64(DI), Z17; \
	FMA_2ROWS((SI), (SI)(R11*1), Z18, Z19, Z0, Z1, Z2, Z3); \
	FMA_2ROWS((SI)(R11*2), (SI)(AX*1), Z20, Z21, Z4, Z5, Z6, Z7); \
	FMA_2ROWS((SI)(R11*4), (SI)(BX*1), Z22, Z23, Z8, Z9, Z10, Z11); \
	FMA_2ROWS((SI)(AX*2), (SI)(R12*1), Z24, Z25, Z12, Z13, Z14, Z15); \
	PREFETCH_A; \
	ADDQ R13, SI; \
	ADDQ R10, DI

// Ahead of the contraction: the tile's two cache lines in each of the 8
// rows of C (past the matrix for a tile of fewer rows: a prefetch never
// faults).
#define PREFETCH_C_ROW \
	PREFETCHT0 (R14); \
	PREFETCHT0 64(R14); \
	ADDQ       R8, R14

// The arguments both kernels share, into registers, strides in bytes: CX
// the contraction steps, SI A, R11 one row of A and AX, BX, R12 three, five
// and seven, R13 one step of A, DI B, R10 one row of B, DX C, R8 one row of C.
#define LOAD_OPERANDS \
	MOVQ kc+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ aRow+16(FP), R11; \
	SHLQ $2, R11; \
	LEAQ (R11)(R11*2), AX; \
	LEAQ (R11)(R11*4), BX; \
	LEAQ (AX)(R11*4), R12; \
	MOVQ aStep+24(FP), R13; \
	SHLQ $2, R13; \
	MOVQ b+32(FP), DI; \
	MOVQ ldb+40(FP), R10; \
	SHLQ $2, R10; \
	MOVQ c+48(FP), DX; \
	MOVQ ldc+56(FP), R8; \
	SHLQ $2, R8

// func kernel8x32(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows int, accumulate bool)
//
// c[r][j] (+)= Σ_p a[r*aRow+p*aStep] * b[p*ldb+j] for r < rows, j < 32, p < kc
// (kc ≥ 1, 1 ≤ rows ≤ 8; strides in values): a is 8 rows of A, either in
// place (aRow the row stride, aStep 1) or packed column by column (aRow 1,
// aStep 8); b is 32 columns of B, in place or packed (ldb 32); c is the
// tile's first value in a matrix with row stride ldc, of which only the
// first rows rows are written (all 8 are computed). Sixteen ZMM accumulators hold the tile, the B
// row sits in two registers, the A values are broadcast from memory (a load,
// no shuffle). A training step's operands mostly come from memory, not the
// caches: the kernel prefetches its tile of C before the contraction and
// each row of A ahead of the steps that read it (BenchmarkColdOperands:
// about 1.18× on cold operands, the same on hot ones).
TEXT ·kernel8x32(SB), NOSPLIT, $0-73
	LOAD_OPERANDS
	MOVQ    DX, R14
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
	PREFETCH_C_ROW
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

	// Eight steps at a time, each prefetching one row of A 256 bytes ahead
	// (64 steps of an A read in place: a new cache line of each row every
	// 16 steps), so that A streamed from memory arrives before it is
	// broadcast; then the remaining steps one by one.
	CMPQ CX, $8
	JLT  tail

loop8:
	STEP(PREFETCHT0 256(SI))
	STEP(PREFETCHT0 256(SI)(R11*1))
	STEP(PREFETCHT0 256(SI)(R11*2))
	STEP(PREFETCHT0 256(SI)(AX*1))
	STEP(PREFETCHT0 256(SI)(R11*4))
	STEP(PREFETCHT0 256(SI)(BX*1))
	STEP(PREFETCHT0 256(SI)(AX*2))
	STEP(PREFETCHT0 256(SI)(R12*1))
	SUBQ $8, CX
	CMPQ CX, $8
	JGE  loop8

tail:
	TESTQ CX, CX
	JZ    contracted

loop:
	STEP(NOP)
	DECQ CX
	JNZ  loop

contracted:
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

// One row of the 8×16 tile, its first cols columns (the mask in K1).
#define STORE_NARROW_ROW(acc) \
	VMOVUPS acc, K1, (DX); \
	ADDQ    R8, DX; \
	DECQ    R14; \
	JZ      narrowDone

#define ACCUMULATE_NARROW_ROW(acc) \
	VMOVUPS.Z (DX), K1, Z26; \
	VADDPS    Z26, acc, acc; \
	VMOVUPS   acc, K1, (DX); \
	ADDQ      R8, DX; \
	DECQ      R14; \
	JZ        narrowDone

// func kernel8x16(kc int, a *float32, aRow, aStep int, b *float32, ldb int, c *float32, ldc int, rows, cols int, accumulate bool)
//
// kernel8x32 for a panel of B at most 16 columns wide (the last panel of a
// product whose n is not a multiple of 32, the whole of one with n ≤ 16):
// c[r][j] (+)= Σ_p a[r*aRow+p*aStep] * b[p*ldb+j] for r < rows, j < cols,
// p < kc (1 ≤ cols ≤ 16). b's rows are read 16 values wide (a packed,
// zero-padded panel); only the first cols columns of c are read or written,
// through a mask. Eight accumulators, one B register; each value is the same
// chain of fused multiply-adds as kernel8x32's.
TEXT ·kernel8x16(SB), NOSPLIT, $0-81
	MOVQ    cols+72(FP), CX
	MOVL    $1, AX
	SHLL    CX, AX
	DECL    AX
	KMOVW   AX, K1                // K1 = the cols columns to keep
	LOAD_OPERANDS
	MOVQ    rows+64(FP), R14
	MOVBLZX accumulate+80(FP), R9

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

narrowLoop:
	VMOVUPS      (DI), Z16
	VBROADCASTSS (SI), Z18
	VBROADCASTSS (SI)(R11*1), Z19
	VBROADCASTSS (SI)(R11*2), Z20
	VBROADCASTSS (SI)(AX*1), Z21
	VFMADD231PS  Z16, Z18, Z0
	VFMADD231PS  Z16, Z19, Z1
	VFMADD231PS  Z16, Z20, Z2
	VFMADD231PS  Z16, Z21, Z3
	VBROADCASTSS (SI)(R11*4), Z22
	VBROADCASTSS (SI)(BX*1), Z23
	VBROADCASTSS (SI)(AX*2), Z24
	VBROADCASTSS (SI)(R12*1), Z25
	VFMADD231PS  Z16, Z22, Z4
	VFMADD231PS  Z16, Z23, Z5
	VFMADD231PS  Z16, Z24, Z6
	VFMADD231PS  Z16, Z25, Z7
	ADDQ R13, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  narrowLoop
	TESTQ R9, R9
	JZ    narrowStore
	ACCUMULATE_NARROW_ROW(Z0)
	ACCUMULATE_NARROW_ROW(Z1)
	ACCUMULATE_NARROW_ROW(Z2)
	ACCUMULATE_NARROW_ROW(Z3)
	ACCUMULATE_NARROW_ROW(Z4)
	ACCUMULATE_NARROW_ROW(Z5)
	ACCUMULATE_NARROW_ROW(Z6)
	ACCUMULATE_NARROW_ROW(Z7)
	JMP   narrowDone

narrowStore:
	STORE_NARROW_ROW(Z0)
	STORE_NARROW_ROW(Z1)
	STORE_NARROW_ROW(Z2)
	STORE_NARROW_ROW(Z3)
	STORE_NARROW_ROW(Z4)
	STORE_NARROW_ROW(Z5)
	STORE_NARROW_ROW(Z6)
	STORE_NARROW_ROW(Z7)

narrowDone:
	VZEROUPPER
	RET
