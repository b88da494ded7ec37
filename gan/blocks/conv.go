package blocks

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

// Why the convolutions here are built from Slice, Concatenate, Reshape,
// Transpose and one matmul instead of GoMLX's graph.Convolve (GoMLX v0.28.2,
// go backend):
//   - the input gradient of graph.Convolve is wrong for even kernel sizes
//     (k=4, the DCGAN's kernel); for k=3 and k=5 it agrees with finite
//     differences, and the kernel gradient is right for all three
//     (TestStockConvolveInputGradient);
//   - graph.Convolve is 40× slower or more there than slices plus a matmul,
//     forward+backward at the DCGAN discriminator's shapes
//     (BenchmarkConv2DDiscLayer1, BenchmarkConv2DDiscLayer2);
//   - there is no transposed convolution op at all;
//   - graph.Pad and graph.Reverse have no gradient (TestStockOpsWithoutGradient),
//     so zero padding is a Concatenate with zeros and kernel flips are slices.
//
// Every op used below has a gradient that the finite-difference tests check.

// Conv2D is a 2-D convolution layer with PyTorch's Conv2d semantics in NHWC
// layout: x [batch, height, width, inC] gives
// y [batch, (height+2·padding−kernel)/stride+1, (width+…)/stride+1, outChannels],
// with zero padding on all four sides and a bias per output channel.
//
// Variables in scope: "weights" [kernel, kernel, inC, outChannels] (HWIO; a
// PyTorch Conv2d weight [outC, inC, kh, kw] maps to it by permuting axes
// (2, 3, 1, 0)) and "biases" [outChannels].
func Conv2D(scope *model.Scope, x *graph.Node, outChannels, kernel, stride, padding int) *graph.Node {
	checkConvArgs("Conv2D", x, outChannels, kernel, stride, padding)
	inC := x.Shape().Dimensions[3]
	wInit, bInit := weightAndBiasInit(scope, kernel*kernel*inC)
	w, b := convVariables(scope, x, wInit, bInit, kernel, inC, outChannels)
	return convolve2D(x, w, b, stride, padding)
}

// ConvTranspose2D is a transposed 2-D convolution layer with PyTorch's
// ConvTranspose2d semantics (output_padding 0, dilation 1) in NHWC layout:
// x [batch, height, width, inC] gives
// y [batch, (height−1)·stride−2·padding+kernel, (width−1)·stride−2·padding+kernel, outChannels];
// k=4, s=2, p=1 doubles the size (7→14→28).
//
// Variables in scope: "weights" [kernel, kernel, inC, outChannels] (a PyTorch
// ConvTranspose2d weight [inC, outC, kh, kw] maps to it by permuting axes
// (2, 3, 0, 1)) and "biases" [outChannels].
func ConvTranspose2D(scope *model.Scope, x *graph.Node, outChannels, kernel, stride, padding int) *graph.Node {
	checkConvArgs("ConvTranspose2D", x, outChannels, kernel, stride, padding)
	inC := x.Shape().Dimensions[3]
	wInit, bInit := weightAndBiasInit(scope, kernel*kernel*outChannels)
	w, b := convVariables(scope, x, wInit, bInit, kernel, inC, outChannels)
	return convolveTranspose2D(x, w, b, stride, padding)
}

// Convolve2D is the computation behind [Conv2D] with explicit parameters:
// x [B, H, W, C] NHWC, kernel [k, k, C, O] HWIO, bias [O] or nil.
func Convolve2D(x, kernel, bias *graph.Node, stride, padding int) *graph.Node {
	checkKernel("Convolve2D", x, kernel, bias, stride, padding)
	return convolve2D(x, kernel, bias, stride, padding)
}

// ConvolveTranspose2D is the computation behind [ConvTranspose2D] with
// explicit parameters: x [B, H, W, C] NHWC, kernel [k, k, C, O], bias [O] or nil.
func ConvolveTranspose2D(x, kernel, bias *graph.Node, stride, padding int) *graph.Node {
	checkKernel("ConvolveTranspose2D", x, kernel, bias, stride, padding)
	return convolveTranspose2D(x, kernel, bias, stride, padding)
}

