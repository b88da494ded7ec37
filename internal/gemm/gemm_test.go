package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// reference is the triple loop in float64.
func reference(bTransposed bool, a, b []float32, batch, m, n, k int) []float64 {
	c := make([]float64, batch*m*n)
	for s := range batch {
		for i := range m {
			for j := range n {
				var sum float64
				for p := range k {
					bv := b[s*k*n+p*n+j]
					if bTransposed {
						bv = b[s*n*k+j*k+p]
					}
					sum += float64(a[s*m*k+i*k+p]) * float64(bv)
				}
				c[s*m*n+i*n+j] = sum
			}
		}
	}
	return c
}

func randomSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// kernels runs f once with each micro-kernel this build and CPU have: the
// assembly one (where Available) and the plain-Go one.
func kernels(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	if Available {
		t.Run("asm", f)
	}
	saved, savedN, savedT, savedG := microKernel, narrowKernel, transpose, gatherRows
	microKernel, narrowKernel, transpose, gatherRows = kernelGo, narrowKernelGo, transposeGo, gatherRowsGo
	defer func() { microKernel, narrowKernel, transpose, gatherRows = saved, savedN, savedT, savedG }()
	t.Run("go", f)
}

func TestMatMulMatchesFloat64(t *testing.T) { kernels(t, testMatMulMatchesFloat64) }

func testMatMulMatchesFloat64(t *testing.T) {
	shapes := []struct{ batch, m, n, k int }{
		{1, 1, 1, 1},
		{1, 8, 32, 1},
		{1, 7, 33, 5},      // edge tiles in both directions
		{1, 9, 31, 130},    // two contraction panels, the second partial
		{3, 17, 65, 256},   // batch, exactly two panels
		{1, 128, 784, 512}, // the MLP generator's output layer
		{1, 784, 512, 128}, // a weight gradient (split by rows)
		{4, 49, 64, 1024},
		{2, 200, 40, 300},
		{1, 13, 16, 300},   // one narrow panel, two contraction panels
		{2, 9, 5, 7},       // a narrow panel of 5 columns
		{1, 40, 48, 64},    // a whole panel then a narrow one
		{1, 12544, 16, 64}, // the DCGAN's last layer (16 = 4×4 kernel × 1 channel)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range shapes {
		for _, bT := range []bool{false, true} {
			for _, workers := range []int{1, 2, 3} {
				t.Run(fmt.Sprintf("%dx%dx%dx%d/T=%v/w=%d", sh.batch, sh.m, sh.n, sh.k, bT, workers), func(t *testing.T) {
					a := randomSlice(rng, sh.batch*sh.m*sh.k)
					b := randomSlice(rng, sh.batch*sh.k*sh.n)
					c := randomSlice(rng, sh.batch*sh.m*sh.n) // garbage the call must overwrite
					MatMul(false, bT, a, b, sh.batch, sh.m, sh.n, sh.k, c, workers)
					want := reference(bT, a, b, sh.batch, sh.m, sh.n, sh.k)
					// float32 summation of k products of N(0,1) values: error ~ eps·√k·|terms|.
					tol := 1e-6 * float64(sh.k)
					for i := range want {
						if d := math.Abs(float64(c[i]) - want[i]); d > tol+1e-6*math.Abs(want[i]) {
							t.Fatalf("c[%d] = %v, want %v (|diff| %g > %g)", i, c[i], want[i], d, tol)
						}
					}
				})
			}
		}
	}
}

func TestMatMulEmptyContractionZeroes(t *testing.T) {
	c := []float32{1, 2, 3, 4, 5, 6}
	MatMul(false, false, nil, nil, 1, 2, 3, 0, c, 2)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("c[%d] = %v after a product with k = 0, want 0", i, v)
		}
	}
}

func TestMatMulPanicsOnShortSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MatMul with a too short c did not panic")
		}
	}()
	MatMul(false, false, make([]float32, 6), make([]float32, 6), 1, 2, 2, 3, make([]float32, 3), 1)
}

// Every value of C is summed in the same order however the work is split, so
// the number of workers must not change a single bit (training is bitwise
// reproducible on one CPU type).
func TestMatMulSameBitsForAnyWorkerCount(t *testing.T) {
	kernels(t, testMatMulSameBitsForAnyWorkerCount)
}

func testMatMulSameBitsForAnyWorkerCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sh := range []struct{ batch, m, n, k int }{{1, 13, 70, 300}, {1, 128, 784, 512}, {1, 784, 512, 128}, {5, 7, 1792, 14}} {
		for _, bT := range []bool{false, true} {
			a, b := randomSlice(rng, sh.batch*sh.m*sh.k), randomSlice(rng, sh.batch*sh.k*sh.n)
			one := make([]float32, sh.batch*sh.m*sh.n)
			MatMul(false, bT, a, b, sh.batch, sh.m, sh.n, sh.k, one, 1)
			for _, workers := range []int{2, 3, 8} {
				c := make([]float32, len(one))
				MatMul(false, bT, a, b, sh.batch, sh.m, sh.n, sh.k, c, workers)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(one[i]) {
						t.Fatalf("%+v T=%v: %d workers give c[%d] = %v, 1 worker %v", sh, bT, workers, i, c[i], one[i])
					}
				}
			}
		}
	}
}

// MatMul's helpers may start late: their cores busy, or idle and slow to
// wake (20–55 µs on a virtual machine whose idle CPUs halt). The caller
// then does their share itself. A starter that holds every helper back until
// MatMul has returned must still give the product, the same bits as one
// worker; with helpers started at once, they must have been used.
func TestMatMulDoesNotWaitForLateHelpers(t *testing.T) {
	defer SetGo(nil)
	rng := rand.New(rand.NewPCG(9, 10))
	const batch, m, n, k = 1, 128, 512, 300
	a, b := randomSlice(rng, batch*m*k), randomSlice(rng, batch*k*n)
	one := make([]float32, batch*m*n)
	MatMul(false, false, a, b, batch, m, n, k, one, 1)
	sameBits := func(what string, c []float32) {
		t.Helper()
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(one[i]) {
				t.Fatalf("%s: c[%d] = %v, one worker %v", what, i, c[i], one[i])
			}
		}
	}

	var held []func()
	SetGo(func(task func()) { held = append(held, task) })
	c := make([]float32, len(one))
	MatMul(false, false, a, b, batch, m, n, k, c, 4)
	if len(held) == 0 {
		t.Fatal("MatMul with 4 workers started no helper")
	}
	sameBits("helpers held back", c)
	for _, task := range held { // they find nothing left to do
		task()
	}
	sameBits("helpers held back, then run", c)

	var started atomic.Int32
	SetGo(func(task func()) { started.Add(1); go task() })
	clear(c)
	MatMul(false, false, a, b, batch, m, n, k, c, 4)
	if started.Load() == 0 {
		t.Fatal("MatMul with 4 workers did not start its helpers with the installed starter")
	}
	sameBits("helpers started at once", c)
}

// Putting back what SetGo returned must put back the go statement as
// MatMul uses it, with the empty goroutine that moves its last helper out
// of the runnext slot (runShares), not a plain go statement.
func TestSetGoRestoresTheGoStatement(t *testing.T) {
	defer SetGo(nil)
	if !starter.Load().goStatement {
		t.Fatal("MatMul does not start its helpers with the go statement by default")
	}
	polling := func(task func()) { go task() }
	previous := SetGo(polling)
	if previous != nil {
		t.Fatal("SetGo returned a starter for the go statement; putting it back would lose runShares' empty goroutine")
	}
	if starter.Load().goStatement {
		t.Fatal("an installed starter is taken for the go statement")
	}
	if SetGo(previous) == nil {
		t.Fatal("SetGo did not return the installed starter it replaced")
	}
	if !starter.Load().goStatement {
		t.Fatal("SetGo(previous) did not put back the go statement")
	}
}

func TestInterleave8(t *testing.T) { kernels(t, testInterleave8) }

func testInterleave8(t *testing.T) {
	for _, kc := range []int{1, 7, 8, 9, 16, 29, 256} {
		for _, stride := range []int{8, 32} {
			var src [8][]float32
			for i := range src {
				if i == 5 {
					continue // a missing row reads as zeros
				}
				src[i] = make([]float32, kc)
				for p := range src[i] {
					src[i][p] = float32(1000*i + p + 1)
				}
			}
			dst := make([]float32, (kc-1)*stride+8)
			interleave8(dst, stride, &src, kc)
			for p := range kc {
				for i := range 8 {
					want := float32(1000*i + p + 1)
					if i == 5 {
						want = 0
					}
					if got := dst[p*stride+i]; got != want {
						t.Fatalf("kc %d stride %d: dst[%d*%d+%d] = %v, want %v", kc, stride, p, stride, i, got, want)
					}
				}
			}
		}
	}
}

