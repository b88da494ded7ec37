package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Sign gives −1, 1 or +0 as GoMLX's go backend does (+0 for −0 and for NaN),
// at every length around the vector width and in place.
func TestSign(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	negZero := float32(math.Copysign(0, -1))
	special := []struct{ in, want float32 }{
		{0, 0}, {negZero, 0}, {float32(math.NaN()), 0}, {float32(-math.NaN()), 0},
		{math.SmallestNonzeroFloat32, 1}, {-math.SmallestNonzeroFloat32, -1},
		{float32(math.Inf(1)), 1}, {float32(math.Inf(-1)), -1}, {math.MaxFloat32, 1}, {-math.MaxFloat32, -1},
		{1e-39, 1}, {-1e-39, -1}, {0.5, 1}, {-3, -1},
	}
	for _, n := range []int{0, 1, 15, 16, 17, 31, 33, 64, 1000} {
		for _, inPlace := range []bool{false, true} {
			t.Run(fmt.Sprintf("n%d/inPlace=%v", n, inPlace), func(t *testing.T) {
				in, want := make([]float32, n), make([]float32, n)
				for i := range in {
					s := special[rng.IntN(len(special))]
					if rng.IntN(3) == 0 {
						v := float32(rng.NormFloat64())
						s.in, s.want = v, 1
						if v < 0 {
							s.want = -1
						}
					}
					in[i], want[i] = s.in, s.want
				}
				out := make([]float32, n)
				if inPlace {
					out = in
				}
				Sign(in, out)
				for i := range want {
					if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
						t.Fatalf("Sign: out[%d] = %v (%#x), want %v (%#x)", i, out[i], math.Float32bits(out[i]), want[i], math.Float32bits(want[i]))
					}
				}
			})
		}
	}
}
