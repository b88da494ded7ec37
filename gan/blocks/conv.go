package blocks

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Why the convolutions here are built from matmuls instead of GoMLX's
// graph.Convolve (GoMLX v0.28.2, go backend):
//   - the input gradient of graph.Convolve is wrong for even kernel sizes
//     (k=4, the DCGAN's kernel); for k=3 and k=5 it agrees with finite
//     differences, and the kernel gradient is right for all three
//     (TestStockConvolveInputGradient);
//   - graph.Convolve is 40× slower or more there than patches plus a matmul,
//     forward+backward at the DCGAN discriminator's shapes
//     (BenchmarkConv2DDiscLayer1, BenchmarkConv2DDiscLayer2);
//   - there is no transposed convolution op at all.
//
// Both layers are built from matmuls only (plus Reshape and Concatenate):
//   - im2col gathers the k×k windows of the zero-padded input. For each
//     kernel row ki it selects the input rows s·i+ki−p (a batched matmul
//     with a constant 0/1 matrix), then the (column, kernel column) pairs
//     s·j+kj−p of those rows (another one): [B·ho·wo, k·C] with features
//     (kj, c), which is the HWIO kernel row ki reshaped. Rows or columns
//     outside the input select nothing: that is the zero padding. With
//     stride 2 the column windows of the even and the odd rows are selected
//     apart, and the kernel rows that read them unshifted (two of a 4×4
//     kernel's four) need no row selection;
//   - col2im is its adjoint, the same selections transposed: it adds every
//     window entry back at its input position.
// The go backend copies a strided Slice value by value (≈3 ns each here) and
// transposes element by element; these selections go through the matmul
// kernel (ganbook's adds up the rows they select, internal/gemm) and
// need no Pad (no gradient in GoMLX v0.28.2) nor any crop. A selection
// multiplies each value by 1 and adds exact zeros, so the result is exact
// for finite inputs (multiplied out, with GoMLX's kernels, an Inf or NaN
// spreads to its neighbours' sums, which only matters once training has
// already diverged).
//
// Conv2D is im2col then a matmul (one per kernel row, or one over the
// concatenated rows when the window has few channels, see joinKernelRows);
// ConvTranspose2D, the adjoint, is the matmul(s) then col2im. Their backward passes
// are written out (withCustomVJP): each one's input gradient is the other's
// forward, and the kernel gradient is a matmul contracting the rows of both
// operands: ganbook's kernel reads them in place, and with GoMLX's own kernels
// the smaller operand is transposed. The go backend's autodiff would instead
// transpose the [B·ho·wo, k·k·C] patches, value by value.
//
// The finite-difference tests check every gradient (kernel sizes 3, 4, 5);
// TestBackwardPassesUseFastOps checks that no slow op comes back.
//
// These graphs have several matmuls ready at once: on the go backend, use
// parallelism=-1 (gan.NewBackend does) or ops_sequential, because GoMLX
// v0.28.2's default bounded worker pool deadlocks when more matmuls are ready
// than it has workers.

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

// convGeometry is a convolution (PyTorch's Conv2d semantics) of kernel k,
// stride s and zero padding p from an h×w input to an ho×wo output; a
// transposed convolution is the same geometry read backwards.
type convGeometry struct{ k, s, p, h, w, ho, wo int }

// selectionConst is the constant [batch, out, in] 0/1 tensor of dtype, the
// same for every batch entry, with a 1 where sel(o, i).
func selectionConst(g *graph.Graph, dtype dtypes.DType, batch, out, in int, sel func(o, i int) bool) *graph.Node {
	switch dtype {
	case dtypes.Float32:
		return graph.Const(g, tensors.FromFlatDataAndDimensions(selectionData[float32](batch, out, in, sel), batch, out, in))
	case dtypes.Float64:
		return graph.Const(g, tensors.FromFlatDataAndDimensions(selectionData[float64](batch, out, in, sel), batch, out, in))
	}
	c := graph.Const(g, tensors.FromFlatDataAndDimensions(selectionData[float32](batch, out, in, sel), batch, out, in))
	return graph.ConvertDType(c, dtype)
}

func selectionData[T float32 | float64](batch, out, in int, sel func(o, i int) bool) []T {
	data := make([]T, batch*out*in)
	for o := range out {
		for i := range in {
			if sel(o, i) {
				data[o*in+i] = 1
			}
		}
	}
	for b := 1; b < batch; b++ {
		copy(data[b*out*in:], data[:out*in])
	}
	return data
}

