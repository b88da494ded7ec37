package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// selectionMatrix is a batch of m×k matrices of zeros and ones, row i of
// matrix s selecting ones[(s·m+i) mod len(ones)] columns at random (none: a
// zero-padding row; several: a col2im row summing overlapping windows).
func selectionMatrix(rng *rand.Rand, batch, m, k int, ones []int) []float32 {
	a := make([]float32, batch*m*k)
	for r := range batch * m {
		for _, j := range rng.Perm(k)[:min(k, ones[r%len(ones)])] {
			a[r*k+j] = 1
		}
	}
	return a
}

// withSums runs f with MatMul's sums of selected rows switched on or off.
func withSums(on bool, f func()) {
	saved := sumSelections
	sumSelections = on
	defer func() { sumSelections = saved }()
	f()
}

// A selection's product summed row by row has the micro-kernel's bits: the
// same sums in the same order, zeros included (+0 + −0 is +0, so a selected
// −0 comes out +0 both ways).
func TestSelectionSumsSameBitsAsMultiplying(t *testing.T) {
	kernels(t, testSelectionSumsSameBitsAsMultiplying)
}

func testSelectionSumsSameBitsAsMultiplying(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := []struct{ batch, m, n, k int }{
		{1, 1, 1, 1},
		{3, 7, 33, 5},     // edge tiles both ways
		{1, 5, 1, 10},     // n = 1: a one-value row
		{1, 16, 40, 3},    // n not a multiple of 16: the vector loop's tail
		{1, 300, 48, 60},  // more than one block of rows
		{2, 8, 64, 255},   // one short of a panel
		{2, 9, 17, 256},   // one whole panel
		{448, 14, 64, 28}, // the DCGAN's col2im column selections
		{64, 7, 1792, 14}, // its im2col row selections
		{16, 28, 64, 14},  // its im2col column selections
		{2, 14, 896, 29},  // col2im's rows, with the bias row
	}
	for _, sh := range shapes {
		a := selectionMatrix(rng, sh.batch, sh.m, sh.k, []int{1, 0, 2, 3, 1, 5, sh.k})
		b := randomSlice(rng, sh.batch*sh.k*sh.n)
		for i := 0; i < len(b); i += 7 {
			b[i] = float32(math.Copysign(0, -1)) // −0: the sums must give what 0·x + … gives
		}
		for i := 3; i < len(b); i += 11 {
			b[i] = 0
		}
		var multiplied, summed []float32
		withSums(false, func() {
			multiplied = randomSlice(rng, sh.batch*sh.m*sh.n)
			MatMul(false, false, a, b, sh.batch, sh.m, sh.n, sh.k, multiplied, 2)
		})
		withSums(true, func() {
			summed = randomSlice(rng, sh.batch*sh.m*sh.n) // garbage the call must overwrite
			MatMul(false, false, a, b, sh.batch, sh.m, sh.n, sh.k, summed, 2)
		})
		for i := range summed {
			if math.Float32bits(summed[i]) != math.Float32bits(multiplied[i]) {
				t.Fatalf("%+v: c[%d] summed %v (bits %#x), multiplied %v (bits %#x)",
					sh, i, summed[i], math.Float32bits(summed[i]), multiplied[i], math.Float32bits(multiplied[i]))
			}
		}
	}
}

