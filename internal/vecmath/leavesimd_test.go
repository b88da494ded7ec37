package vecmath

import (
	"math"
	"testing"
)

// BenchmarkScalarAfterSIMD times 128 calls of math.Exp (scalar SSE code, as
// in GoMLX's float32 Exp) right after a vectorized loop over 64K values:
// after the bare AVX-512 loop (addSIMD, which leaves the upper halves of the
// vector registers dirty) and after Add, which ends with leaveSIMD's
// VZEROUPPER; Add-alone is the loop by itself. On an Intel Xeon with AVX-512,
// two runs: 151–188 µs per op after the bare loop, 16.6–18.5 µs after Add,
// 11.7–16.7 µs for Add alone: the 128 calls took about 135–176 µs against
// 2–5 µs.
func BenchmarkScalarAfterSIMD(b *testing.B) {
	if !HasSIMD {
		b.Skip("no AVX-512 here: nothing leaves the upper bits dirty")
	}
	in, out := make([]float32, 128), make([]float32, 128)
	for i := range in {
		in[i] = float32(i) / 200
	}
	big := make([]float32, 1<<16)
	exps := func() {
		for i, v := range in {
			out[i] = float32(math.Exp(float64(v)))
		}
	}
	b.Run("after-bare-loop", func(b *testing.B) {
		for range b.N {
			addSIMD(big, big, big)
			exps()
		}
	})
	b.Run("after-Add", func(b *testing.B) {
		for range b.N {
			Add(big, big, big)
			exps()
		}
	})
	b.Run("Add-alone", func(b *testing.B) {
		for range b.N {
			Add(big, big, big)
		}
	})
}
