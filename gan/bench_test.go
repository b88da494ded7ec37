package gan

import (
	"testing"
)

// benchmarkIteration times one D+G iteration (what ../shared/bench/torch_gan_bench.py
// times for PyTorch) on random data; images/s = batch / (ns/op).
func benchmarkIteration(b *testing.B, arch string, batch int) {
	cfg := DefaultConfig()
	cfg.Model, cfg.Batch, cfg.Steps = arch, batch, b.N+3
	backend, err := NewBackend(testWriter{b})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(backend, cfg, newSyntheticSource(4*batch, batch, 1), cfg.Steps, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for range 3 { // compile the graphs and warm the buffer pools
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := tr.TrainStep(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkIterationMLP(b *testing.B)   { benchmarkIteration(b, ModelMLP, 128) }
func BenchmarkIterationDCGAN(b *testing.B) { benchmarkIteration(b, ModelDCGAN, 64) }

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.tb.Log(string(p)); return len(p), nil }
