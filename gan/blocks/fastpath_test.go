package blocks

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// slowOps lists the ops among those outputs depend on that GoMLX v0.28.2's go
// backend runs value by value, or that make it transpose matmul operands: a
// DotGeneral whose axes are not in one of its two native layouts (left
// operand [batch…, rows…, contracted…], right operand [batch…, contracted…,
// cols…] or [batch…, cols…, contracted…]); a Transpose of more than
// transposeLimit values; a reduction of, or a BroadcastInDim of a non-scalar
// to, more than reduceLimit values. The backward passes of the blocks avoid
// these (see withCustomVJP); GoMLX's own autodiff of the same forward graph
// does not.
func slowOps(outputs []*graph.Node, transposeLimit, reduceLimit int) (slow []string, dots int) {
	seen := map[*graph.Node]bool{}
	var walk func(n *graph.Node)
	walk = func(n *graph.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, in := range n.Inputs() {
			walk(in)
		}
		size := n.Shape().Size()
		switch n.Type() {
		case graph.NodeTypeDotGeneral:
			dots++
			if reason := dotGeneralTransposes(n); reason != "" {
				slow = append(slow, fmt.Sprintf("DotGeneral %s × %s: %s", n.Inputs()[0].Shape(), n.Inputs()[1].Shape(), reason))
			}
		case graph.NodeTypeTranspose:
			if size > transposeLimit {
				slow = append(slow, fmt.Sprintf("Transpose of %d values", size))
			}
		case graph.NodeTypeReduceSum, graph.NodeTypeReduceMax, graph.NodeTypeReduceMin:
			if in := n.Inputs()[0].Shape().Size(); in > reduceLimit {
				slow = append(slow, fmt.Sprintf("%s of %d values", n.Type(), in))
			}
		case graph.NodeTypeBroadcastInDim:
			if n.Inputs()[0].Shape().Size() > 1 && size > reduceLimit {
				slow = append(slow, fmt.Sprintf("BroadcastInDim to %d values", size))
			}
		}
	}
	for _, o := range outputs {
		walk(o)
	}
	return slow, dots
}

var dotAxesRE = regexp.MustCompile(`lhsContractingAxes=\[([0-9 ]*)\], lhsBatchAxes=\[([0-9 ]*)\], rhs=\[#\d+\], rhsContractingAxes=\[([0-9 ]*)\], rhsBatchAxes=\[([0-9 ]*)\]`)

func parseAxes(s string) []int {
	var axes []int
	for _, f := range strings.Fields(s) {
		a, _ := strconv.Atoi(f)
		axes = append(axes, a)
	}
	return axes
}

// dotGeneralTransposes says why the go backend would transpose an operand of
// the DotGeneral node n, or "" if it runs it in a native layout.
func dotGeneralTransposes(n *graph.Node) string {
	m := dotAxesRE.FindStringSubmatch(n.String())
	if m == nil {
		return "cannot read its axes from " + n.String()
	}
	lc, lb, rc, rb := parseAxes(m[1]), parseAxes(m[2]), parseAxes(m[3]), parseAxes(m[4])
	lr, rr := n.Inputs()[0].Rank(), n.Inputs()[1].Rank()
	seq := func(start, n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = start + i
		}
		return s
	}
	if !slices.Equal(lb, seq(0, len(lb))) || !slices.Equal(rb, seq(0, len(rb))) {
		return "batch axes not leading"
	}
	if !slices.Equal(lc, seq(lr-len(lc), len(lc))) {
		return fmt.Sprintf("left operand contracted on axes %v of %d, not its last", lc, lr)
	}
	if !slices.Equal(rc, seq(len(rb), len(rc))) && !slices.Equal(rc, seq(rr-len(rc), len(rc))) {
		return fmt.Sprintf("right operand contracted on axes %v of %d, neither right after the batch axes nor last", rc, rr)
	}
	return ""
}

// gradientGraph builds (without running it) y = build(scope, x) and the
// gradients of Σ y⊙v w.r.t. x and every trainable variable; it returns them
// with the number of values of the largest of x, y and the variables, and of
// the largest variable.
func gradientGraph(t *testing.T, xDims []int, build func(s *model.Scope, x *graph.Node) *graph.Node) (grads []*graph.Node, largest, largestVar int) {
	t.Helper()
	store := newTestStore()
	g := graph.NewGraph(backend, "gradient")
	x := graph.Parameter(g, "x", shapeF32(xDims...))
	s := store.Scope("/block")
	y := build(s, x)
	v := graph.Parameter(g, "v", y.Shape())
	loss := graph.ReduceAllSum(graph.Mul(y, v))
	wrt := []*graph.Node{x}
	largest = max(x.Shape().Size(), y.Shape().Size())
	for vr := range s.IterVariables() {
		if vr.Trainable && vr.InUseByGraph(g) {
			wrt = append(wrt, vr.NodeValue(g))
			largestVar = max(largestVar, vr.Shape().Size())
		}
	}
	return graph.Gradient(loss, wrt...), max(largest, largestVar), largestVar
}

