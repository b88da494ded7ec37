package gan

import (
	"runtime"
	"runtime/metrics"
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
	x.MustMutableFlatData(func(flat any) {
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

// Building a graph, the go backend merges equal constants, comparing their
// values; ganbook's compute patch compares float32 (and the other common)
// slices as typed slices instead of boxing each value through reflection,
// which allocated once per value and added 0.15–0.24 s to a DCGAN trainer's
// build. Measured as the allocations made while a graph with
// two equal 256K-value constants is built, which must be far fewer than the
// values; the result is checked too.
func TestEqualConstantsCompareWithoutBoxing(t *testing.T) {
	backend := newGoBackend(t)
	const n = 1 << 18
	values := make([]float32, n)
	for i := range values {
		values[i] = float32(i%1000) / 8
	}
	exec, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node {
		g := x.Graph()
		a := graph.Const(g, tensors.FromFlatDataAndDimensions(slices.Clone(values), n))
		b := graph.Const(g, tensors.FromFlatDataAndDimensions(slices.Clone(values), n))
		return graph.Add(graph.Add(a, b), x)
	})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	outs, err := exec.Exec(tensors.FromScalarAndDimensions(float32(1), n))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	mallocs := after.Mallocs - before.Mallocs
	t.Logf("%d allocations to build and run a graph with two equal %d-value constants", mallocs, n)
	if mallocs > n/16 {
		t.Errorf("%d allocations for two %d-value constants: their values are compared one boxed value at a time", mallocs, n)
	}
	outs[0].ConstFlatData(func(flat any) {
		for i, v := range flat.([]float32) {
			if want := 2*values[i] + 1; v != want {
				t.Fatalf("out[%d] = %v, want %v", i, v, want)
			}
		}
	})
}

// The go backend runs each node of a graph in a goroutine (parallelism=-1,
// as NewBackend sets it); ganbook's compute patch hands the nodes to
// goroutines that finished an earlier node and wait for another, whose
// stacks have already grown, instead of starting a new goroutine for each.
// Measured with the runtime's count of goroutines created, over runs of a
// graph of many independent element-wise nodes; the results are checked too.
func TestGraphNodesRunOnReusedGoroutines(t *testing.T) {
	backend := newGoBackend(t)
	const branches = 16
	exec, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node {
		terms := make([]*graph.Node, branches)
		for i := range terms {
			terms[i] = graph.MulScalar(graph.AddScalar(x, float64(i)), 2)
		}
		return graph.ReduceAllSum(graph.Stack(terms, 0))
	})
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromFlatDataAndDimensions(make([]float32, 64*64), 64, 64)
	// Σ_i 2·(0+i) over 64·64 values: 2·(0+1+…+15)·4096.
	const want = 2 * 120 * 4096
	run := func() {
		outs, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := outs[0].Value().(float32); got != want {
			t.Fatalf("sum = %v, want %v", got, want)
		}
		outs[0].FinalizeAll()
	}
	perRun := countPerRun(50, run, func() uint64 {
		s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	})
	t.Logf("%.2f goroutines created per run of a graph of %d+ nodes", perRun, 2*branches)
	if perRun > branches/4 {
		t.Errorf("%.2f goroutines created per run: the graph's nodes do not run on reused goroutines", perRun)
	}
}

// With unlimited parallelism (NewBackend's), ganbook's compute patch runs a
// graph's nodes so that the goroutine that finishes a node goes on with a
// node it made ready, instead of handing every node to a dispatching
// goroutine and back (two goroutine switches per node, and on a virtual
// machine each switch to an idle core's thread waits for it to wake). A
// chain of nodes then runs without switching goroutines. Measured with the
// runtime's histogram of scheduling latencies, whose count grows with the
// goroutines scheduled (it samples one scheduling in eight); over a chain of
// 512 element-wise nodes the old dispatch schedules about 1024 goroutines a
// run. The chain's value is checked against the same float32 arithmetic.
func TestGraphNodeChainsRunWithoutSwitchingGoroutines(t *testing.T) {
	backend := newGoBackend(t)
	const links = 256 // each a Mul and an Add
	exec, err := graph.NewExec(backend, func(x *graph.Node) *graph.Node {
		for range links {
			x = graph.AddScalar(graph.MulScalar(x, 0.5), 1)
		}
		return x
	})
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromFlatDataAndDimensions([]float32{3, -7, 1e6, 0.25}, 4)
	want := []float32{3, -7, 1e6, 0.25}
	for range links {
		for i := range want {
			want[i] = want[i]*0.5 + 1
		}
	}
	run := func() {
		outs, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := outs[0].Value().([]float32); !slices.Equal(got, want) {
			t.Fatalf("chain = %v, want %v", got, want)
		}
		outs[0].FinalizeAll()
	}
	perRun := countPerRun(20, run, func() uint64 {
		s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
		metrics.Read(s)
		var n uint64
		for _, c := range s[0].Value.Float64Histogram().Counts {
			n += c
		}
		return n
	})
	t.Logf("%.1f sampled goroutine schedulings per run of a chain of %d nodes", perRun, 2*links)
	if perRun > 2*links/32 {
		t.Errorf("%.1f sampled goroutine schedulings per run of a chain of %d nodes: the chain switches goroutines at its nodes", perRun, 2*links)
	}
}

// countPerRun warms run up (3 runs), then returns how much count grows per
// run over runs more.
func countPerRun(runs int, run func(), count func() uint64) float64 {
	for range 3 {
		run()
	}
	before := count()
	for range runs {
		run()
	}
	return float64(count()-before) / float64(runs)
}