// Selections for a geometry: row (i, ki) ← input row s·i+ki−p and (j, kj) ←
// input column s·j+kj−p.
func (g convGeometry) rowOf(i, ki int) int { return g.s*i + ki - g.p }

// batchedSelect contracts axis 1 of x [batch, in, n] with sel [batch, out, in]:
// [batch, out, n], one small row-major matmul per batch entry.
func batchedSelect(sel, x *graph.Node) *graph.Node {
	return graph.DotGeneral(sel, []int{2}, []int{0}, x, []int{1}, []int{0})
}

// im2colRows returns, for each kernel row ki, the windows of x [B, h, w, C]
// at kernel row ki: [B·ho·wo, k·C] with features (kj, c). It selects the
// (output column, kernel column) pairs once, then for each ki the rows
// (im2colRowsByParity: for two of a 4×4 kernel's four, none).
func im2colRows(x *graph.Node, g convGeometry) []*graph.Node {
	gr, dt := x.Graph(), x.DType()
	d := x.Shape().Dimensions
	batch, c := d[0], d[3]
	if byParity && c > 1 && g.s == 2 && g.h%2 == 0 && g.ho == g.h/2 {
		return im2colRowsByParity(x, g)
	}
	// (j, kj) ← column s·j+kj−p: [B, h, wo·k·C].
	var cols *graph.Node
	if c == 1 { // columns are the last axis: a plain matmul on the right
		sel := graph.Reshape(selectionConst(gr, dt, 1, g.w, g.wo*g.k, func(w, jk int) bool { return w == g.s*(jk/g.k)+jk%g.k-g.p }), g.w, g.wo*g.k)
		cols = matMul(graph.Reshape(x, batch*g.h, g.w), sel)
	} else {
		sel := selectionConst(gr, dt, batch*g.h, g.wo*g.k, g.w, func(jk, w int) bool { return w == g.s*(jk/g.k)+jk%g.k-g.p })
		cols = batchedSelect(sel, graph.Reshape(x, batch*g.h, g.w, c))
	}
	cols = graph.Reshape(cols, batch, g.h, g.wo*g.k*c)
	out := make([]*graph.Node, g.k)
	for ki := range g.k {
		rowSel := selectionConst(gr, dt, batch, g.ho, g.h, func(i, h int) bool { return h == g.rowOf(i, ki) })
		out[ki] = graph.Reshape(batchedSelect(rowSel, cols), batch*g.ho*g.wo, g.k*c)
	}
	return out
}

// im2colRowsByParity is im2colRows for stride 2 over an even number of rows
// h = 2·ho. Kernel row ki reads input row 2i+ki−p = 2(i+d)+q for output row
// i: the rows of one parity q, shifted by d. It selects the column windows of
// the even and of the odd rows apart ([B·ho, wo·k, C] each); the kernel rows
// with d = 0 are those selections as they are, and only the others need a
// selection of rows (i ← i+d, none outside). Every value is the column
// selection's +0 plus the input value, as in im2colRows' general path: the
// same bits.
func im2colRowsByParity(x *graph.Node, g convGeometry) []*graph.Node {
	gr, dt := x.Graph(), x.DType()
	d := x.Shape().Dimensions
	batch, c := d[0], d[3]
	pairs := graph.Reshape(x, batch*g.ho, 2*g.w, c) // rows (i, parity) side by side
	var parity [2]*graph.Node                       // [B, ho, wo·k·C]
	for q := range parity {
		sel := selectionConst(gr, dt, batch*g.ho, g.wo*g.k, 2*g.w, func(jk, qw int) bool {
			return qw/g.w == q && qw%g.w == g.s*(jk/g.k)+jk%g.k-g.p
		})
		parity[q] = graph.Reshape(batchedSelect(sel, pairs), batch, g.ho, g.wo*g.k*c)
	}
	out := make([]*graph.Node, g.k)
	for ki := range g.k {
		q := ((ki-g.p)%2 + 2) % 2
		shift := (ki - g.p - q) / 2
		rows := parity[q]
		if shift != 0 {
			rowSel := selectionConst(gr, dt, batch, g.ho, g.ho, func(i, t int) bool { return t == i+shift })
			rows = batchedSelect(rowSel, rows)
		}
		out[ki] = graph.Reshape(rows, batch*g.ho*g.wo, g.k*c)
	}
	return out
}

