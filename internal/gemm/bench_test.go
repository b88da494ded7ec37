package gemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// The matrix products of one MLP GAN iteration (batch 128) and two of the
// DCGAN's, timed here and through the go backend's own DotGeneral (the
// "gomlx" variants: graph execution overhead included, a few µs):
//
//	GOEXPERIMENT=simd go test -run '^$' -bench MatMul ./internal/gemm/
var benchShapes = []struct {
	batch, m, n, k           int
	bTransposed, aTransposed bool
}{
	{1, 128, 512, 784, false, false}, // D's first layer
	{1, 128, 784, 512, false, false}, // G's output layer
	{1, 128, 784, 512, true, false},  // ∂x of D's first layer: v·Wᵀ
	{1, 64, 784, 512, true, false},   // the same for half a batch (the G step's halves)
	{1, 64, 512, 784, true, false},   // ∂h of G's output layer, half a batch: v·Wᵀ
	{1, 64, 512, 256, true, false},   // ∂x of D's second layer, half a batch
	{1, 64, 256, 512, true, false},   // ∂h of G's second layer, half a batch
	{1, 784, 512, 128, false, false}, // ∂W of D's first layer: xᵀ·v, x row-major
	{1, 784, 512, 128, false, true},  // the same as the go backend hands it: xᵀ read from x [128, 784]
	{1, 128, 256, 512, false, false},
	{1, 128, 128, 256, false, false},
	{1, 3136, 128, 256, false, false}, // DCGAN convolutions as matmuls
	{1, 128, 256, 3136, false, false},
	{1, 256, 128, 3136, false, true}, // a DCGAN kernel gradient: patchesᵀ·v
	{1, 3136, 256, 128, true, false},
	{448, 14, 64, 28, false, false}, // the DCGAN's row selections
	{896, 28, 64, 14, false, false},
	{64, 14, 896, 28, false, false},
	{64, 7, 1792, 14, false, false},
	{1, 12544, 64, 1, false, false}, // a broadcast written as a product
	{1, 1, 512, 128, false, false},  // a sum over the batch written as a product
}

