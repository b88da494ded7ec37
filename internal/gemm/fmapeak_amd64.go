//go:build amd64 && !purego

package gemm

// fmaLoop runs n iterations of 16 independent 512-bit fused multiply-adds
// (fmapeak_amd64.s) and returns 16·n.
//
//go:noescape
func fmaLoop(n int) float32