// byParity lets im2colRows take im2colRowsByParity where it applies; a
// test switches it off to compare.
var byParity = true

// col2imRows is the adjoint of im2colRows: given, for each kernel row ki,
// [B·ho·wo, k·C] blocks (features (kj, c)), it returns [B, h, w, C] with
// every entry added at the input position its window covers.
//
// A non-nil bias [C] is added to every output position inside the last
// selection (an extra row of the bias tiled along w, selected with weight 1
// by every output row), saving two passes over the output.
func col2imRows(blocks []*graph.Node, batch int, g convGeometry, bias *graph.Node) *graph.Node {
	b0 := blocks[0]
	gr, dt := b0.Graph(), b0.DType()
	c := b0.Shape().Dimensions[1] / g.k
	var colSel *graph.Node // column w ← (j, kj) with w = s·j+kj−p
	if c == 1 {
		colSel = graph.Reshape(selectionConst(gr, dt, 1, g.wo*g.k, g.w, func(jk, w int) bool { return w == g.s*(jk/g.k)+jk%g.k-g.p }), g.wo*g.k, g.w)
	} else {
		colSel = selectionConst(gr, dt, batch*g.ho, g.w, g.wo*g.k, func(w, jk int) bool { return w == g.s*(jk/g.k)+jk%g.k-g.p })
	}
	rows := make([]*graph.Node, g.k)
	for ki, blk := range blocks {
		var z *graph.Node
		if c == 1 {
			z = matMul(graph.Reshape(blk, batch*g.ho, g.wo*g.k), colSel)
		} else {
			z = batchedSelect(colSel, graph.Reshape(blk, batch*g.ho, g.wo*g.k, c))
		}
		rows[ki] = graph.Reshape(z, batch, g.ho, g.w*c)
	}
	// Row h ← (ki, i) with h = s·i+ki−p, summing over both in one selection.
	n := g.k * g.ho
	if bias != nil {
		tiled := graph.Reshape(broadcastRows(bias, g.w), 1, g.w*c)                       // [1, w·C]
		rows = append(rows, graph.Reshape(broadcastRows(tiled, batch), batch, 1, g.w*c)) // [B, 1, w·C]
	}
	all := rows[0]
	if len(rows) > 1 {
		all = graph.Concatenate(rows, 1) // [B, k·ho (+1), w·C], rows (ki, i) (then the bias)
	}
	rowSel := selectionConst(gr, dt, batch, g.h, n+len(rows)-g.k, func(h, r int) bool { return r == n || h == g.rowOf(r%g.ho, r/g.ho) })
	return graph.Reshape(batchedSelect(rowSel, all), batch, g.h, g.w, c)
}

// kernelMatrix is kernel [k, k, C, O] as [k·k·C, O] (rows (ki, kj, c)).
func kernelMatrix(kernel *graph.Node) *graph.Node {
	d := kernel.Shape().Dimensions
	return graph.Reshape(kernel, d[0]*d[1]*d[2], d[3])
}

// kernelRow is kernel [k, k, C, O] at row ki as [k·C, O] (rows (kj, c)).
func kernelRow(kernel *graph.Node, ki int) *graph.Node {
	d := kernel.Shape().Dimensions
	return graph.Reshape(graph.SliceAxis(kernel, 0, graph.AxisElem(ki)), d[1]*d[2], d[3])
}

// kernelColumns is kernel [k, k, C, O] as [C, k·k·O] (columns (ki, kj, o)).
func kernelColumns(kernel *graph.Node) *graph.Node {
	d := kernel.Shape().Dimensions
	return graph.Reshape(graph.TransposeAllAxes(kernel, 2, 0, 1, 3), d[2], d[0]*d[1]*d[3])
}

// kernelRowT is kernel [k, k, C, O] at row ki as [C, k·O] (columns (kj, o)).
func kernelRowT(kernel *graph.Node, ki int) *graph.Node {
	d := kernel.Shape().Dimensions
	r := graph.Reshape(graph.SliceAxis(kernel, 0, graph.AxisElem(ki)), d[1], d[2], d[3])
	return graph.Reshape(graph.TransposeAllAxes(r, 1, 0, 2), d[2], d[1]*d[3])
}

