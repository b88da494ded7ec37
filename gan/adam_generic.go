//go:build !(goexperiment.simd && amd64)

package gan

// adamUpdateFast is adamUpdate: this build has no SIMD (GOEXPERIMENT=simd on amd64 adds it).
func adamUpdateFast(p, g, m, v []float32, c adamCoefficients) { adamUpdate(p, g, m, v, c) }
