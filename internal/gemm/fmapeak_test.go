package gemm

import (
	"fmt"
	"runtime"
	"testing"
)

// The loop must do the FMAs FMAPeak counts: 16 accumulators of 16 lanes,
// each adding 1·1 once per iteration, sum to 16·n (exact below 2^24).
func TestFMALoopDoesTheFMAsItCounts(t *testing.T) {
	if !Available {
		t.Skip("no AVX-512F here: fmaLoop is the assembly loop's stand-in")
	}
	for _, n := range []int{0, 1, 2, 3, 1000, 1 << 20} {
		if got, want := fmaLoop(n), float32(16*n); got != want {
			t.Errorf("fmaLoop(%d) = %v, want %v", n, got, want)
		}
	}
}

// Without workers there is nothing to time; a negative count must not reach
// the WaitGroups (Add(-1) panics).
func TestFMAPeakIsZeroWithoutWorkers(t *testing.T) {
	for _, workers := range []int{0, -1} {
		if got := FMAPeak(workers, 3); got != 0 {
			t.Errorf("FMAPeak(%d, 3) = %v, want 0", workers, got)
		}
	}
}

func BenchmarkFMAPeak(b *testing.B) {
	if !Available {
		b.Skip("no AVX-512F here")
	}
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			best := 0.0
			for range b.N {
				best = max(best, FMAPeak(workers, 1))
			}
			b.ReportMetric(best/1e9, "GFLOP/s")
		})
	}
}