// kernelFromColumns is the inverse of kernelColumns: [C, k·k·O] → [k, k, C, O].
func kernelFromColumns(cols *graph.Node, k, c, o int) *graph.Node {
	return graph.TransposeAllAxes(graph.Reshape(cols, c, k, k, o), 1, 2, 0, 3)
}

// splitColumns cuts x [n, parts·w] into parts blocks [n, w].
func splitColumns(x *graph.Node, parts int) []*graph.Node {
	w := x.Shape().Dimensions[1] / parts
	out := make([]*graph.Node, parts)
	for i := range out {
		out[i] = graph.SliceAxis(x, 1, graph.AxisRange(i*w, (i+1)*w))
	}
	return out
}

// sumAll adds up the nodes (same shape).
func sumAll(xs []*graph.Node) *graph.Node {
	acc := xs[0]
	for _, x := range xs[1:] {
		acc = graph.Add(acc, x)
	}
	return acc
}

// joinKernelRows says whether a convolution's k per-kernel-row window blocks
// ([n, k·cWin] each) should be concatenated and multiplied once rather than
// multiplied one by one with the k products ([n, cOther] each) summed: the
// cheaper of copying n·k·k·cWin values or adding (k−1)·n·cOther. With few
// window channels (one for the image, e.g.) the matmuls would also be too
// thin for the backend's SIMD kernels.
func joinKernelRows(k, cWin, cOther int) bool {
	return k*k*cWin <= (k-1)*cOther
}

// convolve2D: y = im2col(x)·W + b with W the HWIO kernel as [k·k·C, O],
// either as one matmul or as one per kernel row (see joinKernelRows).
func convolve2D(x, kernel, bias *graph.Node, s, p int) *graph.Node {
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	k, o := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[3]
	if h+2*p < k || w+2*p < k {
		panic(fmt.Sprintf("blocks.Conv2D: kernel %d larger than padded input %dx%d (padding %d)", k, h, w, p))
	}
	g := convGeometry{k: k, s: s, p: p, h: h, w: w, ho: (h+2*p-k)/s + 1, wo: (w+2*p-k)/s + 1}
	rows := batch * g.ho * g.wo
	join := joinKernelRows(k, c, o)
	inputs := []*graph.Node{x, kernel}
	if bias != nil {
		inputs = append(inputs, bias)
	}
	var patches []*graph.Node // of the live forward: one [rows, k·k·C], or k [rows, k·C]
	forward := func(in []*graph.Node, _ bool) *graph.Node {
		patches = im2colRows(in[0], g)
		var b *graph.Node
		if len(in) > 2 {
			b = in[2]
		}
		if join {
			patches = []*graph.Node{graph.Concatenate(patches, 1)}
			return graph.Reshape(denseMatMul(patches[0], kernelMatrix(in[1]), b), batch, g.ho, g.wo, o)
		}
		terms := make([]*graph.Node, k)
		for ki, pk := range patches {
			if ki == 0 {
				terms[ki] = denseMatMul(pk, kernelRow(in[1], ki), b)
			} else {
				terms[ki] = matMul(pk, kernelRow(in[1], ki))
			}
		}
		return graph.Reshape(sumAll(terms), batch, g.ho, g.wo, o)
	}
	return withCustomVJP(inputs, forward, func(v *graph.Node) []*graph.Node {
		v2 := graph.Reshape(v, rows, o)
		var dx, dKernel *graph.Node
		if join {
			dPatches := matMulTransposedRHS(v2, kernelMatrix(kernel)) // [rows, k·k·C]
			dx = col2imRows(splitColumns(dPatches, k), batch, g, nil)
			dKernel = matMulTransposedLHS(patches[0], v2)
		} else {
			dPatches := make([]*graph.Node, k)
			for ki := range k {
				dPatches[ki] = matMulTransposedRHS(v2, kernelRow(kernel, ki))
			}
			dx = col2imRows(dPatches, batch, g, nil)
			if transposedLHSReadInPlace(patches[0], v2) {
				dKernelRows := make([]*graph.Node, k) // [k·C, O] each
				for ki := range k {
					dKernelRows[ki] = matMulTransposedLHS(patches[ki], v2)
				}
				dKernel = graph.Concatenate(dKernelRows, 0)
			} else {
				vT := transpose2D(v2)              // [O, rows], shared by the k kernel rows
				dKernelT := make([]*graph.Node, k) // [O, k·C] each
				for ki := range k {
					dKernelT[ki] = matMul(vT, patches[ki])
				}
				dKernel = transpose2D(graph.Concatenate(dKernelT, 1))
			}
		}
		grads := []*graph.Node{dx, graph.Reshape(dKernel, k, k, c, o)}
		if bias != nil {
			grads = append(grads, sumRows(v2))
		}
		return grads
	})
}