// A matrix whose last rows do not fill a tile has them read in place along
// with the rows after it (the next matrix of the batch, or the slice's spare
// capacity); those rows must not reach c. Here they are NaN: every value of c
// must still be the triple loop's.
func TestMatMulEdgeRowsIgnoreWhatFollows(t *testing.T) {
	kernels(t, testMatMulEdgeRowsIgnoreWhatFollows)
}

func testMatMulEdgeRowsIgnoreWhatFollows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	nan := float32(math.NaN())
	for _, sh := range []struct{ batch, m, n, k int }{{1, 7, 32, 14}, {1, 13, 70, 300}, {3, 5, 64, 28}, {2, 1, 40, 9}} {
		for _, bT := range []bool{false, true} {
			// a's backing array: the batch, then 8 rows of NaN as spare capacity.
			mem := randomSlice(rng, sh.batch*sh.m*sh.k+8*sh.k)
			for i := sh.batch * sh.m * sh.k; i < len(mem); i++ {
				mem[i] = nan
			}
			a := mem[:sh.batch*sh.m*sh.k]
			b := randomSlice(rng, sh.batch*sh.k*sh.n)
			want := reference(bT, a, b, sh.batch, sh.m, sh.n, sh.k)
			// The batch with each matrix's successor NaN: compute matrix s alone,
			// on a batch where matrix s+1 (if any) is all NaN.
			for s := range sh.batch {
				one := make([]float32, 2*sh.m*sh.k+8*sh.k)
				copy(one, a[s*sh.m*sh.k:(s+1)*sh.m*sh.k])
				for i := sh.m * sh.k; i < len(one); i++ {
					one[i] = nan
				}
				c := make([]float32, sh.m*sh.n)
				MatMul(false, bT, one[:sh.m*sh.k], b[s*sh.k*sh.n:(s+1)*sh.k*sh.n], 1, sh.m, sh.n, sh.k, c, 2)
				for i, v := range c {
					w := want[s*sh.m*sh.n+i]
					if !(math.Abs(float64(v)-w) <= 1e-4*(1+math.Abs(w))) {
						t.Fatalf("%+v T=%v matrix %d alone: c[%d] = %v, want %v", sh, bT, s, i, v, w)
					}
				}
			}
			c := make([]float32, sh.batch*sh.m*sh.n)
			MatMul(false, bT, a, b, sh.batch, sh.m, sh.n, sh.k, c, 2)
			for i, v := range c {
				if !(math.Abs(float64(v)-want[i]) <= 1e-4*(1+math.Abs(want[i]))) {
					t.Fatalf("%+v T=%v: c[%d] = %v, want %v", sh, bT, i, v, want[i])
				}
			}
		}
	}
}

// The kernel stores only the rows of a last, partial block of rows: what
// follows c in memory (here spare capacity holding a sentinel) is left as it
// was, whichever layouts the operands have.
func TestMatMulWritesNothingPastC(t *testing.T) { kernels(t, testMatMulWritesNothingPastC) }

func testMatMulWritesNothingPastC(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const sentinel = float32(-12345)
	for _, sh := range []struct{ batch, m, n, k int }{{1, 7, 32, 14}, {2, 7, 64, 14}, {1, 13, 96, 300}, {3, 5, 70, 9}, {1, 13, 16, 300}, {2, 5, 11, 9}} {
		for _, aT := range []bool{false, true} {
			for _, bT := range []bool{false, true} {
				a := randomSlice(rng, sh.batch*sh.m*sh.k)
				b := randomSlice(rng, sh.batch*sh.k*sh.n)
				mem := make([]float32, sh.batch*sh.m*sh.n+8*sh.n)
				for i := range mem {
					mem[i] = sentinel
				}
				MatMul(aT, bT, a, b, sh.batch, sh.m, sh.n, sh.k, mem[:sh.batch*sh.m*sh.n], 2)
				for i := sh.batch * sh.m * sh.n; i < len(mem); i++ {
					if mem[i] != sentinel {
						t.Fatalf("%+v aT=%v bT=%v: the value %d past c was overwritten with %v", sh, aT, bT, i-sh.batch*sh.m*sh.n, mem[i])
					}
				}
			}
		}
	}
}

// transposeBatch returns x [batch, rows, cols] as [batch, cols, rows].
func transposeBatch(x []float32, batch, rows, cols int) []float32 {
	t := make([]float32, len(x))
	for s := range batch {
		for i := range rows {
			for j := range cols {
				t[s*rows*cols+j*rows+i] = x[s*rows*cols+i*cols+j]
			}
		}
	}
	return t
}

