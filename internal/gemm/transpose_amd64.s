//go:build !purego

#include "textflag.h"

// func transpose8(rows *[8]*float32, dst *float32, dstStride int, blocks int)
//
// For b < blocks, j < 8, i < 8: dst[(8b+j)*dstStride + i] = rows[i][8b+j]
// (dstStride in values): eight rows of a matrix, 8 columns at a time, turned
// into columns, with the classic AVX 8×8 transpose (unpack, shuffle, permute
// 128-bit lanes).
TEXT ·transpose8(SB), NOSPLIT, $0-32
	MOVQ rows+0(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ 48(AX), SI
	MOVQ 56(AX), DI
	MOVQ dst+8(FP), DX
	MOVQ dstStride+16(FP), BX
	SHLQ $2, BX
	MOVQ blocks+24(FP), CX
	XORQ AX, AX // byte offset into the rows

loop:
	VMOVUPS (R8)(AX*1), Y0
	VMOVUPS (R9)(AX*1), Y1
	VMOVUPS (R10)(AX*1), Y2
	VMOVUPS (R11)(AX*1), Y3
	VMOVUPS (R12)(AX*1), Y4
	VMOVUPS (R13)(AX*1), Y5
	VMOVUPS (SI)(AX*1), Y6
	VMOVUPS (DI)(AX*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DX)
	ADDQ    BX, DX
	VMOVUPS Y9, (DX)
	ADDQ    BX, DX
	VMOVUPS Y10, (DX)
	ADDQ    BX, DX
	VMOVUPS Y11, (DX)
	ADDQ    BX, DX
	VMOVUPS Y12, (DX)
	ADDQ    BX, DX
	VMOVUPS Y13, (DX)
	ADDQ    BX, DX
	VMOVUPS Y14, (DX)
	ADDQ    BX, DX
	VMOVUPS Y15, (DX)
	ADDQ    BX, DX

	ADDQ $32, AX
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET

// func gatherRows8(dst *float32, src *float32, srcStride int, n int)
//
// For p < n: dst[8p : 8p+8] = src[p*srcStride : p*srcStride+8] (srcStride
// in values): eight adjacent values of n rows, one 256-bit move each, four
// rows per iteration.
TEXT ·gatherRows8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ srcStride+16(FP), BX
	SHLQ $2, BX
	MOVQ n+24(FP), CX
	CMPQ CX, $4
	JLT  tail

four:
	VMOVUPS (SI), Y0
	ADDQ    BX, SI
	VMOVUPS (SI), Y1
	ADDQ    BX, SI
	VMOVUPS (SI), Y2
	ADDQ    BX, SI
	VMOVUPS (SI), Y3
	ADDQ    BX, SI
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, DI
	SUBQ    $4, CX
	CMPQ    CX, $4
	JGE     four

tail:
	TESTQ CX, CX
	JZ    done

one:
	VMOVUPS (SI), Y0
	ADDQ    BX, SI
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     one

done:
	VZEROUPPER
	RET
