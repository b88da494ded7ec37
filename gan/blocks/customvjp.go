package blocks

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// withCustomVJP returns forward(inputs) and makes reverse-mode autodiff use
// vjp for its gradients instead of differentiating forward's ops.
//
// Why: on GoMLX v0.28.2's go backend the autodiff of a matmul (DotGeneral)
// asks for the contraction over the batch axis of both operands, which the
// backend serves by transposing both, element by element (≈5 ns per value);
// reductions and broadcasts go through per-element iterators; and Pad has
// no gradient at all. Writing the backward pass by hand lets the blocks use
// only the backend's fast paths (row-major matmuls, Concatenate and Pad,
// which copy whole rows, same-shape element-wise ops), which made a D+G
// iteration several times faster (gan/bench_test.go).
//
// vjp receives v, the gradient of the loss with respect to the output, and
// returns one gradient per input (nil where an input needs none). It is
// called at most once per gradient computation, and only if some input's
// gradient is needed.
//
// How (GoMLX has no multi-input custom gradient API): the live output is
// forward(inputs), registered through graph.InternalFusedOpCaller with an
// "alternate" decomposed output, forward(taps), whose nodes are never
// executed (the go backend drops nodes no output depends on). The autodiff
// sends the output's gradient to that alternate; an identity with a custom
// gradient on it records v, and each tap — an identity with a custom
// gradient on an input — returns vjp(v)'s entry for that input. Nodes are
// visited in reverse creation order, so v is recorded before any tap needs
// it. forward must return a new node and compute the same value in both of
// its calls; with live false (the alternate, which the autodiff walks) it
// must use only differentiable ops, with live true (the computed output) it
// may use any, e.g. graph.Pad. With GOMLX_FUSION=false GoMLX uses the
// alternate as the output, which is then still correct, only slower.
func withCustomVJP(inputs []*graph.Node, forward func(xs []*graph.Node, live bool) *graph.Node, vjp func(v *graph.Node) []*graph.Node) *graph.Node {
	var (
		v     *graph.Node   // gradient w.r.t. the output, set by the alternate's identity
		grads []*graph.Node // vjp(v), computed on the first tap that needs it
	)
	taps := make([]*graph.Node, len(inputs))
	for i, x := range inputs {
		taps[i] = graph.IdentityWithCustomGradient(x, func(_, _ *graph.Node) *graph.Node {
			if v == nil {
				panic("blocks: custom gradient reached an input before the output (GoMLX autodiff order changed?)")
			}
			if grads == nil {
				grads = vjp(v)
				if len(grads) != len(inputs) {
					panic(fmt.Sprintf("blocks: custom gradient returned %d gradients for %d inputs", len(grads), len(inputs)))
				}
			}
			if grads[i] == nil {
				return graph.ZerosLike(x)
			}
			return grads[i]
		})
	}
	out, _ := graph.InternalFusedOpCaller(
		func() *graph.Node { return forward(inputs, true) },
		func() *graph.Node {
			return graph.IdentityWithCustomGradient(forward(taps, false), func(_, vOut *graph.Node) *graph.Node {
				v, grads = vOut, nil // a new gradient computation starts here
				return vOut
			})
		},
		true)
	return out
}
