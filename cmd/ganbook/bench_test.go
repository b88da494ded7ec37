package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/ganbook/ganbook/gan"
)

// BenchmarkLoggingOverhead times MLP-GAN training steps without and with the
// tracker recording every step (5 metrics a step, as `ganbook train` does).
// Compare the two ns/op in one run; hook-ns/op is the time the training
// goroutine itself spends logging (the writes happen on the tracker's goroutine).
func BenchmarkLoggingOverhead(b *testing.B) {
	cfg := gan.DefaultConfig()
	ds, err := gan.LoadTrainingSet(cfg, "")
	if err != nil {
		b.Fatal(err)
	}
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	for _, logged := range []bool{false, true} {
		name := "bare"
		if logged {
			name = "logged"
		}
		b.Run(name, func(b *testing.B) {
			source, err := gan.NewSamplerSource(ds, cfg)
			if err != nil {
				b.Fatal(err)
			}
			trainer, err := gan.NewTrainer(backend, cfg, source, b.N+3, gan.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var rec *recorder
			if logged {
				store, err := openStore(filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer store.Close()
				if rec, err = startRecording(context.Background(), store, cfg, ds, "bench", recordSpec{}); err != nil {
					b.Fatal(err)
				}
				defer rec.end(nil)
			}
			for range 3 {
				if _, err := trainer.TrainStep(); err != nil {
					b.Fatal(err)
				}
			}
			var inHook time.Duration
			b.ResetTimer()
			for range b.N {
				m, err := trainer.TrainStep()
				if err != nil {
					b.Fatal(err)
				}
				if rec != nil {
					start := time.Now()
					if err := rec.step(m); err != nil {
						b.Fatal(err)
					}
					inHook += time.Since(start)
				}
			}
			b.ReportMetric(float64(inHook.Nanoseconds())/float64(b.N), "hook-ns/op")
		})
	}
}
