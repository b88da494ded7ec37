package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps is the distance between two finite float32 values of the same sign, in
// units in the last place.
func ulps(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

func TestSigmoidAccuracy(t *testing.T) {
	if !HasSIMD {
		t.Log("no AVX-512 in this build or CPU: testing the scalar path only")
	}
	// A dense sweep over [-100, 100], values near 0 down to 1e-40 on both
	// sides, and random values; the length is not a multiple of 16, so the
	// scalar tail runs too.
	var in []float32
	for x := -100.0; x <= 100; x += 1.0 / 1024 {
		in = append(in, float32(x))
	}
	for e := -40.0; e <= -3; e += 1.0 / 256 {
		in = append(in, float32(math.Pow(10, e)), -float32(math.Pow(10, e)))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100_003 {
		in = append(in, float32(rng.NormFloat64()*20))
	}
	out := make([]float32, len(in))
	Sigmoid(in, out)
	worst := int64(0)
	for i, x := range in {
		want := float32(1 / (1 + math.Exp(-float64(x))))
		got := out[i]
		if want < 1e-30 {
			// Where 2^n would leave the normal range the result is clamped: at
			// most 1e-38 from the exact value, which is below 1e-30 there.
			if got < 0 || got > 1e-30 {
				t.Fatalf("Sigmoid(%v) = %v, want %v", x, got, want)
			}
			continue
		}
		if u := ulps(got, want); u > worst {
			worst = u
			if u > 3 {
				t.Fatalf("Sigmoid(%v) = %v, want %v: %d ulps apart", x, got, want, u)
			}
		}
	}
	t.Logf("%d values, worst error %d ulps", len(in), worst)
}

func TestSigmoidSpecialValues(t *testing.T) {
	tests := []struct {
		in, want float32
	}{
		{0, 0.5},
		{float32(math.Inf(1)), 1},
		{100, 1},
		{float32(math.Inf(-1)), 0}, // within 1e-38, see TestSigmoidAccuracy
	}
	in := make([]float32, 0, 32)
	for len(in) < 32 { // fill two SIMD blocks
		for _, tc := range tests {
			in = append(in, tc.in)
		}
	}
	in = append(in, float32(math.NaN()))
	in[5] = float32(math.NaN())
	out := make([]float32, len(in))
	Sigmoid(in, out)
	for i, x := range in {
		if x != x {
			if out[i] == out[i] {
				t.Errorf("Sigmoid(NaN) = %v at index %d, want NaN", out[i], i)
			}
			continue
		}
		want := tests[i%len(tests)].want
		if math.Abs(float64(out[i]-want)) > 1e-38 {
			t.Errorf("Sigmoid(%v) = %v, want %v", x, out[i], want)
		}
	}
}

func TestSigmoidInPlace(t *testing.T) {
	x := []float32{-2, -1, 0, 1, 2}
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = sigmoidScalar(v)
	}
	Sigmoid(x, x)
	for i := range x {
		if ulps(x[i], want[i]) > 3 {
			t.Errorf("in place: %v, want %v", x, want)
		}
	}
}

func BenchmarkSigmoid(b *testing.B) {
	in := make([]float32, 128*784) // the MLP generator's output, batch 128
	for i := range in {
		in[i] = float32(i%200-100) / 10
	}
	out := make([]float32, len(in))
	b.Run("vecmath", func(b *testing.B) {
		for range b.N {
			Sigmoid(in, out)
		}
	})
	b.Run("float64-math", func(b *testing.B) {
		for range b.N {
			for i, x := range in {
				out[i] = sigmoidScalar(x)
			}
		}
	})
}
