package gan

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// benchmarkIteration times one D+G iteration (what bench/torch_one.py
// times for PyTorch) on random data; images/s = batch / (ns/op). It also reports
// median-ms (the median iteration, what the PyTorch script reports; less moved by
// other processes' bursts than the mean) and cpu-ms/op, the process's user+system
// CPU time per iteration: on a shared machine it moves less with the load than
// the wall time, and over median-ms it shows how many cores an iteration keeps busy.
func benchmarkIteration(b *testing.B, arch string, batch int) {
	tr := newBenchTrainer(b, arch, batch, b.N+3)
	for range 3 { // compile the graphs and warm the buffer pools
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	steps := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
		steps = append(steps, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(steps)
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(steps[len(steps)/2])/float64(time.Millisecond), "median-ms")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// newBenchTrainer is the trainer the benchmarks time: arch at batch on a
// backend from NewBackend, for steps steps of random data, without dropout
// (the reference architecture, bench/torch_models.py, has none).
func newBenchTrainer(b *testing.B, arch string, batch, steps int) *Trainer {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Model, cfg.Batch, cfg.Steps = arch, batch, steps
	cfg.DropoutD = 0
	backend, err := NewBackend(testWriter{b})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(4*batch, batch, 1), cfg.Steps, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkIterationMLP(b *testing.B)   { benchmarkIteration(b, ModelMLP, 128) }
func BenchmarkIterationDCGAN(b *testing.B) { benchmarkIteration(b, ModelDCGAN, 64) }

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.tb.Log(string(p)); return len(p), nil }
