package tracker_test

import (
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

// SweepStatusOf sums up trial counts.
func TestSweepStatusOf(t *testing.T) {
	for _, tc := range []struct {
		pending, running, finished, failed int
		want                               tracker.SweepStatus
	}{
		{3, 0, 0, 0, tracker.SweepPending},
		{2, 1, 0, 0, tracker.SweepRunning},
		{1, 0, 1, 0, tracker.SweepRunning},
		{0, 0, 3, 0, tracker.SweepFinished},
		{0, 0, 2, 1, tracker.SweepFailed},
		{0, 1, 1, 1, tracker.SweepRunning},
	} {
		got := tracker.SweepStatusOf(map[tracker.TrialStatus]int{tracker.TrialPending: tc.pending, tracker.TrialRunning: tc.running,
			tracker.TrialFinished: tc.finished, tracker.TrialFailed: tc.failed})
		if got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
}
