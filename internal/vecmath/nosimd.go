//go:build !(goexperiment.simd && amd64)

package vecmath

func hasSIMD() bool { return false }

func leaveSIMD() {}

func sigmoidSIMD(in, out []float32) int { return 0 }

func addSIMD(a, b, out []float32) int { return 0 }

func mulSIMD(a, b, out []float32) int { return 0 }

func subSIMD(a, b, out []float32) int { return 0 }

func maxSIMD(a, b, out []float32) int { return 0 }

func minSIMD(a, b, out []float32) int { return 0 }

func signSIMD(in, out []float32) int { return 0 }

func tanhSIMD(in, out []float32) int { return 0 }

func sumRowsSIMD(out, src []float32, n int, starts, rows []int32) int { return 0 }
