//go:build !amd64 || purego

package gemm

// fmaLoop counts like the assembly loop, without its instructions; FMAPeak
// does not time it.
func fmaLoop(n int) float32 { return float32(16 * max(n, 0)) }
