// Package gemm multiplies row-major float32 matrices on x86-64 CPUs with
// AVX-512, for the go backend's DotGeneral (see gan/fastmatmul.go).
//
// It is the textbook GotoBLAS/BLIS structure: the contraction is cut into
// panels of panelDepth, B into 32-column panels and A into 8-row blocks,
// both packed so that an 8×32 micro-kernel in assembly (kernel_amd64.s)
// streams them with unit stride while 16 ZMM registers hold the tile of C.
// GoMLX's own AVX-512 kernel (compute v0.1.2) keeps a 4×32 tile, broadcasts
// through a shuffle and spills its loop state to the stack; this one reaches
// about 1.5× its throughput on the matrices of ganbook's GANs (see
// BenchmarkMatMul).
//
// Results equal the plain triple loop up to float32 rounding: the sum over
// the contraction runs in a different order (tested against float64).
package gemm