// MatMul takes the sums only for what they compute exactly as the
// micro-kernel does: a row-major A of zeros and ones, one contraction panel.
// A NaN in an unselected row of B tells which way it went: multiplied by 0
// it spreads to the whole column, summed it stays out.
func TestMatMulSumsOnlySelections(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const m, n = 6, 40
	cases := []struct {
		name       string
		batch, k   int
		aT         bool
		lastA      float32 // the last value of A
		wantSummed bool
	}{
		{"selection", 1, 20, false, 0, true},
		{"batch of selections", 3, 20, false, 0, true},
		{"selection of a whole panel", 1, panelDepth, false, 0, true},
		{"two panels", 1, panelDepth + 1, false, 0, false},
		{"a 0.5 at the end", 1, 20, false, 0.5, false},
		{"a 0.5 at the end of a batch", 3, 20, false, 0.5, false},
		{"a NaN at the end", 1, 20, false, float32(math.NaN()), false},
		{"A stored transposed", 1, 20, true, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := selectionMatrix(rng, tc.batch, m, tc.k, []int{1})
			// Nothing selects row k−1 of B, except the last value of A.
			for i := range tc.batch * m {
				a[i*tc.k+tc.k-1] = 0
			}
			a[len(a)-1] = tc.lastA
			b := randomSlice(rng, tc.batch*tc.k*n)
			b[(tc.k-1)*n] = float32(math.NaN())
			x := a
			if tc.aT {
				x = transposeBatch(a, tc.batch, m, tc.k)
			}
			c := make([]float32, tc.batch*m*n)
			MatMul(tc.aT, false, x, b, tc.batch, m, n, tc.k, c, 2)
			if summed := !math.IsNaN(float64(c[0])); summed != tc.wantSummed {
				t.Fatalf("c[0] = %v: summed %v, want %v", c[0], summed, tc.wantSummed)
			}
			want := reference(false, a, b, tc.batch, m, n, tc.k)
			for i := range c {
				if !tc.wantSummed && i%n == 0 {
					continue // the NaN column
				}
				if math.Abs(float64(c[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("c[%d] = %v, want %v", i, c[i], want[i])
				}
			}
		})
	}
}

// BenchmarkSelectionSums times the DCGAN's im2col and col2im selections as
// MatMul runs them (their selected rows summed, on the caller and one helper
// above 64K values) and multiplied by the micro-kernel on all cores, in the
// same run:
//
//	GOEXPERIMENT=simd go test -run '^$' -bench SelectionSums ./internal/gemm/
func BenchmarkSelectionSums(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	shapes := []struct {
		batch, m, n, k int
		ones           int // per row: 1 for im2col, 2 where col2im's windows overlap
	}{
		{448, 14, 64, 28, 2}, // col2im's column selections
		{64, 7, 1792, 14, 1}, // im2col's row selections
		{896, 28, 64, 14, 1}, // im2col's column selections
		{64, 14, 896, 28, 2}, // col2im's row selections
		{64, 14, 56, 28, 2},  // the same for the image layer
	}
	for _, sh := range shapes {
		a := selectionMatrix(rng, 1, sh.m, sh.k, []int{sh.ones})
		for range sh.batch - 1 { // one matrix for the whole batch, as gan/blocks builds them
			a = append(a, a[:sh.m*sh.k]...)
		}
		bm := randomSlice(rng, sh.batch*sh.k*sh.n)
		c := make([]float32, sh.batch*sh.m*sh.n)
		flops := 2 * float64(sh.batch*sh.m*sh.n*sh.k)
		for _, sums := range []bool{true, false} {
			name := fmt.Sprintf("%dx%dx%dx%d/multiplied", sh.batch, sh.m, sh.n, sh.k)
			if sums {
				name = fmt.Sprintf("%dx%dx%dx%d/summed", sh.batch, sh.m, sh.n, sh.k)
			}
			b.Run(name, func(b *testing.B) {
				withSums(sums, func() {
					for range b.N {
						MatMul(false, false, a, bm, sh.batch, sh.m, sh.n, sh.k, c, runtime.GOMAXPROCS(0))
					}
				})
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s-equivalent")
			})
		}
	}
}

// SumSelections sums a selection's rows over the whole contraction in one
// pass, in order from +0, whatever k (MatMul's micro-kernel sums panels of
// 256 and adds them): the plain loop's bits, for any number of workers, for
// a row of ones (taken without a scan) as for any other.
func TestSumSelectionsSumsTheContractionInOnePass(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, sh := range []struct {
		batch, m, n, k int
		ones           []int // per row, as selectionMatrix takes them; nil: k, k/2, 1, 0
	}{
		{1, 1, 128, 3136, nil},      // a batch norm's sum over 64·7·7 rows: a row of ones
		{1, 1, 64, 12544, nil},      // over 64·14·14
		{1, 1, 6272, 64, nil},       // a dense layer's bias gradient
		{1, 1, 96, 500, []int{499}}, // one row, all ones but one
		{1, 1, 96, 500, []int{250}}, // one row, half ones
		{1, 3, 48, 700, nil},        // three rows
		{2, 2, 160, 300, nil},       // a batch
		{2, 1, 64, 300, nil},        // a batch of rows of ones
		{1, 1, 200, 5, nil},         // n not a multiple of 16
	} {
		pattern := sh.ones
		if pattern == nil {
			pattern = []int{sh.k, sh.k / 2, 1, 0}
		}
		a := selectionMatrix(rng, sh.batch, sh.m, sh.k, pattern)
		b := randomSlice(rng, sh.batch*sh.k*sh.n)
		want := make([]float32, sh.batch*sh.m*sh.n)
		for s := range sh.batch {
			for i := range sh.m {
				for j := range sh.n {
					var sum float32
					for p := range sh.k {
						if a[(s*sh.m+i)*sh.k+p] == 1 {
							sum += b[(s*sh.k+p)*sh.n+j]
						}
					}
					want[(s*sh.m+i)*sh.n+j] = sum
				}
			}
		}
		for _, workers := range []int{1, 2, 3} {
			c := randomSlice(rng, len(want)) // garbage the call must overwrite
			if !SumSelections(a, b, sh.batch, sh.m, sh.n, sh.k, c, workers) {
				t.Fatalf("%+v: SumSelections refused a selection", sh)
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v, %d workers: c[%d] = %v, the plain loop %v", sh, workers, i, c[i], want[i])
				}
			}
		}
	}
}

func TestSumSelectionsRefusesOtherValues(t *testing.T) {
	a := []float32{1, 0, 1, 0.5}
	c := []float32{7, 7}
	if SumSelections(a, []float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 2, 4, c, 2) {
		t.Fatal("SumSelections took an A holding 0.5")
	}
	if c[0] != 7 || c[1] != 7 {
		t.Fatalf("SumSelections wrote %v after refusing", c)
	}
}
