package gan

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/compute/shapes"

	"github.com/ganbook/ganbook/internal/gemm"
)

// graphFLOPs counts the floating-point operations of g's products: 2 per
// multiply-add of every DotGeneral, ConvGeneral and FusedDense node (batch
// axes included). Element-wise ops are left out on purpose: the roofline
// compares the products against the GEMM's rate.
func graphFLOPs(g *graph.Graph) (int64, error) {
	var total int64
	for _, n := range g.Nodes() {
		if n == nil {
			continue
		}
		out := int64(n.Shape().Size())
		switch n.Type() {
		case graph.NodeTypeDotGeneral:
			// Each output element sums over the lhs's contracting axes.
			axes, err := intListField(n.String(), "lhsContractingAxes")
			if err != nil {
				return 0, err
			}
			lhs := n.Inputs()[0].Shape()
			k := int64(1)
			for _, a := range axes {
				k *= int64(lhs.Dimensions[a])
			}
			total += 2 * out * k
		case graph.NodeTypeConvGeneral:
			// Each output element sums over the kernel's window and input
			// channels: the kernel's size over its output channels.
			kernel := n.Inputs()[1].Shape()
			outCh, err := intField(n.String(), "KernelOutputChannels")
			if err != nil {
				return 0, err
			}
			total += 2 * out * int64(kernel.Size()) / int64(kernel.Dimensions[outCh])
		case graph.NodeTypeFusedDense:
			x := n.Inputs()[0].Shape()
			total += 2 * out * int64(x.Dimensions[x.Rank()-1])
		}
	}
	return total, nil
}

// intListField reads "name=[1 2]" from a node's description: GoMLX keeps a
// product's axes unexported and prints them there.
func intListField(desc, name string) ([]int, error) {
	m := regexp.MustCompile(name + `=\[([0-9 ]*)\]`).FindStringSubmatch(desc)
	if m == nil {
		return nil, fmt.Errorf("no %s in %q", name, desc)
	}
	var axes []int
	for _, f := range strings.Fields(m[1]) {
		a, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		axes = append(axes, a)
	}
	return axes, nil
}

func intField(desc, name string) (int, error) {
	m := regexp.MustCompile(name + `:([0-9]+)`).FindStringSubmatch(desc)
	if m == nil {
		return 0, fmt.Errorf("no %s in %q", name, desc)
	}
	return strconv.Atoi(m[1])
}

// iterationFLOPs counts one training iteration of tr: its D step's and its G
// step's graphs, compiled for the trainer's batch.
func iterationFLOPs(tr *Trainer) (int64, error) {
	b, latent := tr.cfg.Batch, tr.cfg.LatentDim
	real := shapes.Make(dtypes.Float32, b, ImageSize, ImageSize, 1)
	z := shapes.Make(dtypes.Float32, b, latent)
	dg, err := tr.dStep.Compile(real, z)
	if err != nil {
		return 0, fmt.Errorf("D step: %w", err)
	}
	gg, err := tr.gStep.Compile(z)
	if err != nil {
		return 0, fmt.Errorf("G step: %w", err)
	}
	df, err := graphFLOPs(dg)
	if err != nil {
		return 0, err
	}
	gf, err := graphFLOPs(gg)
	return df + gf, err
}

