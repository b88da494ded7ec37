package gan

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// stallingSource holds its second batch until released: a step that hangs.
type stallingSource struct {
	*syntheticSource
	calls   int
	release chan struct{}
	inNext  atomic.Bool
}

func (s *stallingSource) Next(dst []float32) {
	s.calls++
	if s.calls == 2 {
		s.inNext.Store(true)
		<-s.release
		s.inNext.Store(false)
	}
	s.syntheticSource.Next(dst)
}

// When the step watchdog fires, the hooks are told, the run ends with
// ErrStepTimeout once the step is over, and no goroutine is left behind:
// none is still in the step when Run returns, and the goroutine count is
// back where it was.
func TestStepWatchdogLeavesNoGoroutine(t *testing.T) {
	cfg := smallConfig()
	cfg.Steps, cfg.CheckpointEvery = 3, 0
	src := &stallingSource{syntheticSource: newSyntheticSource(16, cfg.Batch, 1), release: make(chan struct{})}
	tr, err := NewTrainer(testBackend(t), cfg, src, cfg.Steps, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.TrainStep(); err != nil { // compiles the graphs before the clock starts
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	var slow, timeouts []int
	_, err = tr.Run(context.Background(), RunOptions{
		StepWarning: 20 * time.Millisecond,
		StepTimeout: 60 * time.Millisecond,
		Hooks: Hooks{
			OnSlowStep: func(step int, _ time.Duration) { slow = append(slow, step) },
			OnStepTimeout: func(step int, _ time.Duration) {
				timeouts = append(timeouts, step)
				close(src.release)
			},
		},
	})
	if src.inNext.Load() {
		t.Fatal("Run returned while its step was still running: a goroutine left behind")
	}
	if !errors.Is(err, ErrStepTimeout) {
		t.Errorf("Run = %v, want ErrStepTimeout", err)
	}
	if len(slow) != 1 || slow[0] != 2 || len(timeouts) != 1 || timeouts[0] != 2 {
		t.Errorf("OnSlowStep for steps %v, OnStepTimeout for %v; want step 2 once each", slow, timeouts)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after Run, %d before", after, before)
	}
}
