package gan

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// liveNodes lists the nodes that outputs depend on, outputs included.
func liveNodes(outputs []*graph.Node) []*graph.Node {
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
	return live
}

// nodeBytes counts the bytes op n reads and writes: each operand and its
// result once, as an op that streams them would (a product's operands once
// too, as if its blocking kept them in cache). Parameters and constants are
// not ops: their bytes count where they are read. Reshape and Identity count
// as free, though the go backend copies a Reshape whose input it does not
// own. It is the traffic of the graph run one op at a time, not a
// measurement of what reaches DRAM: small operands stay in the caches.
func nodeBytes(n *graph.Node) int64 {
	switch n.Type() {
	case graph.NodeTypeParameter, graph.NodeTypeConstant, graph.NodeTypeReshape, graph.NodeTypeIdentity:
		return 0
	}
	total := n.Shape().ByteSize()
	for _, in := range n.Inputs() {
		total += in.Shape().ByteSize()
	}
	return total
}

// isSelection says whether n is a constant of only zeros and ones: the
// selections gan/blocks writes im2col and col2im with, whose products count
// mostly multiplications by zero.
func isSelection(n *graph.Node) bool {
	if n.Type() != graph.NodeTypeConstant {
		return false
	}
	value := n.ConstantValue() // nil unless the graph kept it (graph.MinConstValueSizeToKeep)
	if value == nil {
		return false
	}
	only01 := false
	value.ConstFlatData(func(flat any) {
		if values, ok := flat.([]float32); ok {
			only01 = onlyZerosAndOnes(values)
		}
	})
	return only01
}

// onlyZerosAndOnes says whether values is a selection's: internal/gemm sums
// the rows such a left operand picks instead of multiplying.
func onlyZerosAndOnes(values []float32) bool {
	return !slices.ContainsFunc(values, func(v float32) bool { return v != 0 && v != 1 })
}

// iterationCost is one training iteration's count, over the D and G steps'
// nodes that their outputs depend on (the go backend runs only those;
// autodiff leaves unused gradient nodes in the graph): its products' FLOPs
// and the bytes its ops stream (nodeBytes), in total and op by op.
type iterationCost struct {
	flops, bytes   int64
	selectionFlops int64 // of flops: products whose left operand is a 0/1 constant (isSelection)
	// chains are the bytes of each element-wise result that feeds one other
	// element-wise op of its size and nothing else, written and read back:
	// what fusing the element-wise chains into single passes would save.
	chains []int64
	// chainsByPair adds the chains up by op pair and shape ("Sign→Max
	// [64 14 14 64]"), bytesByOpShape the ops' bytes by op and result shape
	// (a selection product's as "DotGeneral selection"): where fusing would
	// save the most.
	chainsByPair, bytesByOpShape map[string]int64
	bytesByOp                    map[string]int64
	ops                          []opCost
}

func newIterationCost() iterationCost {
	return iterationCost{bytesByOp: map[string]int64{}, bytesByOpShape: map[string]int64{}, chainsByPair: map[string]int64{}}
}

// largest lists the n largest entries of m as "key MB", largest first.
func largest(m map[string]int64, n int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	var parts []string
	for _, k := range keys[:min(n, len(keys))] {
		parts = append(parts, fmt.Sprintf("%s %.1f", k, float64(m[k])/1e6))
	}
	return strings.Join(parts, ", ")
}

// opName is a node's op without the "NodeType" prefix.
func opName(n *graph.Node) string { return strings.TrimPrefix(n.Type().String(), "NodeType") }

type opCost struct{ flops, bytes int64 }

// arithmeticFlops is flops without the selections': the multiply-adds
// that run.
func (c iterationCost) arithmeticFlops() int64 { return c.flops - c.selectionFlops }

