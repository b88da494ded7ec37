//go:build !(goexperiment.simd && amd64)

package vecmath

func hasSIMD() bool { return false }

func sigmoidSIMD(in, out []float32) int { return 0 }
