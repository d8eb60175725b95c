//go:build amd64 && !purego

#include "textflag.h"

DATA absmask<>+0(SB)/8, $0x7fffffffffffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $8

// func blocksAVX(a *float64, n, b int) float64
TEXT ·blocksAVX(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ n+8(FP), R8
	SHLQ $3, R8              // R8: a row's bytes
	MOVQ R8, R9
	SHLQ $2, R9              // R9: four rows' bytes
	MOVQ b+16(FP), DX
	VBROADCASTSD absmask<>(SB), Y14
	VXORPD Y12, Y12, Y12     // two sums
	VXORPD Y13, Y13, Y13
	MOVQ $4, R10             // R10: i, the block row
iloop:
	CMPQ R10, DX
	JGE  done
	MOVQ R10, AX
	IMULQ R8, AX
	ADDQ SI, AX              // AX: &a[i][0], the block (i, j) below
	LEAQ (SI)(R10*8), BX     // BX: &a[0][i], its mirror (j, i) above
	MOVQ R10, CX
	SHRQ $2, CX              // CX: i/4 blocks in this block row
jloop:
	VMOVUPD (AX), Y0
	VMOVUPD (AX)(R8*1), Y1
	VMOVUPD (AX)(R8*2), Y2
	LEAQ (AX)(R8*2), R12
	VMOVUPD (R12)(R8*1), Y3
	VMOVUPD (BX), Y4
	VMOVUPD (BX)(R8*1), Y5
	VMOVUPD (BX)(R8*2), Y6
	LEAQ (BX)(R8*2), R13
	VMOVUPD (R13)(R8*1), Y7
	// Y4..Y7 transposed: the mirror's columns, which face Y0..Y3.
	VUNPCKLPD Y5, Y4, Y8
	VUNPCKHPD Y5, Y4, Y9
	VUNPCKLPD Y7, Y6, Y10
	VUNPCKHPD Y7, Y6, Y11
	VPERM2F128 $0x20, Y10, Y8, Y4
	VPERM2F128 $0x20, Y11, Y9, Y5
	VPERM2F128 $0x31, Y10, Y8, Y6
	VPERM2F128 $0x31, Y11, Y9, Y7
	VSUBPD Y4, Y0, Y0
	VSUBPD Y5, Y1, Y1
	VSUBPD Y6, Y2, Y2
	VSUBPD Y7, Y3, Y3
	VANDPD Y14, Y0, Y0
	VANDPD Y14, Y1, Y1
	VANDPD Y14, Y2, Y2
	VANDPD Y14, Y3, Y3
	VADDPD Y0, Y12, Y12
	VADDPD Y1, Y13, Y13
	VADDPD Y2, Y12, Y12
	VADDPD Y3, Y13, Y13
	ADDQ $32, AX
	ADDQ R9, BX
	DECQ CX
	JNZ  jloop
	ADDQ $4, R10
	JMP  iloop
done:
	VADDPD Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X0
	VADDPD X12, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET
