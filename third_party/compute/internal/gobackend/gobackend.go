// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

// Package gobackend implements a [compute.Backend] using Go only.
//
// Its main goal is portability, and not be a state-of-the art ML backend.
//
// It also serves as a reference implementation for the [compute.Backend] interface.
//
// It only implements the most popular dtypes and operations.
// But generally, it's easy to add new ops, if you need, just open an issue in GoMLX.
package gobackend

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend/workerspool"
	"github.com/gomlx/compute/notimplemented"
	"github.com/gomlx/compute/support/xslices"
	"github.com/pkg/errors"
)

// Registers the various generics function instances.
//go:generate go run ../../internal/cmd/gobackend_dtypemap

// BackendName to be used in GOMLX_BACKEND to specify this backend.
const BackendName = "go"

// Registers New() as the default constructor for "go" backend.
func init() {
	compute.Register(BackendName, New)
}

// KnownOptionsSetters registers handlers for backend configuration options.
// These allow any sub-package to register option setters.
//
// The key is the name of the option: it can't take any values yet.
var KnownOptionsSetters = make(map[string]func(b *Backend, key string) error)

// GetBackend returns a singleton backend for Go backend, created with the default configuration.
// The backend is only created at the first call of the function.
//
// The singleton is never destroyed.
var GetBackend = sync.OnceValue(func() compute.Backend {
	backend, err := New("")
	if err != nil {
		panic(err)
	}
	return backend
})

