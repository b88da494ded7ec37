package blocks

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// fdTol bounds |autodiff − FD| / max(1, |FD|) in float64 with fdStep; the
// FD truncation and round-off errors are around 1e-9 here.
const (
	fdStep = 1e-5
	fdTol  = 1e-6
)

// convGradCases: kernel sizes 3, 4, 5 × strides 1, 2, small shapes so each
// FD check (two graph runs per input, weight and bias value) stays fast.
var convGradCases = []convCase{
	{2, 6, 6, 2, 3, 3, 1, 1},
	{2, 7, 6, 2, 3, 3, 2, 1},
	{2, 6, 6, 2, 2, 4, 1, 1},
	{2, 8, 8, 2, 3, 4, 2, 1},
	{1, 6, 7, 2, 2, 5, 1, 2},
	{2, 7, 7, 2, 2, 5, 2, 2},
	{2, 5, 5, 2, 2, 4, 2, 0},
}

var convTransposeGradCases = []convCase{
	{2, 4, 4, 2, 3, 3, 1, 1},
	{2, 3, 4, 2, 2, 3, 2, 1},
	{2, 4, 4, 2, 2, 4, 1, 1},
	{2, 4, 4, 3, 2, 4, 2, 1}, // the DCGAN generator's k4 s2 p1
	{1, 3, 3, 2, 2, 5, 1, 2},
	{2, 3, 3, 2, 2, 5, 2, 2},
	{2, 3, 3, 2, 2, 4, 2, 0},
	{2, 3, 3, 6, 1, 4, 2, 1}, // few output channels: the layer picks scatter
}

func TestConv2DGradientsMatchFiniteDifferences(t *testing.T) {
	eachBackend(t, testConv2DGradientsMatchFiniteDifferences)
}

func testConv2DGradientsMatchFiniteDifferences(t *testing.T) {
	for _, cc := range convGradCases {
		t.Run(cc.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(cc.k*100+cc.s*10+cc.p)))
			x := tensor64(randData(rng, cc.n*cc.h*cc.w*cc.c), cc.n, cc.h, cc.w, cc.c)
			rep := fdCheck(t, func(s *model.Scope, in []*graph.Node) *graph.Node {
				return Conv2D(s, in[0], cc.o, cc.k, cc.s, cc.p)
			}, []*tensors.Tensor{x}, fdStep, fdTol)
			requireGradients(t, rep, fdTol)
			// x, weights and biases all checked:
			if want := x.Shape().Size() + cc.k*cc.k*cc.c*cc.o + cc.o; rep.checked != want {
				t.Errorf("checked %d values, want %d", rep.checked, want)
			}
		})
	}
}

func TestConvTranspose2DGradientsMatchFiniteDifferences(t *testing.T) {
	eachBackend(t, testConvTranspose2DGradientsMatchFiniteDifferences)
}

func testConvTranspose2DGradientsMatchFiniteDifferences(t *testing.T) {
	for _, cc := range convTransposeGradCases {
		rng := rand.New(rand.NewPCG(4, uint64(cc.k*100+cc.s*10+cc.p)))
		x := tensor64(randData(rng, cc.n*cc.h*cc.w*cc.c), cc.n, cc.h, cc.w, cc.c)
		t.Run(cc.String()+"_layer", func(t *testing.T) {
			rep := fdCheck(t, func(s *model.Scope, in []*graph.Node) *graph.Node {
				return ConvTranspose2D(s, in[0], cc.o, cc.k, cc.s, cc.p)
			}, []*tensors.Tensor{x}, fdStep, fdTol)
			requireGradients(t, rep, fdTol)
			if want := x.Shape().Size() + cc.k*cc.k*cc.c*cc.o + cc.o; rep.checked != want {
				t.Errorf("checked %d values, want %d", rep.checked, want)
			}
		})
		// The op with explicit kernel and bias inputs.
		kern := tensor64(randData(rng, cc.k*cc.k*cc.c*cc.o), cc.k, cc.k, cc.c, cc.o)
		bias := tensor64(randData(rng, cc.o), cc.o)
		for _, f := range convTransposeFormulations {
			t.Run(cc.String()+"_"+f.name, func(t *testing.T) {
				rep := fdCheck(t, func(_ *model.Scope, in []*graph.Node) *graph.Node {
					return f.op(in[0], in[1], in[2], cc.s, cc.p)
				}, []*tensors.Tensor{x, kern, bias}, fdStep, fdTol)
				requireGradients(t, rep, fdTol)
			})
		}
	}
}

func TestConvFloat32GradientsMatchFloat64(t *testing.T) {
	eachBackend(t, testConvFloat32GradientsMatchFloat64)
}

func testConvFloat32GradientsMatchFloat64(t *testing.T) {
	for _, tc := range []struct {
		name string
		cc   convCase
		op   func(s *model.Scope, x *graph.Node, o, k, st, p int) *graph.Node
	}{
		{"Conv2D", convCase{4, 28, 28, 1, 8, 4, 2, 1}, Conv2D},
		{"Conv2D", convCase{4, 14, 14, 8, 16, 4, 2, 1}, Conv2D},
		{"Conv2D", convCase{2, 9, 9, 3, 4, 3, 1, 1}, Conv2D},
		{"ConvTranspose2D", convCase{4, 7, 7, 16, 8, 4, 2, 1}, ConvTranspose2D},
		{"ConvTranspose2D", convCase{4, 14, 14, 8, 1, 4, 2, 1}, ConvTranspose2D},
		{"ConvTranspose2D", convCase{2, 5, 5, 3, 4, 5, 1, 2}, ConvTranspose2D},
	} {
		t.Run(tc.name+"_"+tc.cc.String(), func(t *testing.T) {
			cc := tc.cc
			rng := rand.New(rand.NewPCG(5, uint64(cc.h)))
			x := tensor64(randData(rng, cc.n*cc.h*cc.w*cc.c), cc.n, cc.h, cc.w, cc.c)
			checkFloat32Gradients(t, func(s *model.Scope, in []*graph.Node) *graph.Node {
				return tc.op(s, in[0], cc.o, cc.k, cc.s, cc.p)
			}, []*tensors.Tensor{x}, 1e-4)
		})
	}
}
