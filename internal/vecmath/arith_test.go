package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Add, Mul, Sub, Max and Min must give exactly the bits of Go's float32
// arithmetic and of its max and min (any NaN for a NaN), for
// same-length and single-value b, special values included, at every length
// around the vector width, and when out is a or b.
func TestArithmeticBitwise(t *testing.T) {
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
		{"Sub", Sub, func(x, y float32) float32 { return x - y }},
		{"Max", Max, func(x, y float32) float32 { return max(x, y) }},
		{"Min", Min, func(x, y float32) float32 { return min(x, y) }},
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

// BenchmarkAddMul times Mul and Max on a DCGAN activation's size
// (64·14·14·64 values) against Go's loops.
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
	b.Run("Max", func(b *testing.B) {
		for range b.N {
			Max(x, y, out)
		}
		b.SetBytes(12 * n)
	})
	b.Run("maxLoop", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				out[i] = max(v, y[i])
			}
		}
		b.SetBytes(12 * n)
	})
}

// Max and Min of zeros of either sign and of NaN against a number, in every
// lane of the vector loop: the cases where VMAXPS and VMINPS alone differ from
// Go's max and min (random values rarely pair them).
func TestMaxMinZerosAndNaN(t *testing.T) {
	negZero, nan := float32(math.Copysign(0, -1)), float32(math.NaN())
	pairs := [][2]float32{{0, negZero}, {negZero, 0}, {negZero, negZero}, {0, 0}, {nan, 1}, {1, nan}, {nan, negZero}, {negZero, nan}}
	for _, op := range []struct {
		name string
		f    func(a, b, out []float32)
		want func(x, y float32) float32
	}{
		{"Max", Max, func(x, y float32) float32 { return max(x, y) }},
		{"Min", Min, func(x, y float32) float32 { return min(x, y) }},
	} {
		for _, p := range pairs {
			for _, scalar := range []bool{false, true} {
				a := make([]float32, 32)
				b := make([]float32, len(a))
				if scalar {
					b = b[:1]
				}
				for i := range a {
					a[i] = p[0]
				}
				for i := range b {
					b[i] = p[1]
				}
				out := make([]float32, len(a))
				op.f(a, b, out)
				want := op.want(p[0], p[1])
				for i, got := range out {
					if math.Float32bits(got) != math.Float32bits(want) && !(want != want && got != got) {
						t.Fatalf("%s(%v, %v) scalar=%v: out[%d] = %v (%#x), want %v (%#x)", op.name, p[0], p[1], scalar, i, got, math.Float32bits(got), want, math.Float32bits(want))
					}
				}
			}
		}
	}
}