func checkConvArgs(name string, x *graph.Node, outChannels, kernel, stride, padding int) {
	if x.Rank() != 4 {
		panic(fmt.Sprintf("blocks.%s: x must be NHWC (rank 4), got %s", name, x.Shape()))
	}
	if outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 {
		panic(fmt.Sprintf("blocks.%s: need outChannels, kernel, stride > 0 and padding ≥ 0, got %d, %d, %d, %d",
			name, outChannels, kernel, stride, padding))
	}
}

func checkKernel(name string, x, kernel, bias *graph.Node, stride, padding int) {
	ks := kernel.Shape()
	if ks.Rank() != 4 || ks.Dimensions[0] != ks.Dimensions[1] {
		panic(fmt.Sprintf("blocks.%s: kernel must be [k, k, inC, outC], got %s", name, ks))
	}
	checkConvArgs(name, x, ks.Dimensions[3], ks.Dimensions[0], stride, padding)
	if x.Shape().Dimensions[3] != ks.Dimensions[2] {
		panic(fmt.Sprintf("blocks.%s: x has %d channels but kernel %s expects %d", name, x.Shape().Dimensions[3], ks, ks.Dimensions[2]))
	}
	if bias != nil && (bias.Rank() != 1 || bias.Shape().Dimensions[0] != ks.Dimensions[3]) {
		panic(fmt.Sprintf("blocks.%s: bias must be [%d], got %s", name, ks.Dimensions[3], bias.Shape()))
	}
}

func convVariables(scope *model.Scope, x *graph.Node, wInit, bInit model.VariableInitializer, kernel, inC, outC int) (w, b *graph.Node) {
	g := x.Graph()
	dtype := x.DType()
	w = scope.WithInitializer(wInit).VariableWithShape("weights", shapes.Make(dtype, kernel, kernel, inC, outC)).NodeValue(g)
	b = scope.WithInitializer(bInit).VariableWithShape("biases", shapes.Make(dtype, outC)).NodeValue(g)
	return w, b
}

// ceilDiv returns ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// convolve2D: a stride-s convolution with a k×k kernel equals, after
// space-to-depth by s, a stride-1 convolution with a ⌈k/s⌉×⌈k/s⌉ kernel over
// s·s·C channels. That needs only ⌈k/s⌉² unstrided slices (4 for the DCGAN's
// k=4, s=2, instead of 16 strided ones) and one matmul.
func convolve2D(x, kernel, bias *graph.Node, s, p int) *graph.Node {
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	k, o := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[3]
	ho, wo := (h+2*p-k)/s+1, (w+2*p-k)/s+1
	if h+2*p < k || w+2*p < k {
		panic(fmt.Sprintf("blocks.Conv2D: kernel %d larger than padded input %dx%d (padding %d)", k, h, w, p))
	}
	q := ceilDiv(k, s)
	// Rows needed: s·(ho−1+q), a multiple of s covering every window; rows
	// past the input are zeros, rows the windows never reach are cropped.
	hp, wp := s*(ho-1+q), s*(wo-1+q)
	xp := padAxisWithZeros(x, 1, p, hp-h-p)
	xp = padAxisWithZeros(xp, 2, p, wp-w-p)
	xs := spaceToDepth(xp, s)                // [B, ho−1+q, wo−1+q, s·s·C], channel order (ri, rj, c)
	patches := extractPatches(xs, q, ho, wo) // [B, ho, wo, q·q·s·s·C], order (qi, qj, ri, rj, c)

	// Kernel rows ki = s·qi + ri, zero-extended to s·q, reordered to match.
	kw := padAxisWithZeros(kernel, 0, 0, s*q-k)
	kw = padAxisWithZeros(kw, 1, 0, s*q-k)
	kw = graph.Reshape(kw, q, s, q, s, c, o)
	kw = graph.TransposeAllAxes(kw, 0, 2, 1, 3, 4, 5) // (qi, qj, ri, rj, c, o)
	kw = graph.Reshape(kw, q*q*s*s*c, o)
	y := nn.Dense(patches, kw, bias, compute.DenseLayoutInputOutputs)
	return graph.Reshape(y, batch, ho, wo, o)
}

