package blocks

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

type convCase struct {
	n, h, w, c, o, k, s, p int
}

func (cc convCase) String() string {
	return fmt.Sprintf("x%dx%dx%dx%d_o%d_k%d_s%d_p%d", cc.n, cc.h, cc.w, cc.c, cc.o, cc.k, cc.s, cc.p)
}

// convForwardCases covers kernels 1–5, strides 1–3, paddings 0–2, non-square
// inputs and sizes where (h+2p−k) is not a multiple of s.
var convForwardCases = []convCase{
	{2, 7, 7, 2, 3, 3, 1, 1},
	{2, 7, 6, 2, 3, 3, 2, 0},
	{2, 8, 8, 3, 2, 4, 2, 1},
	{3, 28, 28, 1, 4, 4, 2, 1}, // DCGAN D layer 1 shape (fewer channels)
	{2, 14, 14, 4, 3, 4, 2, 1}, // DCGAN D layer 2 shape (fewer channels)
	{2, 9, 7, 2, 3, 5, 2, 2},
	{1, 6, 6, 2, 2, 5, 1, 2},
	{2, 5, 5, 3, 2, 4, 1, 0},
	{2, 10, 9, 2, 3, 3, 3, 1},
	{2, 5, 5, 2, 3, 1, 1, 0},
	{1, 7, 7, 1, 1, 2, 2, 0},
}

func TestConv2DForwardMatchesReference(t *testing.T) {
	eachBackend(t, testConv2DForwardMatchesReference)
}

func testConv2DForwardMatchesReference(t *testing.T) {
	for _, cc := range convForwardCases {
		t.Run(cc.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(cc.k*100+cc.s*10+cc.p)))
			x := randData(rng, cc.n*cc.h*cc.w*cc.c)
			kern := randData(rng, cc.k*cc.k*cc.c*cc.o)
			bias := randData(rng, cc.o)
			want, ho, wo := refConv2D(x, cc.n, cc.h, cc.w, cc.c, kern, cc.k, cc.o, bias, cc.s, cc.p)
			for _, f32 := range []bool{false, true} {
				got, dims := runConvolve(t, Convolve2D, x, kern, bias, cc, f32)
				checkDims(t, dims, cc.n, ho, wo, cc.o)
				tol := 1e-12
				if f32 {
					tol = 1e-5
				}
				if d, at := maxRelDiff(got, want); d > tol {
					t.Errorf("float32=%v: differs from reference by %.3g at %d (got %g want %g)", f32, d, at, got[at], want[at])
				}
			}
		})
	}
}

func TestConvTranspose2DForwardMatchesReference(t *testing.T) {
	eachBackend(t, testConvTranspose2DForwardMatchesReference)
}

func testConvTranspose2DForwardMatchesReference(t *testing.T) {
	cases := []convCase{
		{2, 7, 7, 3, 2, 4, 2, 1}, // DCGAN G: 7→14
		{2, 14, 14, 2, 1, 4, 2, 1},
		{2, 4, 5, 2, 3, 3, 1, 1},
		{2, 4, 4, 2, 3, 3, 2, 1},
		{2, 3, 4, 2, 2, 5, 2, 2},
		{1, 4, 4, 2, 3, 5, 1, 0},
		{2, 3, 3, 2, 2, 4, 1, 2},
		{2, 4, 4, 8, 1, 4, 2, 1}, // few output channels: auto picks scatter
		{2, 3, 3, 2, 2, 3, 3, 0},
		{2, 3, 3, 2, 2, 2, 2, 0},
		{1, 3, 3, 1, 2, 1, 1, 0},
	}
	for _, cc := range cases {
		t.Run(cc.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, uint64(cc.k*100+cc.s*10+cc.p)))
			x := randData(rng, cc.n*cc.h*cc.w*cc.c)
			kern := randData(rng, cc.k*cc.k*cc.c*cc.o)
			bias := randData(rng, cc.o)
			want, ho, wo := refConvTranspose2D(x, cc.n, cc.h, cc.w, cc.c, kern, cc.k, cc.o, bias, cc.s, cc.p)
			for _, f32 := range []bool{false, true} {
				for _, f := range convTransposeFormulations {
					got, dims := runConvolve(t, f.op, x, kern, bias, cc, f32)
					checkDims(t, dims, cc.n, ho, wo, cc.o)
					tol := 1e-12
					if f32 {
						tol = 1e-5
					}
					if d, at := maxRelDiff(got, want); d > tol {
						t.Errorf("%s, float32=%v: differs from reference by %.3g at %d (got %g want %g)", f.name, f32, d, at, got[at], want[at])
					}
				}
			}
		})
	}
}

// TestConvTranspose2DDCGANSizes checks the generator's upsampling chain.
func TestConvTranspose2DDCGANSizes(t *testing.T) {
	store := model.NewStore()
	exec := model.MustNewExec(backend, store, func(s *model.Scope, x *graph.Node) (*graph.Node, *graph.Node) {
		y14 := ConvTranspose2D(s.At("up1"), x, 64, 4, 2, 1)
		y28 := ConvTranspose2D(s.At("up2"), y14, 1, 4, 2, 1)
		return y14, y28
	})
	out := exec.MustCall(tensors.FromShape(shapeF32(3, 7, 7, 128)))
	checkDims(t, out[0].Shape().Dimensions, 3, 14, 14, 64)
	checkDims(t, out[1].Shape().Dimensions, 3, 28, 28, 1)
}

// convTransposeFormulations: the ways a transposed convolution is computed.
var convTransposeFormulations = []struct {
	name string
	op   func(x, k, b *graph.Node, s, p int) *graph.Node
}{
	{"auto", ConvolveTranspose2D},
}

func checkDims(t *testing.T, got []int, want ...int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("output dims %v, want %v", got, want)
	}
}

// runConvolve evaluates op(x, kernel, bias) in float64 or float32 and returns
// the output as float64 with its dimensions.
func runConvolve(t *testing.T, op func(x, k, b *graph.Node, s, p int) *graph.Node,
	x, kern, bias []float64, cc convCase, f32 bool) ([]float64, []int) {
	t.Helper()
	exec := graph.MustNewExec(backend, func(x, k, b *graph.Node) *graph.Node { return op(x, k, b, cc.s, cc.p) })
	var args []any
	if f32 {
		args = []any{
			tensors.FromFlatDataAndDimensions(to32(x), cc.n, cc.h, cc.w, cc.c),
			tensors.FromFlatDataAndDimensions(to32(kern), cc.k, cc.k, cc.c, cc.o),
			tensors.FromFlatDataAndDimensions(to32(bias), cc.o),
		}
	} else {
		args = []any{tensor64(x, cc.n, cc.h, cc.w, cc.c), tensor64(kern, cc.k, cc.k, cc.c, cc.o), tensor64(bias, cc.o)}
	}
	y := exec.MustCall(args...)[0]
	if !f32 {
		return flat64(y), y.Shape().Dimensions
	}
	y32 := flat32(y)
	out := make([]float64, len(y32))
	for i, v := range y32 {
		out[i] = float64(v)
	}
	return out, y.Shape().Dimensions
}
