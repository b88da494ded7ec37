// Package vecmath evaluates element-wise functions over float32 slices with
// AVX-512 where the build and the CPU allow it, for the go backend (see
// gan/fastkernels.go). GoMLX v0.28.2's go backend computes each value in
// float64 with math.Exp, one at a time; the MLP generator's output sigmoid
// alone then cost ~9 % of a training step. Add, Mul, Sub, Max and Min
// replace its value-by-value float32 loops for same-shape and scalar operands
// (the compute patch also calls them once per row of a row broadcast; Add
// and Mul were about a sixth of a DCGAN training step, Max and Min, mostly
// the LeakyReLU's slope, about a twentieth: BenchmarkAddMul), and Sign its
// branch per value (LeakyReLU's slope is max(sign(x), α)), and Tanh its
// math.Tanh call per value (the DCGAN generator's output: about 3 % of a
// DCGAN step's CPU time); all give the same bits as GoMLX's loops (Max and
// Min up to which NaN).
//
// SumRows adds up rows picked by index, 16 values at a time: internal/gemm's
// products by a 0/1 selection matrix (the convolutions' im2col and col2im),
// with the micro-kernel's bits.
//
// Accuracy: Sigmoid is within 3 float32 ulps of the exactly rounded value
// (tested over a dense sweep against float64), NaN stays NaN. Tanh is
// math.Tanh's float64 algorithm (and amd64 math.Exp's), operation for
// operation, rounded to float32: equal to float32(math.Tanh(float64(x)))
// for all 2³² inputs (TestTanhMatchesMathTanh with VECMATH_TANH_ALL=1).
//
// Every vectorized loop ends with VZEROUPPER (leaveSIMD): Go's compiler does
// not emit it after archsimd code, and until it runs, every SSE instruction
// the thread executes, which is all of Go's scalar floating-point code, pays
// the CPU's AVX-to-SSE transition penalty (math.Exp about 100× slower on an
// Intel Xeon: BenchmarkScalarAfterSIMD).
package vecmath
