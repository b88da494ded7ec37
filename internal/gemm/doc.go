// Package gemm multiplies row-major float32 matrices on x86-64 CPUs with
// AVX-512; ganbook installs it as the go backend's float32 DotGeneral
// (gan/fastkernels.go, through the patch in third_party/compute).
//
// It is the textbook GotoBLAS/BLIS structure around an 8×32 micro-kernel in
// assembly (kernel_amd64.s): sixteen ZMM registers hold a tile of C while the
// contraction streams 8 values of A (broadcast from memory) and 32 of B per
// step. The contraction is cut into panels of panelDepth and A into blocks of
// blockRows rows; a row-major A and a row-major B are read in place (the
// kernel takes strides), only Aᵀ, Bᵀ and the edges narrower than a tile are
// packed. A·Bᵀ whose Bᵀ would cost more to pack than A plus a transpose of
// C (a small m against large n and k: the gradients of a layer's input) is
// computed as (B·Aᵀ)ᵀ, B then read in place. A last column panel at most 16
// wide (all of a C with 16 columns: a 4×4 convolution over one channel) goes
// through an 8×16 kernel that writes only its columns, through a mask,
// instead of a whole 8×32 tile half of padding; an Aᵀ·B that narrow is
// computed as (Bᵀ·A)ᵀ, whose tiles are whole. Products are split over
// goroutines by whole matrices of a batch, else by columns or rows,
// whichever repeats less reading. The caller takes a share too, and any
// share whose helper has not started yet when the caller is free: a helper
// may wait for a busy core, or for an idle one's thread to wake (20–55 µs on
// a virtual machine whose idle CPUs halt), and the caller does not wait for
// it. Helpers are started with go statements followed by one empty
// goroutine, so that none waits in the caller's runnext slot, which an idle
// core steals from only after a 3 µs sleep (50–100 µs on such a machine;
// BenchmarkHelperStart). SetGo chooses how helpers start.
//
// GoMLX's own AVX-512 kernel (compute v0.1.2) keeps a 4×32 tile, broadcasts
// through a shuffle, spills its loop state to the stack and packs both
// operands on every call; on the matrices of ganbook's GANs this package runs
// at 1.4–2.5× its throughput, and several times it on the degenerate products
// (broadcasts written as K=1 products) — see BenchmarkMatMul.
//
// A row-major A of only zeros and ones within one contraction panel (the 0/1
// selections gan/blocks writes im2col and col2im with) is not multiplied:
// each row of C is +0 plus the rows of B that A's row selects, in order
// (internal/vecmath.SumRows), the micro-kernel's bits for finite B at the
// cost of the bytes alone. SumSelections makes the same sums over a whole
// contraction in one pass, whatever its length: the bits of kernels that sum
// in order in one pass, such as GoMLX's for small products, whose sums over
// rows (a row of ones times a matrix) ganbook takes over with it.
//
// FMAPeak measures the ceiling all of this is bounded by: the rate of
// independent 512-bit fused multiply-adds with no memory operands. On the
// AMD EPYC (Zen 4) ganbook is benchmarked on it is about 117 GFLOP/s per
// core, and MatMul's largest product reaches 0.90–0.94 of it on one core
// (BenchmarkFMAPeak beside BenchmarkMatMul with -cpu 1) and 0.95–0.98 on two
// (gan's BenchmarkRoofline).
//
// Each value of C is summed in the same order whatever the number of workers
// and whichever operands are stored transposed, so results are deterministic; they equal the plain triple loop up to float32
// rounding (tested against float64). Without AVX-512F (or with the purego
// build tag) the same loops run a plain-Go micro-kernel: correct, tested the
// same way, but slow; ganbook then leaves GoMLX's kernels in place.
package gemm