func TestGraphFLOPs(t *testing.T) {
	backend, err := NewBackend(testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		build func(x *graph.Node) *graph.Node
		in    []int
		want  int64
	}{
		// One dense layer x[8,5]·W[5,3]: 2·8·5·3 = 240.
		{"dense", func(x *graph.Node) *graph.Node {
			w := graph.Ones(x.Graph(), shapes.Make(dtypes.Float32, 5, 3))
			return graph.MatMul(x, w)
		}, []int{8, 5}, 240},
		// Two layers 8×5→3→2 plus an element-wise ReLU that is not counted:
		// 2·8·5·3 + 2·8·3·2 = 240 + 96 = 336.
		{"two layers", func(x *graph.Node) *graph.Node {
			w1 := graph.Ones(x.Graph(), shapes.Make(dtypes.Float32, 5, 3))
			w2 := graph.Ones(x.Graph(), shapes.Make(dtypes.Float32, 3, 2))
			h := graph.MatMul(x, w1)
			return graph.MatMul(graph.Max(h, graph.ZerosLike(h)), w2)
		}, []int{8, 5}, 336},
		// Batched product [4,6,7]·[4,7,2] contracting 7 over batch 4:
		// 2·4·6·2·7 = 672.
		{"batched", func(x *graph.Node) *graph.Node {
			y := graph.Ones(x.Graph(), shapes.Make(dtypes.Float32, 4, 7, 2))
			return graph.DotGeneral(x, []int{2}, []int{0}, y, []int{1}, []int{0})
		}, []int{4, 6, 7}, 672},
		// 3×3 convolution, 2→4 channels, on 1×6×6 with no padding: output
		// 1×4×4×4 = 64 elements, each 3·3·2 = 18 multiply-adds: 2·64·18 = 2304.
		{"conv", func(x *graph.Node) *graph.Node {
			k := graph.Ones(x.Graph(), shapes.Make(dtypes.Float32, 3, 3, 2, 4))
			return graph.Convolve(x, k).NoPadding().Done()
		}, []int{1, 6, 6, 2}, 2304},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graph.NewGraph(backend, tc.name)
			x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, tc.in...))
			if err := g.Compile(tc.build(x)); err != nil {
				t.Fatal(err)
			}
			got, err := graphFLOPs(g)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("graphFLOPs = %d, want %d", got, tc.want)
			}
		})
	}
}

// BenchmarkRoofline measures, in one run, the GEMM's rate on its largest
// product (128×512×784) and one training iteration of each model, and prints
// the iterations' product FLOPs as a fraction of that rate.
func BenchmarkRoofline(b *testing.B) {
	if !gemm.Available {
		b.Skip("no AVX-512F here: the GEMM peak would be the plain-Go kernel's")
	}
	peak := gemmPeak()
	b.Logf("GEMM peak 128x512x784: %.1f GFLOP/s", peak/1e9)
	fmt.Printf("gemm peak GFLOP/s %.1f\n", peak/1e9)
	for _, m := range []struct {
		arch  string
		batch int
	}{{ModelMLP, 128}, {ModelDCGAN, 64}} {
		cfg := DefaultConfig()
		cfg.Model, cfg.Batch, cfg.Steps = m.arch, m.batch, 1000
		cfg.DropoutD = 0
		backend, err := NewBackend(testWriter{b})
		if err != nil {
			b.Fatal(err)
		}
		tr, err := NewTrainer(backend, cfg, newSyntheticSource(4*m.batch, m.batch, 1), cfg.Steps, Options{})
		if err != nil {
			b.Fatal(err)
		}
		flops, err := iterationFLOPs(tr)
		if err != nil {
			b.Fatal(err)
		}
		for range 3 {
			if _, err := tr.TrainStep(); err != nil {
				b.Fatal(err)
			}
		}
		steps := make([]time.Duration, 0, 20)
		for range 20 {
			start := time.Now()
			if _, err := tr.TrainStep(); err != nil {
				b.Fatal(err)
			}
			steps = append(steps, time.Since(start))
		}
		slices.Sort(steps)
		med := steps[len(steps)/2].Seconds()
		rate := float64(flops) / med
		fmt.Printf("%s batch %d flops/iter %d median-ms %.2f GFLOP/s %.1f\n", m.arch, m.batch, flops, med*1e3, rate/1e9)
		fmt.Printf("fraction of GEMM peak %s %.3f\n", m.arch, rate/peak)
	}
	for range b.N {
	}
}

// gemmPeak is the best of several timings of the GEMM's largest product, in FLOP/s.
func gemmPeak() float64 {
	const m, n, k = 128, 512, 784
	rng := rand.New(rand.NewPCG(1, 2))
	a, bm, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = rng.Float32()
	}
	for i := range bm {
		bm[i] = rng.Float32()
	}
	best := time.Duration(1 << 62)
	for range 200 {
		start := time.Now()
		gemm.MatMul(false, a, bm, 1, m, n, k, c, runtime.GOMAXPROCS(0))
		best = min(best, time.Since(start))
	}
	return 2 * m * n * k / best.Seconds()
}
