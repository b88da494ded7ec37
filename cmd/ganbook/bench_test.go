package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gantrack"
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
			training, err := gantrack.NewTraining(cfg, gantrack.Setup{Data: ds, Backend: backend})
			if err != nil {
				b.Fatal(err)
			}
			trainer := training.Trainer
			var rec *gantrack.Recording
			if logged {
				store, err := openStore(filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer store.Close()
				if rec, err = gantrack.Start(context.Background(), store, training, gantrack.RunSpec{}); err != nil {
					b.Fatal(err)
				}
				defer rec.End(nil)
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
					rec.Step(m)
					inHook += time.Since(start)
				}
			}
			if rec != nil && rec.Err() != nil {
				b.Fatal(rec.Err())
			}
			b.ReportMetric(float64(inHook.Nanoseconds())/float64(b.N), "hook-ns/op")
		})
	}
}
