package gan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// nodeObserverSetter is the compute patch's hook that reports every graph
// node the go backend runs (third_party/README.md).
type nodeObserverSetter interface {
	SetNodeObserver(observe func(function any, node int, op string, inputs []int, start, end time.Time))
}

// nodeRun is one node's execution, as the observer reports it.
type nodeRun struct {
	node       int
	op         string
	inputs     []int
	start, end time.Time
}

// criticalPath is the chain of runs that decided when a graph's execution
// ended, first to last: from the run that ended last, back through the
// input that ended last (the one the node waited for), until a node has no
// reported input (its inputs were parameters or constants).
func criticalPath(runs map[int]nodeRun) []nodeRun {
	var last *nodeRun
	for _, r := range runs {
		if last == nil || r.end.After(last.end) {
			last = &r
		}
	}
	var path []nodeRun
	for last != nil {
		path = append(path, *last)
		var waitedFor *nodeRun
		for _, in := range last.inputs {
			if r, ok := runs[in]; ok && (waitedFor == nil || r.end.After(waitedFor.end)) {
				waitedFor = &r
			}
		}
		last = waitedFor
	}
	slices.Reverse(path)
	return path
}

// pathCost splits the time from a graph's first node start to its last
// node's end along the critical path: each op's run time on it, the waits
// between a node's input ending and the node starting, and the time before
// the path's first node started.
type pathCost struct {
	span, before, waits time.Duration
	byOp                map[string]time.Duration
	nodes               int
}

func costOf(runs map[int]nodeRun) pathCost {
	c := pathCost{byOp: map[string]time.Duration{}}
	path := criticalPath(runs)
	if len(path) == 0 {
		return c
	}
	first := path[0].start
	for _, r := range runs {
		if r.start.Before(first) {
			first = r.start
		}
	}
	c.span, c.before, c.nodes = path[len(path)-1].end.Sub(first), path[0].start.Sub(first), len(path)
	for i, r := range path {
		c.byOp[r.op] += r.end.Sub(r.start)
		if i > 0 {
			c.waits += r.start.Sub(path[i-1].end)
		}
	}
	return c
}

// TestCriticalPathFollowsTheLastInput builds a graph's runs by hand: two
// branches join at the end; the path must follow the branch that ended last
// and charge the gap before the join to waits.
func TestCriticalPathFollowsTheLastInput(t *testing.T) {
	at := func(ms float64) time.Time { return time.Unix(0, 0).Add(time.Duration(ms * float64(time.Millisecond))) }
	runs := map[int]nodeRun{
		2: {2, "DotGeneral", []int{0, 1}, at(0), at(4)}, // the long branch
		3: {3, "Add", []int{2}, at(4.5), at(5)},         // waits 0.5 ms for 2
		4: {4, "Mul", []int{0}, at(1), at(2)},           // the short branch, starts late
		5: {5, "Sub", []int{3, 4}, at(5.25), at(6)},     // the join: 3 ended last
		6: {6, "Logistic", []int{4}, at(2), at(3)},      // a dead end
	}
	path := criticalPath(runs)
	var nodes []int
	for _, r := range path {
		nodes = append(nodes, r.node)
	}
	if want := []int{2, 3, 5}; !slices.Equal(nodes, want) {
		t.Fatalf("critical path %v, want %v", nodes, want)
	}
	c := costOf(runs)
	if c.span != 6*time.Millisecond || c.before != 0 || c.waits != 750*time.Microsecond ||
		c.byOp["DotGeneral"] != 4*time.Millisecond || c.byOp["Sub"] != 750*time.Microsecond || c.byOp["Mul"] != 0 {
		t.Fatalf("cost %+v: want span 6 ms, nothing before, waits 0.75 ms, DotGeneral 4 ms, Sub 0.75 ms, no Mul", c)
	}
}

