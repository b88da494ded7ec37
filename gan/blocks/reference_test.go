package blocks

import "math"

// Plain-Go float64 references written from the definitions with direct
// loops, independent of the graph formulations they check. Layouts: x NHWC
// [b, h, w, c], kernels HWIO [k, k, inC, outC], all row-major.

// refConv2D is PyTorch's Conv2d: y[n,oy,ox,o] = bias[o] +
// Σ_{ky,kx,c} x[n, oy·s+ky−p, ox·s+kx−p, c]·w[ky,kx,c,o], x outside = 0.
func refConv2D(x []float64, n, h, w, c int, kern []float64, k, o int, bias []float64, s, p int) (y []float64, ho, wo int) {
	ho, wo = (h+2*p-k)/s+1, (w+2*p-k)/s+1
	y = make([]float64, n*ho*wo*o)
	for b := range n {
		for oy := range ho {
			for ox := range wo {
				for oc := range o {
					sum := 0.0
					if bias != nil {
						sum = bias[oc]
					}
					for ky := range k {
						iy := oy*s + ky - p
						if iy < 0 || iy >= h {
							continue
						}
						for kx := range k {
							ix := ox*s + kx - p
							if ix < 0 || ix >= w {
								continue
							}
							for ic := range c {
								sum += x[((b*h+iy)*w+ix)*c+ic] * kern[((ky*k+kx)*c+ic)*o+oc]
							}
						}
					}
					y[((b*ho+oy)*wo+ox)*o+oc] = sum
				}
			}
		}
	}
	return y, ho, wo
}

// refConvTranspose2D is PyTorch's ConvTranspose2d (output_padding 0): every
// input pixel scatters x[n,iy,ix,c]·w[ky,kx,c,o] to output (iy·s+ky−p, ix·s+kx−p).
func refConvTranspose2D(x []float64, n, h, w, c int, kern []float64, k, o int, bias []float64, s, p int) (y []float64, ho, wo int) {
	ho, wo = (h-1)*s-2*p+k, (w-1)*s-2*p+k
	y = make([]float64, n*ho*wo*o)
	for b := range n {
		if bias != nil {
			for i := range ho * wo {
				for oc := range o {
					y[(b*ho*wo+i)*o+oc] = bias[oc]
				}
			}
		}
		for iy := range h {
			for ix := range w {
				for ky := range k {
					oy := iy*s + ky - p
					if oy < 0 || oy >= ho {
						continue
					}
					for kx := range k {
						ox := ix*s + kx - p
						if ox < 0 || ox >= wo {
							continue
						}
						for ic := range c {
							v := x[((b*h+iy)*w+ix)*c+ic]
							for oc := range o {
								y[((b*ho+oy)*wo+ox)*o+oc] += v * kern[((ky*k+kx)*c+ic)*o+oc]
							}
						}
					}
				}
			}
		}
	}
	return y, ho, wo
}

// refBatchNormTrain normalises x [rows, f] (rows = every axis but the last)
// with its per-feature batch mean and biased variance. It also returns the
// mean and the unbiased variance, which PyTorch folds into running_var.
func refBatchNormTrain(x []float64, rows, f int, gamma, beta []float64, eps float64) (y, mean, unbiasedVar []float64) {
	y = make([]float64, len(x))
	mean = make([]float64, f)
	unbiasedVar = make([]float64, f)
	for j := range f {
		m := 0.0
		for i := range rows {
			m += x[i*f+j]
		}
		m /= float64(rows)
		ss := 0.0
		for i := range rows {
			d := x[i*f+j] - m
			ss += d * d
		}
		v := ss / float64(rows)
		for i := range rows {
			y[i*f+j] = (x[i*f+j]-m)/math.Sqrt(v+eps)*gamma[j] + beta[j]
		}
		mean[j] = m
		unbiasedVar[j] = ss / float64(rows-1)
	}
	return y, mean, unbiasedVar
}

// refBatchNormInfer normalises x [rows, f] with given statistics.
func refBatchNormInfer(x []float64, rows, f int, gamma, beta, mean, variance []float64, eps float64) []float64 {
	y := make([]float64, len(x))
	for i := range rows {
		for j := range f {
			y[i*f+j] = (x[i*f+j]-mean[j])/math.Sqrt(variance[j]+eps)*gamma[j] + beta[j]
		}
	}
	return y
}
