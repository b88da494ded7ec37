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
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/internal/gemm"
)

// graphFLOPs counts the floating-point operations of all g's products: 2 per
// multiply-add of every DotGeneral, ConvGeneral and FusedDense node (batch
// axes included). Element-wise ops are left out on purpose: the roofline
// compares the products against the GEMM's rate.
func graphFLOPs(g *graph.Graph) (int64, error) { return nodesFLOPs(g.Nodes()) }

// nodesFLOPs is graphFLOPs over a list of nodes.
func nodesFLOPs(nodes []*graph.Node) (int64, error) {
	var total int64
	for _, n := range nodes {
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
// step's products, over the nodes their outputs depend on (the go backend runs
// only those; autodiff leaves unused gradient nodes in the graph).
func iterationFLOPs(tr *Trainer) (int64, error) {
	var total int64
	for _, step := range iterationGraphs(tr) {
		exec, err := step.build(tr)
		if err != nil {
			return 0, err
		}
		if _, err := exec.Compile(step.inputs...); err != nil {
			return 0, fmt.Errorf("%s: %w", step.name, err)
		}
		f, err := productFLOPs(*step.outputs)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", step.name, err)
		}
		total += f
	}
	return total, nil
}

type stepGraph struct {
	name    string
	inputs  []shapes.Shape
	build   func(tr *Trainer) (*model.Exec, error)
	outputs *[]*graph.Node // filled by build: its results and changed variables
}

// iterationGraphs mirrors the unconditional D and G steps of buildExecs,
// recording each graph's outputs (model.Exec keeps them to itself).
// TestIterationGraphsMirrorTrainer checks the mirror against the trainer's graphs.
func iterationGraphs(tr *Trainer) []stepGraph {
	arch := tr.arch
	b, latent := tr.cfg.Batch, tr.cfg.LatentDim
	real := shapes.Make(dtypes.Float32, b, ImageSize, ImageSize, 1)
	z := shapes.Make(dtypes.Float32, b, latent)
	var dOut, gOut []*graph.Node
	withChanged := func(s *model.Scope, results []*graph.Node) []*graph.Node {
		g := results[0].Graph()
		out := slices.Clone(results)
		for v := range s.Store().IterVariables() {
			if v.ChangedInGraph(g) {
				out = append(out, v.NodeValue(g))
			}
		}
		return out
	}
	return []stepGraph{
		{"D step", []shapes.Shape{real, z}, func(tr *Trainer) (*model.Exec, error) {
			return model.NewExec(tr.backend, tr.store, func(s *model.Scope, real, z *graph.Node) []*graph.Node {
				store := s.Store()
				fake := graph.StopGradient(arch.Generator(store.Scope(GeneratorScope), z, Frozen))
				disc := store.Scope(DiscriminatorScope)
				realLogits := arch.Discriminator(disc, real, Training)
				fakeLogits := arch.Discriminator(disc, fake, Training)
				dLoss := tr.discriminatorLoss(realLogits, fakeLogits)
				grads := tr.adamD.gradientsGraph(dLoss)
				res := append([]*graph.Node{dLoss, graph.ReduceAllMean(graph.Sigmoid(realLogits)), graph.ReduceAllMean(graph.Sigmoid(fakeLogits))}, grads...)
				dOut = withChanged(s, res)
				return res
			})
		}, &dOut},
		{"G step", []shapes.Shape{z}, func(tr *Trainer) (*model.Exec, error) {
			return model.NewExec(tr.backend, tr.store, func(s *model.Scope, z *graph.Node) []*graph.Node {
				store := s.Store()
				gen := store.Scope(GeneratorScope)
				disc := store.Scope(DiscriminatorScope)
				fakeLogits := inHalves(arch, z, func(z *graph.Node) *graph.Node {
					return arch.Discriminator(disc, arch.Generator(gen, z, Training), Frozen)
				})
				gLoss := tr.generatorLoss(fakeLogits)
				res := append([]*graph.Node{gLoss}, tr.adamG.gradientsGraph(gLoss)...)
				gOut = withChanged(s, res)
				return res
			})
		}, &gOut},
	}
}

// productFLOPs counts the products that outputs depend on.
func productFLOPs(outputs []*graph.Node) (int64, error) {
	seen := map[*graph.Node]bool{}
	var live []*graph.Node
	var visit func(n *graph.Node)
	visit = func(n *graph.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		live = append(live, n)
		for _, in := range n.Inputs() {
			visit(in)
		}
	}
	for _, o := range outputs {
		visit(o)
	}
	return nodesFLOPs(live)
}

// TestIterationGraphsMirrorTrainer checks that iterationGraphs builds the
// trainer's graphs: same node count and output shapes for both models.
func TestIterationGraphsMirrorTrainer(t *testing.T) {
	for _, arch := range []string{ModelMLP, ModelDCGAN} {
		t.Run(arch, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Model, cfg.Batch, cfg.Steps = arch, 8, 1
			backend, err := NewBackend(testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			tr, err := NewTrainer(backend, cfg, newSyntheticSource(16, 8, 1), 1, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i, step := range iterationGraphs(tr) {
				trainerExec := []*model.Exec{tr.dStep, tr.gStep}[i]
				want, err := trainerExec.Compile(step.inputs...)
				if err != nil {
					t.Fatal(err)
				}
				exec, err := step.build(tr)
				if err != nil {
					t.Fatal(err)
				}
				got, err := exec.Compile(step.inputs...)
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Nodes()) != len(want.Nodes()) {
					t.Errorf("%s: %d nodes, the trainer's has %d", step.name, len(got.Nodes()), len(want.Nodes()))
				}
				if g, w := fmt.Sprint(got.Executable().Outputs()), fmt.Sprint(want.Executable().Outputs()); g != w {
					t.Errorf("%s: outputs %s, the trainer's %s", step.name, g, w)
				}
				if len(*step.outputs) != len(want.Executable().Outputs()) {
					t.Errorf("%s: recorded %d outputs, the graph has %d", step.name, len(*step.outputs), len(want.Executable().Outputs()))
				}
			}
		})
	}
}

// TestIterationFLOPsMLP checks the MLP's count against a hand count.
// Multiply-adds per sample: G (100→128→256→512→784) forward is
// 12800+32768+131072+401408 = 578048; D (784→512→256→128→1) forward is
// 401408+131072+32768+128 = 565376.
// D step: G forward 578048, D forward on real and fake 2·565376, D backward on
// both: weight gradients 565376 and input gradients without the first
// layer's 565376−401408 = 163968, so 2·729344. Sum 3167488.
// G step: G forward 578048, D forward 565376, D input gradients (all layers,
// D frozen) 565376, G weight gradients 578048, G input gradients without
// the first layer's 578048−12800 = 565248. Sum 2852096.
// blocks.Dense also writes its bias gradient as a product, the sum
// ones[1,B]·v[B,w] (w per sample and layer), and, on a backend that does not
// broadcast rows in place (blocks.rowOperand), its bias as the product
// ones[B,1]·b[1,w]. Widths: G 128+256+512+784 = 1680, D 512+256+128+1 = 897.
// Sums: D step 2·897, G step G 1680: 3474.
// Broadcasts: D step G 1680 + D 2·897, G step G 1680 + D 897: 6051.
// Iteration: 2·batch·(3167488+2852096+3474) FLOPs, batch 8: 96368928, plus
// 2·8·6051 = 96816 for the broadcasts: 96465744.
func TestIterationFLOPsMLP(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model, cfg.Batch, cfg.Steps, cfg.DropoutD = ModelMLP, 8, 1, 0
	backend, err := NewBackend(testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(16, 8, 1), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := iterationFLOPs(tr)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(96368928)
	// Every bias here is 1 or at least 128 wide: broadcast in place or not at all.
	if b, ok := backend.(interface{ BroadcastsRowsFloat32(width int) bool }); !ok || !b.BroadcastsRowsFloat32(128) || !b.BroadcastsRowsFloat32(1) {
		want += 96816
	}
	if got != want {
		t.Errorf("iterationFLOPs = %d, want %d (%+.2f%%)", got, want, 100*float64(got-want)/float64(want))
	}
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
// the iterations' product FLOPs as a fraction of that rate. The GEMM is timed
// before and after the models and the fractions use the better of the two:
// on a shared machine the rate drifts within a run, and the goal is against
// the best the GEMM did.
func BenchmarkRoofline(b *testing.B) {
	if !gemm.Available {
		b.Skip("no AVX-512F here: the GEMM peak would be the plain-Go kernel's")
	}
	peakBefore := gemmPeak()
	fmt.Printf("gemm peak GFLOP/s %.1f (before the models)\n", peakBefore/1e9)
	type result struct {
		arch       string
		batch      int
		flops      int64
		medianSecs float64
	}
	var results []result
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
		results = append(results, result{m.arch, m.batch, flops, steps[len(steps)/2].Seconds()})
	}
	peakAfter := gemmPeak()
	peak := max(peakBefore, peakAfter)
	fmt.Printf("gemm peak GFLOP/s %.1f (after the models)\n", peakAfter/1e9)
	b.Logf("GEMM peak 128x512x784: %.1f GFLOP/s", peak/1e9)
	for _, r := range results {
		rate := float64(r.flops) / r.medianSecs
		fmt.Printf("%s batch %d flops/iter %d median-ms %.2f GFLOP/s %.1f\n", r.arch, r.batch, r.flops, r.medianSecs*1e3, rate/1e9)
		fmt.Printf("fraction of GEMM peak %s %.3f\n", r.arch, rate/peak)
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
		gemm.MatMul(false, false, a, bm, 1, m, n, k, c, runtime.GOMAXPROCS(0))
		best = min(best, time.Since(start))
	}
	return 2 * m * n * k / best.Seconds()
}