// denseMatMul is a·b + bias (bias may be nil) for a [n, k], b [k, m], the
// bias added as rowOperand gives it: the backend's fused dense op adds it
// with an integer division per value (index mod m), which costs more.
// Callers write the gradient out.
func denseMatMul(a, b, bias *graph.Node) *graph.Node {
	y := matMulNarrow(a, b)
	if bias == nil {
		return y
	}
	return graph.Add(y, rowOperand(y, bias))
}

// convolveTranspose2D: y = col2im(x·Wᵗ) + b, the adjoint of convolve2D's
// im2col, with Wᵗ the kernel as [C, k·k·O] (columns (ki, kj, o)); as one
// matmul or one per kernel row (see joinKernelRows).
func convolveTranspose2D(x, kernel, bias *graph.Node, s, p int) *graph.Node {
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	k, o := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[3]
	ho, wo := (h-1)*s-2*p+k, (w-1)*s-2*p+k
	if ho <= 0 || wo <= 0 {
		panic(fmt.Sprintf("blocks.ConvTranspose2D: empty output %dx%d (input %dx%d, kernel %d, stride %d, padding %d)",
			ho, wo, h, w, k, s, p))
	}
	// The convolution this one is the adjoint of: from ho×wo down to h×w.
	g := convGeometry{k: k, s: s, p: p, h: ho, w: wo, ho: h, wo: w}
	rows, outRows := batch*h*w, batch*ho*wo
	join := joinKernelRows(k, o, c)
	inputs := []*graph.Node{x, kernel}
	if bias != nil {
		inputs = append(inputs, bias)
	}
	forward := func(in []*graph.Node, _ bool) *graph.Node {
		x2 := graph.Reshape(in[0], rows, c)
		var blocks []*graph.Node
		if join {
			blocks = splitColumns(matMulNarrow(x2, kernelColumns(in[1])), k)
		} else {
			blocks = make([]*graph.Node, k)
			for ki := range k {
				blocks[ki] = matMul(x2, kernelRowT(in[1], ki))
			}
		}
		var b *graph.Node
		if len(in) > 2 {
			b = in[2]
		}
		return col2imRows(blocks, batch, g, b)
	}
	return withCustomVJP(inputs, forward, func(v *graph.Node) []*graph.Node {
		dBlocks := im2colRows(v, g) // [rows, k·O] each
		x2 := graph.Reshape(x, rows, c)
		var dx, dKernel *graph.Node
		if join {
			dCols := graph.Concatenate(dBlocks, 1) // [rows, k·k·O]
			dx = matMulTransposedRHS(dCols, kernelColumns(kernel))
			dKernel = kernelFromColumns(matMulTransposedLHS(x2, dCols), k, c, o)
		} else {
			// x2ᵀ·db: x2 read in place where the backend can, else one
			// transpose shared by the k kernel rows.
			xTdb := func(db *graph.Node) *graph.Node { return matMulTransposedLHS(x2, db) }
			if !transposedLHSReadInPlace(x2, dBlocks[0]) {
				xT := transpose2D(x2) // [C, rows]
				xTdb = func(db *graph.Node) *graph.Node { return matMul(xT, db) }
			}
			dxTerms := make([]*graph.Node, k)
			dKernelRows := make([]*graph.Node, k)
			for ki, db := range dBlocks {
				dxTerms[ki] = matMulTransposedRHS(db, kernelRowT(kernel, ki))
				// [C, k·O] → [1, k, C, O]
				dKernelRows[ki] = graph.Reshape(graph.TransposeAllAxes(graph.Reshape(xTdb(db), c, k, o), 1, 0, 2), 1, k, c, o)
			}
			dx = sumAll(dxTerms)
			dKernel = graph.Concatenate(dKernelRows, 0)
		}
		grads := []*graph.Node{graph.Reshape(dx, batch, h, w, c), dKernel}
		if bias != nil {
			grads = append(grads, sumRows(graph.Reshape(v, outRows, o)))
		}
		return grads
	})
}
