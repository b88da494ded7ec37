package gan

import (
	"runtime"
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