// BenchmarkCriticalPath splits the training step of each model into what
// decided its wall time: the time outside the graphs (the host's work
// between them: the batch, the latent draws, Adam), and inside each graph
// the critical path (the chain of nodes each waiting for the last of its
// inputs) by op, the waits along it (a node ready but not yet started: the
// cores busy with other nodes, or a goroutine handed to a core), and the
// nodes' run time summed against the graphs' spans (how many nodes ran at
// once):
//
//	GOEXPERIMENT=simd go test -run '^$' -bench CriticalPath -benchtime 1x ./gan/
func BenchmarkCriticalPath(b *testing.B) {
	for _, m := range []struct {
		arch         string
		batch, steps int
	}{{ModelMLP, 128, 100}, {ModelDCGAN, 64, 20}} {
		tr := newBenchTrainer(b, m.arch, m.batch, m.steps+3)
		setter, ok := tr.backend.(nodeObserverSetter)
		if !ok {
			b.Skip("the go backend has no SetNodeObserver: " + unpatched)
		}
		for range 3 {
			if _, err := tr.TrainStep(); err != nil {
				b.Fatal(err)
			}
		}
		unobserved := make([]time.Duration, m.steps)
		for i := range unobserved {
			start := time.Now()
			if _, err := tr.TrainStep(); err != nil {
				b.Fatal(err)
			}
			unobserved[i] = time.Since(start)
		}
		slices.Sort(unobserved)
		var mu sync.Mutex
		runs := map[any]map[int]nodeRun{} // by graph, this step
		setter.SetNodeObserver(func(function any, node int, op string, inputs []int, start, end time.Time) {
			mu.Lock()
			defer mu.Unlock()
			if runs[function] == nil {
				runs[function] = map[int]nodeRun{}
			}
			runs[function][node] = nodeRun{node, op, inputs, start, end}
		})
		var wall, spans, work, before, waits, path time.Duration
		observed := make([]time.Duration, 0, m.steps)
		var nodes, pathNodes int
		byOp := map[string]time.Duration{}
		for range m.steps {
			clear(runs)
			start := time.Now()
			if _, err := tr.TrainStep(); err != nil {
				b.Fatal(err)
			}
			observed = append(observed, time.Since(start))
			wall += observed[len(observed)-1]
			mu.Lock()
			for _, graphRuns := range runs {
				c := costOf(graphRuns)
				spans, before, waits = spans+c.span, before+c.before, waits+c.waits
				pathNodes += c.nodes
				for op, d := range c.byOp {
					byOp[op] += d
					path += d
				}
				for _, r := range graphRuns {
					work += r.end.Sub(r.start)
					nodes++
				}
			}
			mu.Unlock()
		}
		setter.SetNodeObserver(nil)
		n := float64(m.steps)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
		ops := slices.SortedFunc(maps.Keys(byOp), func(a, b string) int { return cmp.Compare(byOp[b], byOp[a]) })
		var parts []string
		for _, op := range ops[:min(6, len(ops))] {
			parts = append(parts, fmt.Sprintf("%s %.2f", op, ms(byOp[op])))
		}
		slices.Sort(observed)
		fmt.Printf("%s median step %.2f ms unobserved, %.2f ms observed (the observer's cost)\n", m.arch,
			float64(unobserved[len(unobserved)/2])/float64(time.Millisecond), float64(observed[len(observed)/2])/float64(time.Millisecond))
		fmt.Printf("%s step %.2f ms: outside the graphs %.2f ms, in them %.2f ms (%.0f nodes; run time summed %.2f ms, %.2f at once)\n",
			m.arch, ms(wall), ms(wall-spans), ms(spans), float64(nodes)/n, ms(work), float64(work)/float64(spans))
		fmt.Printf("%s critical path %.2f ms per step (%.0f nodes): nodes' run time %.2f ms, waits between them %.2f ms, before the first %.2f ms\n",
			m.arch, ms(spans), float64(pathNodes)/n, ms(path), ms(waits), ms(before))
		fmt.Printf("%s critical path ms by op: %s\n", m.arch, strings.Join(parts, ", "))
	}
	for range b.N {
	}
}