func iterationCosts(tr *Trainer) (iterationCost, error) {
	cost := newIterationCost()
	// Keep every constant's value in the graph, for isSelection.
	defer func(keep int) { graph.MinConstValueSizeToKeep = keep }(graph.MinConstValueSizeToKeep)
	graph.MinConstValueSizeToKeep = math.MaxInt
	for _, step := range iterationGraphs(tr) {
		exec, err := step.build(tr)
		if err != nil {
			return cost, err
		}
		if _, err := exec.Compile(step.inputs...); err != nil {
			return cost, fmt.Errorf("%s: %w", step.name, err)
		}
		if err := cost.add(*step.outputs); err != nil {
			return cost, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return cost, nil
}

// elementwiseOps are the graph's element-wise float ops, the ones a fused
// pass could chain.
var elementwiseOps = map[graph.NodeType]bool{
	graph.NodeTypeAdd: true, graph.NodeTypeSub: true, graph.NodeTypeMul: true, graph.NodeTypeDiv: true,
	graph.NodeTypeMax: true, graph.NodeTypeMin: true, graph.NodeTypePow: true,
	graph.NodeTypeSign: true, graph.NodeTypeNeg: true, graph.NodeTypeAbs: true,
	graph.NodeTypeExp: true, graph.NodeTypeLog: true, graph.NodeTypeLog1p: true, graph.NodeTypeExpm1: true,
	graph.NodeTypeLogistic: true, graph.NodeTypeTanh: true, graph.NodeTypeSqrt: true, graph.NodeTypeRsqrt: true,
}

// add counts the ops that the outputs depend on.
func (c *iterationCost) add(outputs []*graph.Node) error {
	nodes := liveNodes(outputs)
	consumers := map[*graph.Node]int{}
	for _, n := range nodes {
		for _, in := range n.Inputs() {
			consumers[in]++
		}
	}
	for _, o := range outputs {
		consumers[o]++ // the step's caller reads it too
	}
	for _, n := range nodes {
		if elementwiseOps[n.Type()] {
			for _, in := range n.Inputs() {
				if elementwiseOps[in.Type()] && consumers[in] == 1 && in.Shape().Size() == n.Shape().Size() {
					c.chains = append(c.chains, 2*int64(in.Shape().ByteSize()))
					c.chainsByPair[fmt.Sprintf("%s→%s %v", opName(in), opName(n), in.Shape().Dimensions)] += 2 * int64(in.Shape().ByteSize())
				}
			}
		}
	}
	for _, n := range nodes {
		f, err := nodesFLOPs([]*graph.Node{n})
		if err != nil {
			return err
		}
		b := nodeBytes(n)
		c.flops += f
		op := opName(n)
		if n.Type() == graph.NodeTypeDotGeneral && isSelection(n.Inputs()[0]) {
			// internal/gemm adds up the rows a selection picks: bytes, no
			// multiplications.
			c.selectionFlops += f
			f = 0
			op += " selection"
		}
		c.bytes += b
		if b > 0 {
			c.bytesByOp[opName(n)] += b
			c.bytesByOpShape[fmt.Sprintf("%s %v", op, n.Shape().Dimensions)] += b
		}
		c.ops = append(c.ops, opCost{f, b})
	}
	return nil
}

// times returns how long the ops' bytes take at the copy rates (copyRates:
// a working set each op's size), and the time the ops would take one at a
// time if each ran at the machine's ceiling that binds it: the GEMM peak
// (FLOP/s) for its products or the copy rate for its bytes, whichever is
// longer.
func (c iterationCost) times(peak float64, rates copyRates) (bytesSecs, boundSecs float64) {
	for _, op := range c.ops {
		bytesSecs += rates.secs(op.bytes)
		boundSecs += max(float64(op.flops)/peak, rates.secs(op.bytes))
	}
	return bytesSecs, boundSecs
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
	cost, err := iterationCosts(tr)
	if err != nil {
		t.Fatal(err)
	}
	got := cost.flops
	want := int64(96368928)
	// Every bias here is 1 or at least 128 wide: broadcast in place or not at all.
	if b, ok := backend.(interface{ BroadcastsRowsFloat32(width int) bool }); !ok || !b.BroadcastsRowsFloat32(128) || !b.BroadcastsRowsFloat32(1) {
		want += 96816
	}
	if got != want {
		t.Errorf("iterationCosts: %d FLOPs, want %d (%+.2f%%)", got, want, 100*float64(got-want)/float64(want))
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

// TestIterationCostByHand: x[8,5]·w[5,3] + y[8,3], then a Reshape, all
// float32. The product reads 40+15 values and writes 24: 316 bytes, 240
// FLOPs; the Add reads 24+24 and writes 24: 288 bytes; the Reshape is free:
// 604 bytes. With rates for 300- and 1000-byte working sets, the Add's 288
// bytes stream at the first and the product's 316 at the second. At 1000 FLOP/s and
// 1000/500 B/s the product's bytes bind it (0.632 s against 0.24 s), and the
// bound is 0.632+0.288 = 0.920 s; at 100 FLOP/s its FLOPs do (2.4 s): 2.688 s.
func TestIterationCostByHand(t *testing.T) {
	backend, err := NewBackend(testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.NewGraph(backend, "cost")
	f32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
	x := graph.Parameter(g, "x", f32(8, 5))
	w := graph.Parameter(g, "w", f32(5, 3))
	y := graph.Parameter(g, "y", f32(8, 3))
	out := graph.Reshape(graph.Add(graph.MatMul(x, w), y), 24)
	if err := g.Compile(out); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		peak, bandwidth, wantSecs float64
	}{{1000, 1000, 0.920}, {100, 1000, 2.688}} {
		cost := newIterationCost()
		if err := cost.add([]*graph.Node{out}); err != nil {
			t.Fatal(err)
		}
		if len(cost.chains) != 0 {
			t.Errorf("chains %v: the Add's operand is a product, not an element-wise op", cost.chains)
		}
		if cost.flops != 240 || cost.selectionFlops != 0 || cost.bytes != 604 || cost.bytesByOp["DotGeneral"] != 316 || cost.bytesByOp["Add"] != 288 {
			t.Errorf("flops %d (selections %d), bytes %d by op %v; want 240 (0), 604 (DotGeneral 316, Add 288)",
				cost.flops, cost.selectionFlops, cost.bytes, cost.bytesByOp)
		}
		if want := map[string]int64{"DotGeneral [8 3]": 316, "Add [8 3]": 288}; !maps.Equal(cost.bytesByOpShape, want) {
			t.Errorf("bytes by op and shape %v, want %v", cost.bytesByOpShape, want)
		}
		rates := copyRates{{300, tc.bandwidth}, {1000, tc.bandwidth / 2}}
		if _, bound := cost.times(tc.peak, rates); math.Abs(bound-tc.wantSecs) > 1e-12 {
			t.Errorf("peak %g, bandwidth %g: bound %.6f s, want %.3f", tc.peak, tc.bandwidth, bound, tc.wantSecs)
		}
	}
}

// The element-wise results that only one element-wise op of their size reads
// are the chains' intermediates (each [4, 8]: 128 bytes written, 128 read).
// In f2 = (Sign(a)·b + (a+b)·c) + ((a+b) − c) + a·Sign(row), with Sign(a)·b
// also a step output: Sign(a), (a+b)·c, (a+b) − c, their sums and a·Sign(row)
// are (6 × 256 = 1536 bytes); a+b (two readers), Sign(a)·b (read by the
// caller too) and Sign(row) (a row broadcast into [4, 8]) are not.
func TestFusableChainsByHand(t *testing.T) {
	backend, err := NewBackend(testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.NewGraph(backend, "chains")
	f32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
	a, b, c := graph.Parameter(g, "a", f32(4, 8)), graph.Parameter(g, "b", f32(4, 8)), graph.Parameter(g, "c", f32(4, 8))
	row := graph.Parameter(g, "row", f32(1, 8))
	m1 := graph.Mul(graph.Sign(a), b)
	s2 := graph.Add(a, b)
	f := graph.Add(graph.Add(m1, graph.Mul(s2, c)), graph.Sub(s2, c))
	f2 := graph.Add(f, graph.Mul(a, graph.Sign(row)))
	if err := g.Compile(f2, m1); err != nil {
		t.Fatal(err)
	}
	cost := newIterationCost()
	if err := cost.add([]*graph.Node{f2, m1}); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, b := range cost.chains {
		total += b
	}
	if len(cost.chains) != 6 || total != 1536 {
		t.Errorf("chains %v (%d bytes), want 6 of 256 bytes", cost.chains, total)
	}
	// By pair: Sign(a)→Mul; (a+b)·c and a·Sign(row) →Add; (a+b)−c →Add;
	// the two sums →Add.
	want := map[string]int64{"Sign→Mul [4 8]": 256, "Mul→Add [4 8]": 512, "Sub→Add [4 8]": 256, "Add→Add [4 8]": 512}
	if !maps.Equal(cost.chainsByPair, want) {
		t.Errorf("chains by pair %v, want %v", cost.chainsByPair, want)
	}
	if got, wantLine := largest(cost.chainsByPair, 2), "Add→Add [4 8] 0.0, Mul→Add [4 8] 0.0"; got != wantLine {
		t.Errorf("largest two: %q, want %q (ties by name)", got, wantLine)
	}
}

// Products whose left operand is a constant of zeros and ones are counted
// apart as selections: sel[2,3]·x[3,4] is one (2·2·4·3 = 48 FLOPs), w[2,3]·x
// with a 0.5 in w is not (another 48).
func TestSelectionProductsCountedApart(t *testing.T) {
	backend, err := NewBackend(testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.NewGraph(backend, "selections")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 3, 4))
	sel := graph.Const(g, [][]float32{{1, 0, 0}, {0, 0, 1}})
	w := graph.Const(g, [][]float32{{1, 0.5, 0}, {0, 1, 0}})
	out := graph.Add(graph.MatMul(sel, x), graph.MatMul(w, x))
	if err := g.Compile(out); err != nil {
		t.Fatal(err)
	}
	cost := newIterationCost()
	if err := cost.add([]*graph.Node{out}); err != nil {
		t.Fatal(err)
	}
	if cost.flops != 96 || cost.selectionFlops != 48 {
		t.Errorf("flops %d, of which selections %d; want 96 and 48", cost.flops, cost.selectionFlops)
	}
	// Each product reads 2·3 + 3·4 values and writes 2·4: 104 bytes.
	for _, key := range []string{"DotGeneral selection [2 4]", "DotGeneral [2 4]"} {
		if got := cost.bytesByOpShape[key]; got != 104 {
			t.Errorf("%s: %d bytes, want 104 (all: %v)", key, got, cost.bytesByOpShape)
		}
	}
}

// BenchmarkRoofline measures, in one run, the GEMM's rate on its largest
// product (128×512×784) and one training iteration of each model, and prints
// the iterations' product FLOPs as a fraction of that rate. The 0/1
// selection products (the convolutions' im2col and col2im) are left out of
// the FLOPs, since internal/gemm adds up the rows they select; the line
// "counting the selections' flops" gives the fraction with them, the count
// of earlier rounds. The GEMM is timed before and after the models and the
// fractions use the better of the two:
// on a shared machine the rate drifts within a run, and the goal is against
// the best the GEMM did.
func BenchmarkRoofline(b *testing.B) {
	if !gemm.Available {
		b.Skip("no AVX-512F here: the GEMM peak would be the plain-Go kernel's")
	}
	peakBefore := gemmPeak()
	fmt.Printf("gemm peak GFLOP/s %.1f (before the models)\n", peakBefore/1e9)
	fmaBefore := gemm.FMAPeak(runtime.GOMAXPROCS(0), 10)
	type result struct {
		arch       string
		batch      int
		cost       iterationCost
		medianSecs float64
	}
	var results []result
	var trainers []*Trainer
	for _, m := range []struct {
		arch  string
		batch int
	}{{ModelMLP, 128}, {ModelDCGAN, 64}} {
		tr := newBenchTrainer(b, m.arch, m.batch, 1000)
		cost, err := iterationCosts(tr)
		if err != nil {
			b.Fatal(err)
		}
		trainers = append(trainers, tr)
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
		results = append(results, result{m.arch, m.batch, cost, steps[len(steps)/2].Seconds()})
	}
	peakAfter := gemmPeak()
	peak := max(peakBefore, peakAfter)
	fmt.Printf("gemm peak GFLOP/s %.1f (after the models)\n", peakAfter/1e9)
	warmPeak := gemmPeakWarmHelpers()
	fmt.Printf("gemm peak GFLOP/s %.1f (helpers polling, not blocked: no thread to wake)\n", warmPeak/1e9)
	fmaPeak := max(fmaBefore, gemm.FMAPeak(runtime.GOMAXPROCS(0), 10))
	fmt.Printf("FMA peak GFLOP/s %.1f (a loop of 16 independent 512-bit FMAs on each of %d cores, best before and after the models: the arithmetic ceiling)\n",
		fmaPeak/1e9, runtime.GOMAXPROCS(0))
	fmt.Printf("gemm peak as a fraction of the FMA peak %.3f\n", peak/fmaPeak)
	rates := measureCopyRates()
	fmt.Printf("copy GB/s by working set (read+write, %d cores): %s\n", runtime.GOMAXPROCS(0), rates)
	b.Logf("GEMM peak 128x512x784: %.1f GFLOP/s", peak/1e9)
	for i, r := range results {
		arithmetic := r.cost.arithmeticFlops()
		rate := float64(arithmetic) / r.medianSecs
		fmt.Printf("%s batch %d flops/iter %d median-ms %.2f GFLOP/s %.1f\n", r.arch, r.batch, arithmetic, r.medianSecs*1e3, rate/1e9)
		fmt.Printf("fraction of GEMM peak %s %.3f\n", r.arch, rate/peak)
		fmt.Printf("fraction of the polling-helpers GEMM peak %s %.3f\n", r.arch, rate/max(peak, warmPeak))
		fmt.Printf("fraction of FMA peak %s %.3f\n", r.arch, rate/fmaPeak)
		if r.cost.selectionFlops > 0 {
			fmt.Printf("fraction of GEMM peak %s counting the selections' flops %.3f\n", r.arch, float64(r.cost.flops)/r.medianSecs/peak)
		}
		cost := r.cost
		bytesSecs, boundSecs := cost.times(peak, rates)
		if cost.selectionFlops > 0 {
			fmt.Printf("%s selection products (0/1 constants, summed, not multiplied) flops/iter %d if multiplied, %.1f %% of all the products'\n",
				r.arch, cost.selectionFlops, 100*float64(cost.selectionFlops)/float64(cost.flops))
		}
		var chainBytes int64
		var chainSecs float64
		for _, b := range cost.chains {
			chainBytes += b
			chainSecs += rates.secs(b)
		}
		fmt.Printf("%s element-wise intermediates with one element-wise consumer (what fusing the chains would save) %.1f MB/iter, %.2f ms at the copy rates\n",
			r.arch, float64(chainBytes)/1e6, chainSecs*1e3)
		fmt.Printf("%s bytes/iter %d: products at the GEMM peak %.2f ms, bytes at the copy rates %.2f ms, "+
			"ops one at a time at their ceiling %.2f ms, fraction of that bound %.3f\n",
			r.arch, cost.bytes, float64(cost.arithmeticFlops())/peak*1e3, bytesSecs*1e3, boundSecs*1e3, boundSecs/r.medianSecs)
		if err := printProductsAlone(r.arch, trainers[i], peak, r.medianSecs, arithmetic); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("%s MB/iter by op: %s\n", r.arch, largest(cost.bytesByOp, 8))
		fmt.Printf("%s MB/iter by op and result shape: %s\n", r.arch, largest(cost.bytesByOpShape, 10))
		fmt.Printf("%s element-wise intermediates MB/iter by op pair and shape: %s\n", r.arch, largest(cost.chainsByPair, 6))
	}
	for range b.N {
	}
}

// printProductsAlone runs productSteps more steps of tr, times each product
// shape it handed to internal/gemm alone, and prints their sum against the
// step (stepSecs), what the iteration's arithmetic (iterFlops) would reach
// if the products alone took time, the products' wall time in the steps
// against alone, and the six shapes that lose the most time against the
// peak. In a step the graph runs about two nodes at once on two cores, so a
// product that keeps both cores busy alone takes about twice as long there;
// a selection, whose bytes are its cost, takes longer still where its
// operands have left the caches.
func printProductsAlone(arch string, tr *Trainer, peak, stepSecs float64, iterFlops int64) error {
	products, selections, err := stepProducts(tr, productSteps)
	if err != nil {
		return err
	}
	type shapeTime struct {
		p          productShape
		count      int
		secs, lost float64 // per call; per iteration against the peak
		inStep     float64 // per iteration
	}
	var (
		n                    int
		flops                int64
		alone, cold, oneCore float64
		shapes               []shapeTime
		inStep, inStepSel    float64 // per iteration, the calls' wall time in the steps
		aloneSel             float64
	)
	workers := runtime.GOMAXPROCS(0)
	sweep := make([]float32, coldSweepBytes/4)
	for i := range sweep { // written: untouched pages would all read the one zero page
		sweep[i] = 1
	}
	// Each shape alone twice, the second time after all the others: now and
	// then an idle core's thread is slow to wake (a virtual machine's idle
	// CPU halts) for longer than one shape's timings, and that shape runs on
	// one core throughout them.
	best := map[productShape]float64{}
	for range 2 {
		for p := range products {
			secs := isolatedSecs(p, selections[p], nil, workers)
			if b, ok := best[p]; !ok || secs < b {
				best[p] = secs
			}
		}
	}
	for p, sp := range products {
		count := sp.calls
		secs := best[p]
		n += count
		flops += int64(count) * p.arithmetic()
		alone += float64(count) * secs
		cold += float64(count) * isolatedSecs(p, selections[p], sweep, workers)
		oneCore += float64(count) * isolatedSecs(p, selections[p], nil, 1)
		inStep += sp.inStep.Seconds()
		if p.selection {
			inStepSel += sp.inStep.Seconds()
			aloneSel += float64(count) * secs
		}
		shapes = append(shapes, shapeTime{p, count, secs, float64(count) * (secs - float64(p.arithmetic())/peak), sp.inStep.Seconds()})
	}
	fmt.Printf("%s products run by internal/gemm: %d calls, %d shapes, %d flops/iter, each shape alone at its best %.2f ms (%.1f GFLOP/s), fraction of the step %.3f\n",
		arch, n, len(products), flops, alone*1e3, float64(flops)/alone/1e9, alone/stepSecs)
	fmt.Printf("%s products run by internal/gemm, each shape alone with its operands cold (read after a %d MB sweep) %.2f ms (%.1f GFLOP/s), fraction of the step %.3f\n",
		arch, coldSweepBytes>>20, cold*1e3, float64(flops)/cold/1e9, cold/stepSecs)
	fmt.Printf("%s products run by internal/gemm, each shape alone on one core: %.2f ms of core time (%.1f GFLOP/s per core), %.2f ms shared by %d cores\n",
		arch, oneCore*1e3, float64(flops)/oneCore/1e9, oneCore/float64(workers)*1e3, workers)
	fmt.Printf("%s ceiling if only the products took time: fraction of GEMM peak %.3f with each shape alone on all cores, %.3f with one product per core\n",
		arch, float64(iterFlops)/alone/peak, float64(iterFlops)/(oneCore/float64(workers))/peak)
	fmt.Printf("%s products' wall time in the step (%d steps, nodes sharing the cores) against alone, ms/iter: products %.2f against %.2f (%.1f×), selections %.2f against %.2f (%.1f×)\n",
		arch, productSteps, (inStep-inStepSel)*1e3, (alone-aloneSel)*1e3, (inStep-inStepSel)/(alone-aloneSel),
		inStepSel*1e3, aloneSel*1e3, inStepSel/max(aloneSel, 1e-12))
	slices.SortFunc(shapes, func(a, b shapeTime) int { return cmp.Compare(b.lost, a.lost) })
	for _, st := range shapes[:min(6, len(shapes))] {
		if st.p.selection {
			fmt.Printf("%s selection %dx%dx%dx%d x%d: summed alone %.3f ms, %.2f ms/iter, in the step %.2f ms/iter\n",
				arch, st.p.batch, st.p.m, st.p.n, st.p.k, st.count, st.secs*1e3, st.lost*1e3, st.inStep*1e3)
			continue
		}
		fmt.Printf("%s product aT=%t bT=%t %dx%dx%dx%d x%d: %.1f GFLOP/s alone, %.2f ms/iter more than at the peak, in the step %.2f ms/iter\n",
			arch, st.p.aTransposed, st.p.bTransposed, st.p.batch, st.p.m, st.p.n, st.p.k, st.count,
			float64(st.p.flops())/st.secs/1e9, st.lost*1e3, st.inStep*1e3)
	}
	return nil
}

// productSteps is how many steps stepProducts times the products in.
const productSteps = 5

// copyRate is the best of several timings of copying a working set of
// total bytes (source and destination), split over GOMAXPROCS goroutines
// and repeated until about 64 MB have moved, so that a small set stays in
// the cache, in bytes read and written per second.
func copyRate(total int) float64 {
	workers := runtime.GOMAXPROCS(0)
	n := max(total/8/workers, 16) // float32s per buffer: source and destination
	reps := max(1, (64<<20)/(8*n*workers))
	src, dst := make([][]float32, workers), make([][]float32, workers)
	for w := range workers {
		src[w], dst[w] = make([]float32, n), make([]float32, n)
		for i := range src[w] {
			src[w][i] = float32(i)
		}
	}
	best := time.Duration(1 << 62)
	for range 10 {
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for range reps {
					copy(dst[w], src[w])
				}
			})
		}
		wg.Wait()
		best = min(best, time.Since(start))
	}
	return float64(8*n*workers*reps) / best.Seconds()
}

// copyRates are the rates the roofline bound streams bytes at: the copy
// rate of working sets of 1 MB up to 256 MB, doubling, measured in the same
// run. An op's bytes stream at the rate of the smallest working set that
// holds them (the largest set's beyond it): the caches' rates for small
// ops, memory's for large ones.
type copyRates []struct {
	size int64
	rate float64 // bytes/s
}

func measureCopyRates() copyRates {
	var rates copyRates
	for size := int64(1 << 20); size <= 256<<20; size *= 2 {
		rates = append(rates, struct {
			size int64
			rate float64
		}{size, copyRate(int(size))})
	}
	return rates
}

func (r copyRates) secs(bytes int64) float64 {
	for _, level := range r {
		if bytes <= level.size {
			return float64(bytes) / level.rate
		}
	}
	return float64(bytes) / r[len(r)-1].rate
}

func (r copyRates) String() string {
	parts := make([]string, len(r))
	for i, level := range r {
		parts[i] = fmt.Sprintf("%d MB %.1f", level.size>>20, level.rate/1e9)
	}
	return strings.Join(parts, ", ")
}

// productShape is one call of the installed matmul kernel (gemmMatMul).
type productShape struct {
	aTransposed, bTransposed bool
	batch, m, n, k           int
	selection                bool // a of zeros and ones: internal/gemm adds up rows
}

func (p productShape) flops() int64 { return 2 * int64(p.batch) * int64(p.m) * int64(p.n) * int64(p.k) }

// arithmetic is p's FLOPs, none for a selection.
func (p productShape) arithmetic() int64 {
	if p.selection {
		return 0
	}
	return p.flops()
}

// stepProduct is one product shape's share of the steps stepProducts ran.
type stepProduct struct {
	calls  int           // per iteration
	inStep time.Duration // the calls' wall time, per iteration
}

// stepProducts runs steps more iterations of tr and records the products
// internal/gemm ran in them (the smaller ones GoMLX's own kernels run are not
// recorded), by shape, with how many times each ran per iteration and for
// how long, and a copy of each selection's left operand.
func stepProducts(tr *Trainer, steps int) (products map[productShape]*stepProduct, selections map[productShape][]float32, err error) {
	setter, ok := tr.backend.(matMulKernelSetter)
	if !ok {
		return nil, nil, fmt.Errorf("the go backend has no SetMatMulFloat32: %s", unpatched)
	}
	var mu sync.Mutex
	products, selections = map[productShape]*stepProduct{}, map[productShape][]float32{}
	setter.SetMatMulFloat32(func(aT, bT bool, a, b []float32, batch, m, n, k int, out []float32) bool {
		start := time.Now()
		ok := gemmMatMul(aT, bT, a, b, batch, m, n, k, out)
		took := time.Since(start)
		if ok {
			p := productShape{aT, bT, batch, m, n, k, false}
			a = a[:batch*m*k]
			p.selection = !aT && onlyZerosAndOnes(a)
			mu.Lock()
			if products[p] == nil {
				products[p] = &stepProduct{}
			}
			products[p].calls++
			products[p].inStep += took
			if p.selection && selections[p] == nil {
				selections[p] = slices.Clone(a)
			}
			mu.Unlock()
		}
		return ok
	})
	defer setter.SetMatMulFloat32(gemmMatMul)
	for range steps {
		if _, err := tr.TrainStep(); err != nil {
			return nil, nil, err
		}
	}
	for p, sp := range products {
		if sp.calls%steps != 0 {
			return nil, nil, fmt.Errorf("%+v ran %d times in %d steps: the steps ran different products", p, sp.calls, steps)
		}
		sp.calls /= steps
		sp.inStep /= time.Duration(steps)
	}
	return products, selections, nil
}

// isolatedSecs is the best time of one product of shape p alone, split over
// at most workers cores as gemmMatMul splits it: timed until 20 runs or 30 ms.
// A selection's left operand is the one it ran with (selection). With a
// sweep (written, larger than the caches), each run first reads every line
// of it, so that the product's operands come from memory.
func isolatedSecs(p productShape, selection, sweep []float32, workers int) float64 {
	rng := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()
		}
		return s
	}
	a, b, c := fill(p.batch*p.m*p.k), fill(p.batch*p.k*p.n), make([]float32, p.batch*p.m*p.n)
	if selection != nil {
		a = selection
	}
	best := time.Duration(1 << 62)
	var spent time.Duration
	for runs := 0; runs < 20 || spent < 30*time.Millisecond; runs++ {
		if sweep != nil {
			sweepSink += readEveryLine(sweep)
		}
		start := time.Now()
		if !gemmMatMulOn(workers, p.aTransposed, p.bTransposed, a, b, p.batch, p.m, p.n, p.k, c) {
			panic(fmt.Sprintf("gemmMatMul declined %+v, a product it ran in the step", p))
		}
		d := time.Since(start)
		best, spent = min(best, d), spent+d
	}
	return best.Seconds()
}