func BenchmarkMatMul(b *testing.B) {
	if !Available {
		b.Skip("no AVX-512F on this CPU: MatMul runs its plain-Go kernel, not worth timing against GoMLX's")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var backend compute.Backend
	for _, sh := range benchShapes {
		name := fmt.Sprintf("%dx%dx%d", sh.m, sh.n, sh.k)
		if sh.batch > 1 {
			name = fmt.Sprintf("%dx", sh.batch) + name
		}
		if sh.bTransposed {
			name += "T"
		}
		if sh.aTransposed {
			name = "T" + name
		}
		a, bm := randomSlice(rng, sh.batch*sh.m*sh.k), randomSlice(rng, sh.batch*sh.k*sh.n)
		c := make([]float32, sh.batch*sh.m*sh.n)
		flops := 2 * float64(sh.batch*sh.m*sh.n*sh.k)
		b.Run(name+"/ganbook", func(b *testing.B) {
			for range b.N {
				MatMul(sh.aTransposed, sh.bTransposed, a, bm, sh.batch, sh.m, sh.n, sh.k, c, runtime.GOMAXPROCS(0))
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/gomlx", func(b *testing.B) {
			if backend == nil {
				var err error
				if backend, err = gobackend.New(""); err != nil {
					b.Fatal(err)
				}
			}
			bDims := []int{sh.batch, sh.k, sh.n}
			if sh.bTransposed {
				bDims = []int{sh.batch, sh.n, sh.k}
			}
			aDims, aContract := []int{sh.batch, sh.m, sh.k}, 2
			if sh.aTransposed {
				aDims, aContract = []int{sh.batch, sh.k, sh.m}, 1
			}
			at := tensors.FromFlatDataAndDimensions(a, aDims...)
			bt := tensors.FromFlatDataAndDimensions(bm, bDims...)
			exec := graph.MustNewExec(backend, func(x, y *graph.Node) *graph.Node {
				contract := 1
				if sh.bTransposed {
					contract = 2
				}
				return graph.DotGeneral(x, []int{aContract}, []int{0}, y, []int{contract}, []int{0})
			})
			exec.MustCall(at, bt)[0].FinalizeAll()
			b.ResetTimer()
			for range b.N {
				exec.MustCall(at, bt)[0].FinalizeAll()
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkHelperStart times how long MatMul's helper takes to start when
// the other core has been idle for 0.2 ms (its OS thread asleep): the
// µs-to-start metric is when the helper's share began, or when the caller,
// busy for 0.3 ms with its own, took it over. "go" starts the helper with a
// plain go statement, which leaves it in the caller's P's runnext slot: the
// woken P steals it from there only after a 3 µs sleep, 50–100 µs on a
// virtual machine. "go+empty" is MatMul's own starter, which then starts an
// empty goroutine to move the helper to the run queue.
func BenchmarkHelperStart(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs 2 cores")
	}
	spin := func(d time.Duration) {
		for start := time.Now(); time.Since(start) < d; {
		}
	}
	for _, starter := range []struct {
		name  string
		start func(task func())
	}{
		{"go", func(task func()) { go task() }},
		{"go+empty", nil},
	} {
		b.Run(starter.name, func(b *testing.B) {
			defer SetGo(SetGo(starter.start))
			var total time.Duration
			for range b.N {
				spin(200 * time.Microsecond) // let the other core's thread sleep
				var helperStart time.Duration
				t0 := time.Now()
				runShares(2, func(i int) {
					if i == 1 {
						helperStart = time.Since(t0)
						return
					}
					spin(300 * time.Microsecond) // busy here, so the helper needs the other core
				})
				total += helperStart
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-to-start")
		})
	}
}

// BenchmarkNarrowOutputs times the DCGAN's products whose C is 16 columns
// wide (a 4×4 kernel over one channel) as MatMul computes them (the narrow
// kernel; Aᵀ·B transposed) and with whole 8×32 tiles, half of whose
// multiply-adds are padding:
//
//	GOEXPERIMENT=simd go test -run '^$' -bench NarrowOutputs ./internal/gemm/
func BenchmarkNarrowOutputs(b *testing.B) {
	if !Available {
		b.Skip("no AVX-512F on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range []struct {
		m, n, k                  int
		aTransposed, bTransposed bool
	}{
		{12544, 16, 64, false, true}, // G's last layer: patches·Wᵀ, before col2im
		{64, 16, 12544, true, false}, // D's first kernel gradient: vᵀ·patches
		{40, 48, 640, false, false},  // a whole panel and a narrow one
	} {
		a, bm := randomSlice(rng, sh.m*sh.k), randomSlice(rng, sh.k*sh.n)
		c := make([]float32, sh.m*sh.n)
		name := fmt.Sprintf("%dx%dx%d", sh.m, sh.n, sh.k)
		if sh.aTransposed {
			name = "T" + name
		}
		if sh.bTransposed {
			name += "T"
		}
		for _, narrow := range []bool{true, false} {
			variant := "narrow"
			if !narrow {
				variant = "whole-tiles"
			}
			b.Run(name+"/"+variant, func(b *testing.B) {
				defer func(saved bool) { narrowOutputs = saved }(narrowOutputs)
				narrowOutputs = narrow
				for range b.N {
					MatMul(sh.aTransposed, sh.bTransposed, a, bm, 1, sh.m, sh.n, sh.k, c, runtime.GOMAXPROCS(0))
				}
				b.ReportMetric(2*float64(sh.m*sh.n*sh.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkColdOperands times products of both GANs with their operands hot
// (the same product just before) and cold (a 64 MB sweep just before, what
// a training step's products mostly meet: its tensors outgrow the caches).
// The micro-kernel prefetches the tile of C it will write and, 64
// contraction steps ahead, the rows of A it reads, for the cold case:
//
//	GOEXPERIMENT=simd go test -run '^$' -bench ColdOperands -benchtime 300x ./internal/gemm/
func BenchmarkColdOperands(b *testing.B) {
	if !Available {
		b.Skip("no AVX-512F on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sweep := make([]float32, 16<<20)
	for _, sh := range []struct {
		m, n, k                  int
		aTransposed, bTransposed bool
	}{
		{128, 512, 784, false, false},  // D's first layer (MLP)
		{784, 512, 128, true, false},   // its weight gradient
		{3136, 128, 256, false, false}, // a DCGAN convolution as a matmul
		{3136, 256, 128, false, false}, // another, contracting 128
	} {
		a, bm := randomSlice(rng, sh.m*sh.k), randomSlice(rng, sh.k*sh.n)
		c := make([]float32, sh.m*sh.n)
		name := fmt.Sprintf("%dx%dx%d", sh.m, sh.n, sh.k)
		if sh.aTransposed {
			name = "T" + name
		}
		for _, cold := range []bool{false, true} {
			variant := "hot"
			if cold {
				variant = "cold"
			}
			b.Run(name+"/"+variant, func(b *testing.B) {
				for range b.N {
					if cold {
						b.StopTimer()
						for i := range sweep {
							sweep[i]++
						}
						b.StartTimer()
					}
					MatMul(sh.aTransposed, sh.bTransposed, a, bm, 1, sh.m, sh.n, sh.k, c, runtime.GOMAXPROCS(0))
				}
				b.ReportMetric(2*float64(sh.m*sh.n*sh.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
