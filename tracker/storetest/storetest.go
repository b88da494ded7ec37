package storetest

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// Target is a backend under test.
type Target struct {
	// NewDatabase returns the location (as given to tracker.Open) of a new,
	// empty database for one test; the test's cleanup removes it.
	NewDatabase func(t *testing.T) string
	// StopIdle, if set, SIGSTOPs process p at a moment it holds no write
	// transaction open on the database at location, and fails the test if it
	// cannot. A process stopped mid-transaction would hold its locks and make
	// every other writer wait (the database's rule, not the tracker's),
	// which is not what the liveness test is about. Without it the process
	// is stopped at once.
	StopIdle func(t *testing.T, location string, p *os.Process)
}

// Run runs the contract suite against target: every test as a subtest, so
// that -run Contract/Filter selects one. The backend's package must call
// Main from its TestMain, as the suite re-executes the test binary for its
// multi-process tests.
func Run(t *testing.T, target Target) {
	tests := []struct {
		name string
		fn   func(*testing.T, Target)
	}{
		{"NonFiniteRoundTrip", testNonFiniteRoundTrip},
		{"LifecycleAndQueries", testLifecycleAndQueries},
		{"KillFlushesFirst", testKillFlushesFirst},
		{"DeleteLiveRun", testDeleteLiveRun},
		{"RunIDs", testRunIDs},
		{"FilterEndToEnd", testFilterEndToEnd},
		{"OrderEndToEnd", testOrderEndToEnd},
		{"Compare", testCompare},
		{"ReadOnlyStore", testReadOnlyStore},
		{"MustExist", testMustExist},
		{"HeartbeatTimeout", testHeartbeatTimeout},
		{"ConcurrentProcesses", testConcurrentProcesses},
		{"MetricEnvelopeAndSince", testMetricEnvelopeAndSince},
		{"LongEnvelope", testLongEnvelope},
		{"BatchSeq", testBatchSeq},
		{"LostCommitReply", testLostCommitReply},
		{"EndWait", testEndWait},
		{"StoreLogMetricsOnAnEndedRun", testStoreLogMetricsOnAnEndedRun},
		{"CreateRunWithID", testCreateRunWithID},
		{"SweepClaimOrder", testSweepClaimOrder},
		{"SweepConcurrentClaims", testSweepConcurrentClaims},
		{"SweepStaleReclaim", testSweepStaleReclaim},
		{"SweepReclaimUnreportedRun", testSweepReclaimUnreportedRun},
		{"SweepFinish", testSweepFinish},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() && (tt.name == "HeartbeatTimeout" || tt.name == "ConcurrentProcesses") {
				t.Skip("multi-process test; skipped with -short")
			}
			tt.fn(t, target)
		})
	}
}

// open opens a store on a new database.
func (tg Target) open(t *testing.T, opts ...tracker.Option) (*tracker.Store, string) {
	t.Helper()
	loc := tg.NewDatabase(t)
	s, err := tracker.Open(loc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, loc
}

func (tg Target) stopIdle(t *testing.T, location string, p *os.Process) {
	t.Helper()
	if tg.StopIdle != nil {
		tg.StopIdle(t, location, p)
		return
	}
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

// rawStatus reads a run's stored status, bypassing the Store: a backend
// judges liveness as of the time it is given, and at the Unix epoch no
// heartbeat is stale yet.
func rawStatus(t *testing.T, location, id string) string {
	t.Helper()
	b, err := tracker.OpenBackend(location, tracker.BackendConfig{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	info, err := b.Run(context.Background(), id, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return string(info.Status)
}