// convolveTranspose2D uses the sub-pixel decomposition: output row
// oy = s·i + ki − p. Writing ki = s·qi + ri and oy+p = s·m + ri, output
// phase ri of block m gathers x rows i = m − qi, q = ⌈k/s⌉ of them. All s·s
// phases come out of one matmul as s·s·O channels; depth-to-space interleaves
// them and a crop by p gives PyTorch's output. No zero-stuffed input.
//
// Two ways to do the q×q gathering, whichever moves fewer values per pixel:
//   - gather, then multiply (q·q·C values per pixel): extract q×q patches of
//     x and multiply them by the (flipped) kernel — the DCGAN's 7→14 layer;
//   - multiply, then scatter ((s·q)²·O ≈ k·k·O values per pixel): multiply
//     every x pixel by the whole kernel, then add the q·q shifted
//     contributions — the 14→28 layer with one output channel, where patches
//     would be 16× larger.
func convolveTranspose2D(x, kernel, bias *graph.Node, s, p int) *graph.Node {
	k, c, o := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[2], kernel.Shape().Dimensions[3]
	q := ceilDiv(k, s)
	return convolveTranspose2DWith(x, kernel, bias, s, p, s*s*q*q*o < q*q*c)
}

// convolveTranspose2DWith is convolveTranspose2D with the formulation chosen
// by the caller (tests check both).
func convolveTranspose2DWith(x, kernel, bias *graph.Node, s, p int, scatter bool) *graph.Node {
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	k, o := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[3]
	ho, wo := (h-1)*s-2*p+k, (w-1)*s-2*p+k
	if ho <= 0 || wo <= 0 {
		panic(fmt.Sprintf("blocks.ConvTranspose2D: empty output %dx%d (input %dx%d, kernel %d, stride %d, padding %d)",
			ho, wo, h, w, k, s, p))
	}
	q := ceilDiv(k, s)
	hm, wm := h+q-1, w+q-1 // blocks of s output rows/columns before cropping

	// Kernel rows ki = s·qi + ri, zero-extended to s·q.
	kw := padAxisWithZeros(kernel, 0, 0, s*q-k)
	kw = padAxisWithZeros(kw, 1, 0, s*q-k)
	kw = graph.Reshape(kw, q, s, q, s, c, o) // (qi, ri, qj, rj, c, o)

	// The bias is the same for every phase: tile it s·s times so it is added
	// inside the (fused) dense op rather than as a separate pass.
	var phaseBias *graph.Node
	if bias != nil {
		phaseBias = graph.Reshape(graph.BroadcastToDims(graph.Reshape(bias, 1, o), s*s, o), s*s*o)
	}

	var y *graph.Node // [B, hm, wm, s·s·O], phases (ri, rj, o)
	if !scatter {
		xp := padAxisWithZeros(x, 1, q-1, q-1)
		xp = padAxisWithZeros(xp, 2, q-1, q-1)
		patches := extractPatches(xp, q, hm, wm) // [B, hm, wm, q·q·C]; patch a ↔ qi = q−1−a
		kw = reverseBySlices(kw, 0)
		kw = reverseBySlices(kw, 2)
		kw = graph.TransposeAllAxes(kw, 0, 2, 4, 1, 3, 5) // (a, b, c, ri, rj, o)
		kw = graph.Reshape(kw, q*q*c, s*s*o)
		y = nn.Dense(patches, kw, phaseBias, compute.DenseLayoutInputOutputs)
	} else {
		kw = graph.TransposeAllAxes(kw, 4, 0, 2, 1, 3, 5) // (c, qi, qj, ri, rj, o)
		kw = graph.Reshape(kw, c, q*q*s*s*o)
		cols := nn.Dense(x, kw, nil, compute.DenseLayoutInputOutputs) // [B, h, w, q·q·s·s·O]
		cols = graph.Reshape(cols, batch, h, w, q*q, s*s*o)
		// Block (m, n) gets cols[m−qi, n−qj, (qi, qj)]: shift each (qi, qj)
		// part down by qi rows and right by qj columns and add them up.
		for qi := range q {
			for qj := range q {
				part := graph.Reshape(graph.SliceAxis(cols, 3, graph.AxisElem(qi*q+qj)), batch, h, w, s*s*o)
				part = padAxisWithZeros(part, 1, qi, q-1-qi)
				part = padAxisWithZeros(part, 2, qj, q-1-qj)
				if y == nil {
					y = part
				} else {
					y = graph.Add(y, part)
				}
			}
		}
		if phaseBias != nil {
			y = graph.Add(y, graph.Reshape(phaseBias, 1, 1, 1, s*s*o))
		}
	}
	y = graph.Reshape(y, batch, hm, wm, s, s, o)
	y = graph.TransposeAllAxes(y, 0, 1, 3, 2, 4, 5) // [B, hm, s, wm, s, O]
	y = graph.Reshape(y, batch, hm*s, wm*s, o)
	y = graph.SliceAxis(y, 1, graph.AxisRange(p, p+ho))
	return graph.SliceAxis(y, 2, graph.AxisRange(p, p+wo))
}