// The layout of an operand changes where the kernel reads it, never the
// order of a sum: a product with a or b stored transposed gives the same
// bits as with both stored plainly (whose values the float64 test checks),
// so a graph may pick either layout without moving a trained result.
func TestMatMulSameBitsForEveryLayout(t *testing.T) { kernels(t, testMatMulSameBitsForEveryLayout) }

func testMatMulSameBitsForEveryLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	shapes := []struct{ batch, m, n, k int }{
		{1, 8, 32, 1},
		{1, 7, 33, 5},      // edge tiles both ways
		{1, 13, 70, 300},   // edges, two panels
		{3, 17, 65, 256},   // batch
		{1, 784, 512, 128}, // the MLP's weight gradient aᵀ·b
		{1, 128, 784, 512}, // v·Wᵀ of D's first layer: computed as (W·vᵀ)ᵀ
		{1, 64, 16, 3136},  // a convolution's kernel gradient (k ≫ m, n)
		{2, 11, 9, 300},    // a narrow panel narrower than 16, edge rows
		{1, 24, 48, 40},    // a whole panel and a narrow one
		{448, 14, 64, 28},  // the DCGAN's row selections
	}
	for _, sh := range shapes {
		a := randomSlice(rng, sh.batch*sh.m*sh.k)
		b := randomSlice(rng, sh.batch*sh.k*sh.n)
		aT := transposeBatch(a, sh.batch, sh.m, sh.k)
		bT := transposeBatch(b, sh.batch, sh.k, sh.n)
		plain := make([]float32, sh.batch*sh.m*sh.n)
		MatMul(false, false, a, b, sh.batch, sh.m, sh.n, sh.k, plain, 1)
		for _, layout := range []struct{ aT, bT bool }{{true, false}, {false, true}, {true, true}} {
			for _, workers := range []int{1, 2, 3} {
				x, y := a, b
				if layout.aT {
					x = aT
				}
				if layout.bT {
					y = bT
				}
				c := randomSlice(rng, len(plain)) // garbage the call must overwrite
				MatMul(layout.aT, layout.bT, x, y, sh.batch, sh.m, sh.n, sh.k, c, workers)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(plain[i]) {
						t.Fatalf("%+v aᵀ=%v bᵀ=%v, %d workers: c[%d] = %v, plain layout %v",
							sh, layout.aT, layout.bT, workers, i, c[i], plain[i])
					}
				}
			}
		}
	}
}

// A panel of at most narrowCols columns goes through the narrow kernel, the
// same chain of multiply-adds per value as the whole tile it replaces, and an
// Aᵀ·B that narrow is computed transposed, each value the same sum: the
// products must keep the whole tiles' bits, in every layout, and leave the
// columns of c beside the panel (the next matrix's first values, or a wider
// c's other columns) as they were.
func TestMatMulNarrowOutputsSameBitsAsWholeTiles(t *testing.T) {
	kernels(t, testMatMulNarrowOutputsSameBitsAsWholeTiles)
}

func testMatMulNarrowOutputsSameBitsAsWholeTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := []struct{ batch, m, n, k int }{
		{1, 8, 16, 1},
		{1, 9, 1, 3},      // one column
		{3, 13, 15, 300},  // edge rows, two contraction panels
		{2, 40, 48, 64},   // a whole panel then a 16-wide one
		{1, 64, 16, 3136}, // a convolution's kernel gradient
		{1, 700, 16, 64},  // the DCGAN's last layer, fewer rows
		{1, 100, 80, 64},  // two whole panels and a 16-wide one, split by rows
		{1, 16, 80, 64},   // the same split by columns: the narrow panel on one worker
		{1, 17, 200, 30},  // 200 = 6×32 + 8
	}
	for _, sh := range shapes {
		for _, layout := range []struct{ aT, bT bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, workers := range []int{1, 2} {
				a := randomSlice(rng, sh.batch*sh.m*sh.k)
				b := randomSlice(rng, sh.batch*sh.k*sh.n)
				whole := make([]float32, sh.batch*sh.m*sh.n)
				narrowOutputs = false
				MatMul(layout.aT, layout.bT, a, b, sh.batch, sh.m, sh.n, sh.k, whole, workers)
				narrowOutputs = true
				c := randomSlice(rng, len(whole)) // garbage the call must overwrite
				MatMul(layout.aT, layout.bT, a, b, sh.batch, sh.m, sh.n, sh.k, c, workers)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(whole[i]) {
						t.Fatalf("%+v aᵀ=%v bᵀ=%v, %d workers: c[%d] = %v with the narrow kernel, %v with whole tiles",
							sh, layout.aT, layout.bT, workers, i, c[i], whole[i])
					}
				}
			}
		}
	}
}
