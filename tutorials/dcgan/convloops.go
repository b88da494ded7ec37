package dcgan

import "fmt"

// Tensor is a float32 NHWC tensor: Dims = [batch, height, width, channels].
type Tensor struct {
	Data []float32
	Dims [4]int
}

// NewTensor is a zero tensor of the given dimensions.
func NewTensor(b, h, w, c int) Tensor {
	return Tensor{Data: make([]float32, b*h*w*c), Dims: [4]int{b, h, w, c}}
}

func (t Tensor) index(b, i, j, c int) int {
	return ((b*t.Dims[1]+i)*t.Dims[2]+j)*t.Dims[3] + c
}

// At is the value at batch b, row i, column j, channel c.
func (t Tensor) At(b, i, j, c int) float32 { return t.Data[t.index(b, i, j, c)] }

// Kernel is a convolution kernel [k, k, in, out] (HWIO, ganbook's layout).
type Kernel struct {
	Data       []float32
	K, In, Out int
}

func (w Kernel) at(ki, kj, c, o int) float32 { return w.Data[((ki*w.K+kj)*w.In+c)*w.Out+o] }

// TransposedOutputSize is the side of a transposed convolution's output:
// (in − 1)·stride − 2·padding + kernel (PyTorch's ConvTranspose2d, output padding 0).
func TransposedOutputSize(in, kernel, stride, padding int) int {
	return (in-1)*stride - 2*padding + kernel
}

// ConvOutputSize is the side of a convolution's output:
// ⌊(in + 2·padding − kernel)/stride⌋ + 1.
func ConvOutputSize(in, kernel, stride, padding int) int {
	return (in+2*padding-kernel)/stride + 1
}

// ConvTransposeLoops is the transposed convolution by its definition, as
// plain loops: every input value x[b, i, j, c] adds the kernel slice
// w[·, ·, c, o], scaled by it, to the output window whose top-left corner is
// (stride·i − padding, stride·j − padding); what falls outside is cut off.
// The kernel is not flipped (PyTorch's ConvTranspose2d).
func ConvTransposeLoops(x Tensor, w Kernel, stride, padding int) (Tensor, error) {
	if x.Dims[3] != w.In {
		return Tensor{}, fmt.Errorf("dcgan: input has %d channels, the kernel takes %d", x.Dims[3], w.In)
	}
	ho := TransposedOutputSize(x.Dims[1], w.K, stride, padding)
	wo := TransposedOutputSize(x.Dims[2], w.K, stride, padding)
	y := NewTensor(x.Dims[0], ho, wo, w.Out)
	for b := range x.Dims[0] {
		for i := range x.Dims[1] {
			for j := range x.Dims[2] {
				for c := range x.Dims[3] {
					v := x.At(b, i, j, c)
					for ki := range w.K {
						for kj := range w.K {
							oi, oj := stride*i-padding+ki, stride*j-padding+kj
							if oi < 0 || oi >= ho || oj < 0 || oj >= wo {
								continue
							}
							for o := range w.Out {
								y.Data[y.index(b, oi, oj, o)] += v * w.at(ki, kj, c, o)
							}
						}
					}
				}
			}
		}
	}
	return y, nil
}

// ConvLoops is the convolution (cross-correlation, as PyTorch's Conv2d) by
// its definition with the kernel read the other way round: y[b, i, j, c] =
// Σ x[b, stride·i − padding + ki, stride·j − padding + kj, o] · w[ki, kj, c, o],
// zero outside x. It maps w.Out channels to w.In: the convolution of which
// ConvTransposeLoops with the same w is the adjoint.
func ConvLoops(x Tensor, w Kernel, stride, padding int) (Tensor, error) {
	if x.Dims[3] != w.Out {
		return Tensor{}, fmt.Errorf("dcgan: input has %d channels, the adjoint kernel takes %d", x.Dims[3], w.Out)
	}
	ho := ConvOutputSize(x.Dims[1], w.K, stride, padding)
	wo := ConvOutputSize(x.Dims[2], w.K, stride, padding)
	y := NewTensor(x.Dims[0], ho, wo, w.In)
	for b := range x.Dims[0] {
		for i := range ho {
			for j := range wo {
				for c := range w.In {
					var s float32
					for ki := range w.K {
						for kj := range w.K {
							xi, xj := stride*i-padding+ki, stride*j-padding+kj
							if xi < 0 || xi >= x.Dims[1] || xj < 0 || xj >= x.Dims[2] {
								continue
							}
							for o := range w.Out {
								s += x.At(b, xi, xj, o) * w.at(ki, kj, c, o)
							}
						}
					}
					y.Data[y.index(b, i, j, c)] = s
				}
			}
		}
	}
	return y, nil
}

// Dot is the inner product of two equally long vectors, summed in float64.
func Dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