// New constructs a new Go backend.
// There are no configurations, the string is simply ignored.
func New(config string) (compute.Backend, error) {
	b := newDefaultBackend()
	parts := strings.SplitSeq(config, ",")
	for part := range parts {
		key := part
		var value string
		if before, after, ok := strings.Cut(part, "="); ok {
			key, value = before, after
		}
		switch key {
		case "parallelism":
			vInt, err := strconv.Atoi(value)
			if err != nil {
				return nil, errors.Wrapf(err,
					"invalid value for %q in Go backend config: needs an int, got %q", key, value)
			}
			b.Workers.SetMaxParallelism(vInt)
			fmt.Printf("Go backend: parallelism set to %d\n", vInt)
		case "ops_sequential":
			// This will force the ops to be executed sequentially.
			// The default is running parallel if it's the only thing executing, otherwise sequentially.
			b.OpsExecutionType = OpsExecutionSequential
		case "ops_parallel":
			// This will force the ops to be executed in parallel where possible.
			// The default is running parallel if it's the only thing executing, otherwise sequentially.
			b.OpsExecutionType = OpsExecutionParallel
		case "dependency_order":
			b.SchedulingStrategy = DependencyOrderSchedule
		case "creation_order":
			b.SchedulingStrategy = CreationOrderSchedule
		case "":
			// No-op, just skip.
		default:
			setter, ok := KnownOptionsSetters[key]
			if !ok {
				return nil, errors.Errorf("unknown configuration option %q for the Go backend -- valid configuration options are: "+
					"parallelism=#workers, ops_sequential, ops_parallel, dependency_order, creation_order, %s; see code for documentation",
					key, strings.Join(xslices.SortedKeys(KnownOptionsSetters), ", "))
			}
			err := setter(b, key)
			if err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func newDefaultBackend() *Backend {
	b := &Backend{}
	b.Workers = workerspool.New()
	return b
}

// Backend implements the compute.Backend interface.
type Backend struct {
	// bufferPools are a map to pools of buffers that can be reused.
	// The underlying type is map[bufferPoolKey]*sync.Pool.
	bufferPools sync.Map
	Workers     *workerspool.Pool

	NumLiveExecutions atomic.Int32

	// OpsExecutionType defines how to execute the ops of a computation.
	OpsExecutionType OpsExecutionType

	// isFinalized is true if the backend has been isFinalized.
	isFinalized bool

	// SchedulingStrategy
	SchedulingStrategy ScheduleStrategy

	// MatMulFloat32, when set, is tried first for every float32 DotGeneral
	// (ganbook patch, see SetMatMulFloat32).
	MatMulFloat32 func(lhsTransposed, rhsTransposed bool, lhs, rhs []float32, batchSize, lhsCrossSize, rhsCrossSize, contractingSize int, output []float32) bool

	// NodeObserver, when set, is told of every node a computation executes
	// (ganbook patch, see SetNodeObserver).
	NodeObserver func(function any, node int, op string, inputs []int, start, end time.Time)

	// LogisticFloat32, when set, computes every float32 Logistic (ganbook
	// patch, see SetLogisticFloat32).
	LogisticFloat32 func(input, output []float32)

	// SignFloat32, when set, computes every float32 Sign (ganbook patch, see
	// SetSignFloat32).
	SignFloat32 func(input, output []float32)

	// TanhFloat32, when set, computes every float32 Tanh (ganbook patch, see
	// SetTanhFloat32).
	TanhFloat32 func(input, output []float32)

	// AddFloat32 and MulFloat32, when set, compute float32 Add and Mul whose
	// operands have the same shape, whose rhs is a single value, or one of
	// whose operands is a row broadcast along the leading axes (ganbook patch,
	// see SetAddMulFloat32).
	AddFloat32, MulFloat32 func(lhs, rhs, output []float32)

	// SubFloat32, MaxFloat32 and MinFloat32, when set, compute float32 Sub,
	// Max and Min likewise (ganbook patch, see SetSubMaxMinFloat32).
	SubFloat32, MaxFloat32, MinFloat32 func(lhs, rhs, output []float32)
}

// SetSubMaxMinFloat32 installs the functions that compute float32 Sub, Max
// and Min instead of the built-in loops (ganbook patch), with
// SetAddMulFloat32's rules: sub(lhs, rhs, output) sets
// output[i] = lhs[i] − rhs[i], or lhs[i] − rhs[0] when len(rhs) == 1; max and
// min give what Go's max and min give (NaN for a NaN operand, +0 for max(+0,
// −0), −0 for min). Set them before any computation runs; nil removes one.
func (b *Backend) SetSubMaxMinFloat32(sub, max, min func(lhs, rhs, output []float32)) {
	b.SubFloat32, b.MaxFloat32, b.MinFloat32 = sub, max, min
}

// SetAddMulFloat32 installs the functions that compute float32 Add and Mul
// instead of the built-in loops (ganbook patch): add(lhs, rhs, output) sets
// output[i] = lhs[i] + rhs[i], or lhs[i] + rhs[0] when len(rhs) == 1, and mul
// likewise with ·; output has lhs's length and may be lhs or rhs. Both must
// round exactly as float32 arithmetic does. They run when the operands have
// the same shape, when rhs is a single value, and, one row at a time, when
// one operand is a row of at least 16 values broadcast along the leading
// axes ([1, n] against [r, n], say); other broadcasts keep the built-in
// loops. Set them before any computation runs; nil removes one.
func (b *Backend) SetAddMulFloat32(add, mul func(lhs, rhs, output []float32)) {
	b.AddFloat32, b.MulFloat32 = add, mul
}

// RowKernelMinWidth is the narrowest row the installed element-wise kernels
// are handed one row at a time (ganbook patch): below a SIMD register's
// worth, the calls would cost more than the built-in loop.
const RowKernelMinWidth = 16

// BroadcastsRowsFloat32 reports whether float32 Add, Mul and Sub of an
// [r, width] operand and a [1, width] row on the right run the installed
// kernels (ganbook patch, see SetAddMulFloat32 and SetSubMaxMinFloat32):
// whether all three are installed and the row is a single value or at least
// RowKernelMinWidth wide. Graph builders use it to choose between such a
// broadcast and materializing the repeated rows first.
func (b *Backend) BroadcastsRowsFloat32(width int) bool {
	return b.AddFloat32 != nil && b.MulFloat32 != nil && b.SubFloat32 != nil &&
		(width == 1 || width >= RowKernelMinWidth)
}

// SetLogisticFloat32 installs the function that computes Logistic (the
// sigmoid) over float32 values instead of the built-in float64 loop (ganbook
// patch): kernel(input, output) sets output[i] = 1/(1+exp(-input[i])); input
// and output have the same length and may be the same slice. Set it before
// any computation runs; nil removes it.
func (b *Backend) SetLogisticFloat32(kernel func(input, output []float32)) {
	b.LogisticFloat32 = kernel
}

// SetSignFloat32 installs the function that computes Sign over float32
// values instead of the built-in loop, which branches on every value (ganbook
// patch): kernel(input, output) sets output[i] to −1 for input[i] < 0, 1 for
// input[i] > 0 and +0 otherwise (±0 and NaN), as the built-in loop does;
// input and output have the same length and may be the same slice. Set it
// before any computation runs; nil removes it.
func (b *Backend) SetSignFloat32(kernel func(input, output []float32)) {
	b.SignFloat32 = kernel
}

// SetTanhFloat32 installs the function that computes Tanh over float32
// values instead of the built-in loop, one math.Tanh call per value (ganbook
// patch): kernel(input, output) sets output[i] to
// float32(math.Tanh(float64(input[i]))), the built-in loop's bits; input and
// output have the same length and may be the same slice. Set it before any
// computation runs; nil removes it.
func (b *Backend) SetTanhFloat32(kernel func(input, output []float32)) {
	b.TanhFloat32 = kernel
}

// ComputesSignFloat32 reports whether float32 Sign runs a kernel installed
// with SetSignFloat32 (ganbook patch). Graph builders use it to choose
// between Sign and ops that do not branch in the built-in loops.
func (b *Backend) ComputesSignFloat32() bool {
	return b.SignFloat32 != nil
}

// SetMatMulFloat32 installs a float32 matrix-multiplication kernel that
// DotGeneral tries before the built-in ones (ganbook patch). It is called with
// the operands already normalized: lhs [batch, lhsCross, contracting] or,
// when lhsTransposed, [batch, contracting, lhsCross]; rhs [batch,
// contracting, rhsCross] or, when rhsTransposed, [batch, rhsCross,
// contracting]; all row-major. It must overwrite output [batch, lhsCross,
// rhsCross] and return true, or return false, leaving output alone, to let the
// built-in kernels do it. While one is installed, a float32 DotGeneral whose
// lhs has its contracting axis right after the batch axis and one cross axis
// keeps that layout (lhsTransposed) instead of being transposed first. Set it
// before building any computation; nil removes it.
//
// Reached through an interface assertion (a method of the backend), so code
// built against an unpatched compute module simply finds no such method.
func (b *Backend) SetMatMulFloat32(kernel func(lhsTransposed, rhsTransposed bool, lhs, rhs []float32, batchSize, lhsCrossSize, rhsCrossSize, contractingSize int, output []float32) bool) {
	b.MatMulFloat32 = kernel
}

// SetNodeObserver installs a function told of every node a computation
// executes, once it has run (ganbook patch): the executing function (the
// same value for every execution of one compiled function, comparable), the
// node's index in it, its op, its inputs' indices (parameters and constants
// are never reported), and when it started and ended. It is called on the
// goroutine that ran the node, possibly from several at once, and must
// return quickly; profilers use it to find a step's critical path. nil
// removes it.
func (b *Backend) SetNodeObserver(observe func(function any, node int, op string, inputs []int, start, end time.Time)) {
	b.NodeObserver = observe
}

// ReadsTransposedLHSFloat32 reports whether a float32 DotGeneral whose lhs is
// [batch, contracting, lhsCross] is handed to an installed kernel without
// transposing lhs first: whether a kernel is installed with SetMatMulFloat32
// (ganbook patch; a product the kernel declines is transposed then). Graph
// builders use it to choose between that product and an explicit transpose.
func (b *Backend) ReadsTransposedLHSFloat32() bool {
	return b.MatMulFloat32 != nil
}

// Compile-time check that the gobackend.Backend implements compute.Backend.
var _ compute.Backend = &Backend{}

// Name returns the short name of the backend. E.g.: "xla" for the Xla/PJRT plugin.
func (b *Backend) Name() string {
	return "Go Backend"
}

// String implement compute.Backend.
func (b *Backend) String() string { return BackendName }

// Description is a longer description of the Backend that can be used to pretty-print.
func (b *Backend) Description() string {
	return fmt.Sprintf("Go Portable Compute Backend (parallelism=%d)", b.Workers.MaxParallelism())
}

// NumDevices return the number of devices available for this Backend.
func (b *Backend) NumDevices() int {
	return 1
}

// DeviceDescription returns a description of the device with the given deviceNum.
func (b *Backend) DeviceDescription(_ compute.DeviceNum) string {
	return "device#0"
}

// Capabilities method returns information about what is supported by this backend.
func (b *Backend) Capabilities() compute.Capabilities {
	return Capabilities
}

// Builder creates a new builder used to construct a named computation.
func (b *Backend) Builder(name string) compute.Builder {
	builder := &Builder{
		Builder: notimplemented.Builder{
			ErrFn: notImplementedError,
		},
		Backend: b,
		name:    name,
	}

	// Create the main function
	builder.MainFn = &Function{
		Function: notimplemented.Function{
			ErrFn: notImplementedError,
		},
		RawBuilder: builder,
		name:       "main",
		nodeDedup:  make(map[NodeDedupKey][]*Node),
	}
	builder.Functions = append(builder.Functions, builder.MainFn)
	// Set the "not implemented" custom message:
	return builder
}

func notImplementedError(opType compute.OpType) error {
	return errors.Wrapf(notimplemented.NotImplementedError, "sorry, op %q not implemented in the \"go\" backend yet "+
		"-- reach out to github.com/gomlx/gomlx and open an issue if you need this op, this helps us prioritize the work",
		opType)
}

// Finalize releases all the associated resources immediately, and makes the backend invalid.
func (b *Backend) Finalize() {
	b.isFinalized = true
	b.bufferPools.Clear()
}

// IsFinalized returns true if the backend has been isFinalized.
func (b *Backend) IsFinalized() bool {
	return b.isFinalized
}
