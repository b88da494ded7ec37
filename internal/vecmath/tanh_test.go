package vecmath

import (
	"math"
	"os"
	"testing"
)

// Tanh gives math.Tanh's float64 result rounded to float32, bit for bit, as
// GoMLX's go backend computes it. Checked over every 251st float32 bit
// pattern (about 17 million values: every exponent, both signs, NaNs and
// infinities), the values around each branch of math.Tanh (0.625, 0.5·MAXLOG)
// and at every length around the vector width, in place too.
// VECMATH_TANH_ALL=1 checks all 2³² values.
func TestTanhMatchesMathTanh(t *testing.T) {
	step := uint64(251)
	if os.Getenv("VECMATH_TANH_ALL") != "" {
		step = 1
	}
	const chunk = 1 << 16
	in, out := make([]float32, 0, chunk), make([]float32, chunk)
	check := func() {
		Tanh(in, out)
		for i, x := range in {
			if want := tanhScalar(x); math.Float32bits(out[i]) != math.Float32bits(want) {
				t.Fatalf("Tanh(%v) (bits %#x) = %v (%#x), math.Tanh gives %v (%#x)",
					x, math.Float32bits(x), out[i], math.Float32bits(out[i]), want, math.Float32bits(want))
			}
		}
		in = in[:0]
	}
	for bits := uint64(0); bits < 1<<32; bits += step {
		if in = append(in, math.Float32frombits(uint32(bits))); len(in) == chunk {
			check()
		}
	}
	// Around the branches, both signs: 0.625, 0.5·MAXLOG, 0 and the float32s
	// nearest each.
	for _, edge := range []float32{0.625, 44.014845965556525, 0, 1} {
		x := edge
		for range 200 {
			x = math.Nextafter32(x, -1)
		}
		for range 400 {
			in = append(in, x, -x)
			x = math.Nextafter32(x, math.MaxFloat32)
		}
	}
	check()
	for _, n := range []int{0, 1, 15, 16, 17, 31, 33, 100} {
		buf := make([]float32, n)
		for i := range buf {
			buf[i] = float32(i-50) / 7
		}
		want := make([]float32, n)
		for i, x := range buf {
			want[i] = tanhScalar(x)
		}
		Tanh(buf, buf)
		for i := range want {
			if math.Float32bits(buf[i]) != math.Float32bits(want[i]) {
				t.Fatalf("in place, n=%d: out[%d] = %v, want %v", n, i, buf[i], want[i])
			}
		}
	}
}

func BenchmarkTanh(b *testing.B) {
	in := make([]float32, 64*28*28) // the DCGAN generator's output, batch 64
	for i := range in {
		in[i] = float32(i%200-100) / 20
	}
	out := make([]float32, len(in))
	b.Run("vecmath", func(b *testing.B) {
		for range b.N {
			Tanh(in, out)
		}
	})
	b.Run("float64-math", func(b *testing.B) {
		for range b.N {
			for i, x := range in {
				out[i] = tanhScalar(x)
			}
		}
	})
}
