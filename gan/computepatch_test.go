package gan

import (
	"runtime"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Finalizing a graph's output hands its buffer back to the go backend's pool
// (ganbook's compute patch), so a loop that runs a graph and finalizes what it
// returned, as every training step does with its gradients, stops allocating
// a fresh output each time. Measured as the bytes allocated per run against
// the output's size; the outputs' values are checked too, since a pooled
// buffer comes back holding the previous run's values.
func TestFinalizedOutputsGoBackToThePool(t *testing.T) {
	backend := newGoBackend(t)
	const rows, cols = 256, 1024
	const outputBytes = rows * cols * 4 // 1 MiB
	exec, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node { return graph.AddScalar(x, 1) })
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromShape(shapes.Make(dtypes.Float32, rows, cols))
	x.MutableFlatData(func(flat any) {
		for i := range flat.([]float32) {
			flat.([]float32)[i] = float32(i % 1000)
		}
	})
	run := func(round int) {
		outs, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		outs[0].ConstFlatData(func(flat any) {
			for i, v := range flat.([]float32) {
				if want := float32(i%1000) + 1; v != want {
					t.Fatalf("run %d: output[%d] = %v, want %v", round, i, v, want)
				}
			}
		})
		if err := outs[0].FinalizeAll(); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 { // compile, place x on the backend, fill the pool
		run(round)
	}
	const runs = 40
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for round := range runs {
		run(3 + round)
	}
	runtime.ReadMemStats(&after)
	perRun := float64(after.TotalAlloc-before.TotalAlloc) / runs
	t.Logf("%.0f bytes allocated per run, output %d bytes", perRun, outputBytes)
	if perRun > outputBytes/4 {
		t.Errorf("each run allocated %.0f bytes for a %d-byte output: finalized outputs are not reused", perRun, outputBytes)
	}
}

// The go backend's Slice copies whole runs where the last axis has stride 1
// (ganbook's compute patch) and value by value elsewhere; both must give the
// values a plain loop over the indices gives.
func TestSliceMatchesIndexLoops(t *testing.T) {
	backend := newGoBackend(t)
	type axis struct{ start, end, stride int }
	dims := []int{4, 5, 9}
	tests := []struct {
		name string
		axes []axis
	}{
		{"whole", []axis{{0, 4, 1}, {0, 5, 1}, {0, 9, 1}}},
		{"last axis cut", []axis{{0, 4, 1}, {0, 5, 1}, {2, 7, 1}}},
		{"every axis cut", []axis{{1, 3, 1}, {2, 5, 1}, {3, 9, 1}}},
		{"outer strides", []axis{{0, 4, 3}, {1, 5, 2}, {1, 8, 1}}},
		{"last axis strided", []axis{{0, 4, 1}, {0, 5, 2}, {1, 9, 3}}},
		{"one value per row", []axis{{0, 4, 1}, {0, 5, 1}, {4, 5, 1}}},
		{"one row", []axis{{2, 3, 1}, {3, 4, 1}, {0, 9, 1}}},
	}
	input := make([]float32, dims[0]*dims[1]*dims[2])
	for i := range input {
		input[i] = float32(i)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := graph.MustExecOnce(backend, func(x *graph.Node) *graph.Node {
				specs := make([]graph.SliceAxisSpec, len(tc.axes))
				for i, a := range tc.axes {
					specs[i] = graph.AxisRange(a.start, a.end).Stride(a.stride)
				}
				return graph.Slice(x, specs...)
			}, tensors.FromFlatDataAndDimensions(slices.Clone(input), dims...)).Value()
			var want []float32
			for i := tc.axes[0].start; i < tc.axes[0].end; i += tc.axes[0].stride {
				for j := tc.axes[1].start; j < tc.axes[1].end; j += tc.axes[1].stride {
					for k := tc.axes[2].start; k < tc.axes[2].end; k += tc.axes[2].stride {
						want = append(want, input[(i*dims[1]+j)*dims[2]+k])
					}
				}
			}
			var flat []float32
			for _, plane := range got.([][][]float32) {
				for _, row := range plane {
					flat = append(flat, row...)
				}
			}
			if !slices.Equal(flat, want) {
				t.Errorf("Slice = %v, want %v", flat, want)
			}
		})
	}
}
