package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// SumRows gives the bits of the plain loop: +0, then each selected row's
// value added in order (so a lone −0 comes out +0).
func TestSumRowsBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{1, 8, 15, 16, 17, 33, 56, 63, 64, 100, 128, 130} {
		const srcRows, outRows = 9, 12
		src := make([]float32, srcRows*n)
		for i := range src {
			switch i % 5 {
			case 0:
				src[i] = float32(math.Copysign(0, -1))
			default:
				src[i] = float32(rng.NormFloat64()) * float32(math.Pow(10, float64(rng.IntN(8))))
			}
		}
		starts, rows := []int32{0}, []int32{}
		for r := range outRows {
			for range r % 4 { // 0 to 3 sources, repeats allowed
				rows = append(rows, int32(rng.IntN(srcRows)))
			}
			starts = append(starts, int32(len(rows)))
		}
		// Spare capacity past out, which SumRows must not write (a short
		// last block is stored masked through it).
		out := make([]float32, outRows*n+16)
		for i := range out {
			out[i] = float32(math.NaN()) // what SumRows must overwrite
		}
		spare := out[outRows*n:]
		out = out[:outRows*n]
		SumRows(out, src, n, starts, rows)
		for i, v := range spare {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("n %d: SumRows wrote %v at %d past the end of out", n, v, i)
			}
		}
		for r := range outRows {
			for q := range n {
				want := float32(0)
				for _, j := range rows[starts[r]:starts[r+1]] {
					want += src[int(j)*n+q]
				}
				if got := out[r*n+q]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("n %d, row %d, value %d: got %v (bits %#x), want %v (bits %#x)",
						n, r, q, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
		}
	}
}

func TestSumRowsPanicsOnShortOutput(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for 2 rows of 4 in 7 values")
		}
	}()
	SumRows(make([]float32, 7), make([]float32, 8), 4, []int32{0, 1, 2}, []int32{0, 1})
}