// coldSweepBytes is twice this machine's L3 (32 MB): read through, it
// leaves none of a product's operands in any cache.
const coldSweepBytes = 64 << 20

// sweepSink keeps the sweeps' reads from being optimised away.
var sweepSink float32

// readEveryLine reads one value of every 64-byte line of s.
func readEveryLine(s []float32) float32 {
	var sum float32
	for i := 0; i < len(s); i += 16 {
		sum += s[i]
	}
	return sum
}

// gemmPeakWarmHelpers is gemmPeak with MatMul's helpers handed to
// goroutines that poll for them instead of blocking: the rate of the GEMM
// when no helper waits for an idle core's OS thread to wake (on a virtual
// machine whose idle CPUs halt, 20–55 µs each time, against the 0.5 ms
// of the product).
func gemmPeakWarmHelpers() float64 {
	tasks := make(chan func(), runtime.GOMAXPROCS(0))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) - 1 {
		wg.Go(func() {
			for {
				select {
				case task := <-tasks:
					task()
				case <-stop:
					return
				default:
					runtime.Gosched()
				}
			}
		})
	}
	previous := gemm.SetGo(func(task func()) { tasks <- task })
	defer func() {
		gemm.SetGo(previous)
		close(stop)
		wg.Wait()
	}()
	return gemmPeak()
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
