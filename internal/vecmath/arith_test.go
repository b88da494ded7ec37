package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Add and Mul must give exactly the bits of Go's float32 arithmetic, for
// same-length and single-value b, special values included, at every length
// around the vector width, and when out is a or b.
func TestAddMulBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 1e-39}
	value := func() float32 {
		if rng.IntN(5) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
	}
	ops := []struct {
		name string
		f    func(a, b, out []float32)
		want func(x, y float32) float32
	}{
		{"Add", Add, func(x, y float32) float32 { return x + y }},
		{"Mul", Mul, func(x, y float32) float32 { return x * y }},
	}
	for _, op := range ops {
		for _, n := range []int{0, 1, 15, 16, 17, 31, 33, 64, 1000} {
			for _, scalar := range []bool{false, true} {
				for _, inPlace := range []string{"", "a", "b"} {
					if inPlace == "b" && scalar {
						continue
					}
					t.Run(fmt.Sprintf("%s/n%d/scalar=%v/out=%s", op.name, n, scalar, inPlace), func(t *testing.T) {
						a := make([]float32, n)
						b := make([]float32, n)
						if scalar {
							b = make([]float32, 1)
						}
						for i := range a {
							a[i] = value()
						}
						for i := range b {
							b[i] = value()
						}
						want := make([]float32, n)
						for i := range a {
							y := b[0]
							if !scalar {
								y = b[i]
							}
							want[i] = op.want(a[i], y)
						}
						out := make([]float32, n)
						switch inPlace {
						case "a":
							out = a
						case "b":
							out = b
						}
						op.f(a, b, out)
						for i := range want {
							if math.Float32bits(out[i]) != math.Float32bits(want[i]) && !(want[i] != want[i] && out[i] != out[i]) {
								t.Fatalf("out[%d] = %v (%#x), want %v (%#x)", i, out[i], math.Float32bits(out[i]), want[i], math.Float32bits(want[i]))
							}
						}
					})
				}
			}
		}
	}
}

// BenchmarkAddMul times Mul on a DCGAN activation's size (64·14·14·64
// values) against Go's loop.
func BenchmarkAddMul(b *testing.B) {
	const n = 64 * 14 * 14 * 64
	rng := rand.New(rand.NewPCG(1, 2))
	x, y, out := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = rng.Float32(), rng.Float32()
	}
	b.Run("Mul", func(b *testing.B) {
		for range b.N {
			Mul(x, y, out)
		}
		b.SetBytes(12 * n)
	})
	b.Run("loop", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				out[i] = v * y[i]
			}
		}
		b.SetBytes(12 * n)
	})
}