// TestBackwardPassesUseFastOps: the forward and backward passes of every
// block, at the GANs' layer shapes (batch 2 for the DCGAN's), contain no
// matmul the go backend would first transpose, no Transpose larger than the
// block's largest input, output or parameter, and no reduction or broadcast
// larger than its largest parameter (sums over the batch are matmuls). TestFastOpsCheckSeesStockGradients
// shows the same check failing for GoMLX's own gradients.
func TestBackwardPassesUseFastOps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		xDims []int
		build func(s *model.Scope, x *graph.Node) *graph.Node
	}{
		{"Dense", []int{128, 784}, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s, x, 512) }},
		{"Dense_out1", []int{2, 6272}, func(s *model.Scope, x *graph.Node) *graph.Node { return Dense(s, x, 1) }},
		{"Conv2D_D1", []int{2, 28, 28, 1}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 64, 4, 2, 1) }},
		{"Conv2D_D2", []int{2, 14, 14, 64}, func(s *model.Scope, x *graph.Node) *graph.Node { return Conv2D(s, x, 128, 4, 2, 1) }},
		{"ConvTranspose2D_G1", []int{2, 7, 7, 128}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 64, 4, 2, 1) }},
		{"ConvTranspose2D_G2", []int{2, 14, 14, 64}, func(s *model.Scope, x *graph.Node) *graph.Node { return ConvTranspose2D(s, x, 1, 4, 2, 1) }},
		{"BatchNorm_training", []int{2, 7, 7, 128}, func(s *model.Scope, x *graph.Node) *graph.Node { return BatchNorm(s, x, true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grads, largest, largestVar := gradientGraph(t, tc.xDims, tc.build)
			slow, dots := slowOps(grads, largest, largestVar)
			if dots == 0 {
				t.Fatalf("no matmul found in the gradient graph: the check reads nothing")
			}
			for _, s := range slow {
				t.Errorf("slow op in the gradient graph: %s", s)
			}
		})
	}
}

// TestFastOpsCheckSeesStockGradients: the check above flags GoMLX's autodiff
// of the same forward ops, so it would fail if a block fell back to it.
func TestFastOpsCheckSeesStockGradients(t *testing.T) {
	for _, tc := range []struct {
		name  string
		xDims []int
		build func(s *model.Scope, x *graph.Node) *graph.Node
	}{
		{"nn.Dense", []int{128, 784}, func(s *model.Scope, x *graph.Node) *graph.Node {
			w := s.WithInitializer(graph.Zeros).VariableWithShape("w", shapeF32(784, 512)).NodeValue(x.Graph())
			b := s.WithInitializer(graph.Zeros).VariableWithShape("b", shapeF32(512)).NodeValue(x.Graph())
			return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs)
		}},
		{"patches·kernel", []int{2, 7, 7, 1024}, func(s *model.Scope, x *graph.Node) *graph.Node {
			w := s.WithInitializer(graph.Zeros).VariableWithShape("w", shapeF32(1024, 128)).NodeValue(x.Graph())
			return nn.Dense(x, w, nil, compute.DenseLayoutInputOutputs)
		}},
		{"batch statistics", []int{2, 7, 7, 128}, func(_ *model.Scope, x *graph.Node) *graph.Node {
			mean := graph.ReduceAndKeep(x, graph.ReduceMean, 0, 1, 2)
			return graph.Sub(x, mean)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			grads, largest, largestVar := gradientGraph(t, tc.xDims, tc.build)
			slow, _ := slowOps(grads, largest, max(largestVar, 128))
			t.Logf("flagged: %v", slow)
			if len(slow) == 0 {
				t.Errorf("the fast-ops check accepts GoMLX's own gradient of %s", tc.name)
			}
		})
	}
}

// TestCustomGradientsWithoutFusion: with GOMLX_FUSION=false GoMLX computes
// the output through withCustomVJP's alternate graph; values and gradients
// must still be right.
func TestCustomGradientsWithoutFusion(t *testing.T) {
	t.Setenv(graph.FusionEnv, "false")
	cc := convCase{2, 8, 8, 2, 3, 4, 2, 1}
	rng := rand.New(rand.NewPCG(21, 1))
	x := tensor64(randData(rng, cc.n*cc.h*cc.w*cc.c), cc.n, cc.h, cc.w, cc.c)
	for _, tc := range []struct {
		name  string
		build func(s *model.Scope, in []*graph.Node) *graph.Node
	}{
		{"Conv2D", func(s *model.Scope, in []*graph.Node) *graph.Node { return Conv2D(s, in[0], cc.o, cc.k, cc.s, cc.p) }},
		{"ConvTranspose2D", func(s *model.Scope, in []*graph.Node) *graph.Node {
			return ConvTranspose2D(s, in[0], cc.o, cc.k, cc.s, cc.p)
		}},
		{"BatchNorm", func(s *model.Scope, in []*graph.Node) *graph.Node { return BatchNorm(s, in[0], true) }},
		{"Dense", func(s *model.Scope, in []*graph.Node) *graph.Node { return Dense(s, in[0], 3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireGradients(t, fdCheck(t, tc.build, []*tensors.Tensor{x}, fdStep, fdTol), fdTol)
		})
	}
	// And the forward value.
	kern, bias := randData(rng, cc.k*cc.k*cc.c*cc.o), randData(rng, cc.o)
	want, _, _ := refConv2D(flat64(x), cc.n, cc.h, cc.w, cc.c, kern, cc.k, cc.o, bias, cc.s, cc.p)
	got, _ := runConvolve(t, Convolve2D, flat64(x), kern, bias, cc, false)
	if d, at := maxRelDiff(got, want); d > 1e-12 {
		t.Errorf("Convolve2D without fusion differs from reference by %.3g at %d", d, at)
	}
}