// padAxisWithZeros adds `before` and `after` zeros along axis; a negative
// amount crops instead. It concatenates constant zeros because graph.Pad has
// no gradient on GoMLX v0.28.2.
func padAxisWithZeros(x *graph.Node, axis, before, after int) *graph.Node {
	if before < 0 {
		x = graph.SliceAxis(x, axis, graph.AxisRange(-before, x.Shape().Dimensions[axis]))
		before = 0
	}
	if after < 0 {
		x = graph.SliceAxis(x, axis, graph.AxisRange(0, x.Shape().Dimensions[axis]+after))
		after = 0
	}
	if before == 0 && after == 0 {
		return x
	}
	zeros := func(n int) *graph.Node {
		d := x.Shape().Clone()
		d.Dimensions[axis] = n
		return graph.Zeros(x.Graph(), d)
	}
	parts := make([]*graph.Node, 0, 3)
	if before > 0 {
		parts = append(parts, zeros(before))
	}
	parts = append(parts, x)
	if after > 0 {
		parts = append(parts, zeros(after))
	}
	return graph.Concatenate(parts, axis)
}

// reverseBySlices reverses x along axis with slices and one Concatenate,
// because graph.Reverse has no gradient on GoMLX v0.28.2. Meant for the
// small kernel axes only.
func reverseBySlices(x *graph.Node, axis int) *graph.Node {
	n := x.Shape().Dimensions[axis]
	if n == 1 {
		return x
	}
	parts := make([]*graph.Node, n)
	for i := range n {
		parts[i] = graph.SliceAxis(x, axis, graph.AxisElem(n-1-i))
	}
	return graph.Concatenate(parts, axis)
}

// spaceToDepth turns [B, H, W, C] (H, W multiples of s) into
// [B, H/s, W/s, s·s·C] with channel order (ri, rj, c).
func spaceToDepth(x *graph.Node, s int) *graph.Node {
	if s == 1 {
		return x
	}
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	x = graph.Reshape(x, b, h/s, s, w/s, s, c)
	x = graph.TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	return graph.Reshape(x, b, h/s, w/s, s*s*c)
}

// extractPatches gathers the q×q stride-1 windows of x [B, H, W, D] at the
// first ho×wo positions into [B, ho, wo, q·q·D], feature order (a, b, d) for
// window offset (a, b).
func extractPatches(x *graph.Node, q, ho, wo int) *graph.Node {
	if q == 1 {
		if d := x.Shape().Dimensions; d[1] != ho {
			x = graph.SliceAxis(x, 1, graph.AxisRange(0, ho))
		}
		if d := x.Shape().Dimensions; d[2] != wo {
			x = graph.SliceAxis(x, 2, graph.AxisRange(0, wo))
		}
		return x
	}
	parts := make([]*graph.Node, 0, q*q)
	for a := range q {
		rows := graph.SliceAxis(x, 1, graph.AxisRange(a, a+ho))
		for b := range q {
			parts = append(parts, graph.SliceAxis(rows, 2, graph.AxisRange(b, b+wo)))
		}
	}
	return graph.Concatenate(parts, 3)
}
