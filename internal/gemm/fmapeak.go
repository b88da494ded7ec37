package gemm

import (
	"sync"
	"time"
)

// fmaLoopFlops is the float32 flops of one iteration of fmaLoop: 16 FMAs of
// 16 lanes, 2 flops each.
const fmaLoopFlops = 16 * 16 * 2

// FMAPeak measures the machine's float32 arithmetic ceiling on workers
// goroutines: each runs a loop of 16 independent 512-bit fused
// multiply-adds with no memory operands, and FMAPeak returns the best rate
// of tries in flop/s. No float32 kernel on these cores can do better, so it
// is the ceiling for MatMul's micro-kernel, whose 16 accumulators do the
// same FMAs between its loads. The loop takes about 10 ms per try on a core
// at 3.5 GHz that retires one ZMM FMA per cycle. It returns 0 where
// Available is false.
func FMAPeak(workers, tries int) float64 {
	if !Available || workers < 1 {
		return 0
	}
	const iters = 2 << 20
	best := 0.0
	for range max(tries, 1) {
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		ready.Add(workers)
		done.Add(workers)
		for range workers {
			go func() {
				defer done.Done()
				ready.Done()
				<-start
				fmaLoop(iters)
			}()
		}
		ready.Wait()
		t0 := time.Now()
		close(start)
		done.Wait()
		best = max(best, float64(workers)*iters*fmaLoopFlops/time.Since(t0).Seconds())
	}
	return best
}
