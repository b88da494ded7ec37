package dcgan

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/ganbook/ganbook/gan/blocks"
)

func (t Tensor) tensor() *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(t.Data, t.Dims[:]...)
}

func (w Kernel) tensor() *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(w.Data, w.K, w.K, w.In, w.Out)
}

func fromTensor(t *tensors.Tensor) (Tensor, error) {
	dims := t.Shape().Dimensions
	if len(dims) != 4 {
		return Tensor{}, fmt.Errorf("dcgan: result of shape %s is not NHWC", t.Shape())
	}
	data, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return Tensor{}, err
	}
	return Tensor{Data: data, Dims: [4]int{dims[0], dims[1], dims[2], dims[3]}}, nil
}

// ConvTransposeLayer runs ganbook's transposed convolution,
// blocks.ConvolveTranspose2D (the DCGAN generator's upsampling, built from
// matmuls), on x with kernel w and no bias.
func ConvTransposeLayer(backend compute.Backend, x Tensor, w Kernel, stride, padding int) (Tensor, error) {
	exec, err := graph.NewExec(backend, func(x, w *graph.Node) *graph.Node {
		return blocks.ConvolveTranspose2D(x, w, nil, stride, padding)
	})
	if err != nil {
		return Tensor{}, err
	}
	out, err := exec.Call(x.tensor(), w.tensor())
	if err != nil {
		return Tensor{}, err
	}
	return fromTensor(out[0])
}

// AdjointConvLayer runs ganbook's convolution, blocks.Convolve2D (the
// discriminator's downsampling), on x with w's input and output channels
// swapped: the convolution whose adjoint ConvTransposeLayer with w is.
func AdjointConvLayer(backend compute.Backend, x Tensor, w Kernel, stride, padding int) (Tensor, error) {
	exec, err := graph.NewExec(backend, func(x, w *graph.Node) *graph.Node {
		return blocks.Convolve2D(x, graph.TransposeAllAxes(w, 0, 1, 3, 2), nil, stride, padding)
	})
	if err != nil {
		return Tensor{}, err
	}
	out, err := exec.Call(x.tensor(), w.tensor())
	if err != nil {
		return Tensor{}, err
	}
	return fromTensor(out[0])
}

// ConvInputGradient is ∂⟨conv(y), x⟩/∂y by GoMLX's autodiff, for the
// convolution of AdjointConvLayer: the gradient a convolution sends back to
// its input, which is the transposed convolution of x.
func ConvInputGradient(backend compute.Backend, y, x Tensor, w Kernel, stride, padding int) (Tensor, error) {
	exec, err := graph.NewExec(backend, func(y, x, w *graph.Node) *graph.Node {
		conv := blocks.Convolve2D(y, graph.TransposeAllAxes(w, 0, 1, 3, 2), nil, stride, padding)
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(conv, x)), y)[0]
	})
	if err != nil {
		return Tensor{}, err
	}
	out, err := exec.Call(y.tensor(), x.tensor(), w.tensor())
	if err != nil {
		return Tensor{}, err
	}
	return fromTensor(out[0])
}
