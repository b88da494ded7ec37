package gemm

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ganbook/ganbook/internal/vecmath"
)

// SumSelections sets c = A·B for row-major A [batch, m, k] of only zeros
// and ones and row-major B [batch, k, n] by adding up the rows of B that each
// row of A selects: each value of c is +0 plus B's selected values in
// increasing k, the whole contraction in one pass. For finite B those are the
// bits of any product that sums its contraction in order in one pass (GoMLX's
// small-product kernels), and MatMul's up to k = 256 only: it sums longer
// contractions by panels of 256 and adds the panels. It returns false, having
// written nothing, if A holds another value, and panics if a slice is too
// short.
func SumSelections(a, b []float32, batch, m, n, k int, c []float32, workers int) bool {
	if batch < 0 || m < 0 || n < 0 || k < 0 || len(a) < batch*m*k || len(b) < batch*k*n || len(c) < batch*m*n {
		panic(fmt.Sprintf("gemm.SumSelections: batch %d, m %d, n %d, k %d need len(a) ≥ %d, len(b) ≥ %d, len(c) ≥ %d; got %d, %d, %d",
			batch, m, n, k, batch*m*k, batch*k*n, batch*m*n, len(a), len(b), len(c)))
	}
	if batch == 0 || m == 0 || n == 0 {
		return true
	}
	if k == 0 {
		clear(c[:batch*m*n])
		return true
	}
	return sumSelectedRows(a, b, batch, m, n, k, c, workers)
}

// sumSelectedRows sets c = A·B for a row-major A of zeros and ones (a
// selection: gan/blocks writes im2col and col2im with them) by adding up, for
// each row of c, the rows of B that A's row selects, instead of multiplying
// every value of B by A's. Each sum starts at +0 and adds the selected rows in
// increasing order, what the micro-kernel does with a contraction of one panel
// (its products by 0 are ±0 and change nothing, its products by 1 are exact),
// so for finite B the bits are the micro-kernel's; an Inf or NaN in B that A
// does not select stays out of c here, where the micro-kernel's 0·Inf would
// spread a NaN.
//
// It returns false, having written nothing, if A holds a value other than 0
// and 1, and the caller multiplies. Large batches are shared among workers.
func sumSelectedRows(a, b []float32, batch, m, n, k int, c []float32, workers int) bool {
	if batch == 1 && m == 1 && sameBits(a[:k], onesUpTo(k)) {
		// A row of ones (a sum over the rows of B): every row, in order,
		// with no scan for the ones.
		vecmath.SumRows(c[:n], b, n, []int32{0, int32(k)}, rowNumbersUpTo(k))
		return true
	}
	if !isSelection(a[:m*k]) {
		return false
	}
	// A batch of selections usually repeats one matrix: check each against
	// the one before, and note where one differs, to index it again there.
	var differs []int
	for s := 1; s < batch; s++ {
		if as := a[s*m*k : (s+1)*m*k]; !sameBits(as, a[(s-1)*m*k:s*m*k]) {
			if !isSelection(as) {
				return false
			}
			differs = append(differs, s)
		}
	}
	// Whole matrices of the batch per worker, at least minSumsPerWorker
	// values each.
	shares := min(max(workers, 1), batch, max(1, batch*m*n/minSumsPerWorker))
	runShares(shares, func(i int) {
		lo, hi := i*batch/shares, (i+1)*batch/shares
		sel := selections.Get().(*selection)
		next, _ := slices.BinarySearch(differs, lo+1) // differs[next]: the first change after lo
		for s := lo; s < hi; s++ {
			changed := next < len(differs) && differs[next] == s
			if changed {
				next++
			}
			if s == lo || changed {
				sel.index(a[s*m*k:(s+1)*m*k], m, k)
			}
			vecmath.SumRows(c[s*m*n:(s+1)*m*n], b[s*k*n:(s+1)*k*n], n, sel.starts, sel.rows)
		}
		selections.Put(sel)
	})
	return true
}

// ones and rowNumbers hold 1, 1, … and 0, 1, 2, …, grown by replacement as
// longer ones are asked for and never written after, so that concurrent
// products may read them.
var (
	ones       atomic.Pointer[[]float32]
	rowNumbers atomic.Pointer[[]int32]
)

// onesUpTo returns k ones.
func onesUpTo(k int) []float32 { return upTo(&ones, k, func(int) float32 { return 1 }) }

// rowNumbersUpTo returns 0, 1, …, k−1.
func rowNumbersUpTo(k int) []int32 {
	return upTo(&rowNumbers, k, func(i int) int32 { return int32(i) })
}

// upTo returns the first k values of the cached sequence value(0), value(1),
// …, made longer first if it holds fewer.
func upTo[T any](cache *atomic.Pointer[[]T], k int, value func(i int) T) []T {
	if p := cache.Load(); p != nil && len(*p) >= k {
		return (*p)[:k]
	}
	s := make([]T, max(k, 1024))
	for i := range s {
		s[i] = value(i)
	}
	cache.Store(&s)
	return s[:k]
}

// selection is a 0/1 matrix's ones, row by row: row i selects
// rows[starts[i]:starts[i+1]].
type selection struct{ starts, rows []int32 }

var selections = sync.Pool{New: func() any { return new(selection) }}

// minSumsPerWorker is the least values of c worth a helper: about 10 µs of
// sums, against the 20–55 µs an idle core may take to wake (the caller then
// takes the helper's share, as in MatMul).
const minSumsPerWorker = 1 << 16

// index records the ones of a [m, k], a selection.
func (sel *selection) index(a []float32, m, k int) {
	sel.starts, sel.rows = append(sel.starts[:0], 0), sel.rows[:0]
	for i := range m {
		for j, v := range a[i*k : (i+1)*k] {
			if v == 1 {
				sel.rows = append(sel.rows, int32(j))
			}
		}
		sel.starts = append(sel.starts, int32(len(sel.rows)))
	}
}

// isSelection says whether a holds only zeros and ones.
func isSelection(a []float32) bool {
	return !slices.ContainsFunc(a, func(v float32) bool { return v != 0 && v != 1 })
}

// sameBits says whether x and y (of one length) hold the same bits.
func sameBits(x, y []float32) bool {
	return len(x) == len(y) && (len(x) == 0 ||
		bytes.Equal(unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x)), unsafe.Slice((*byte)(unsafe.Pointer(&y[0])), 4*len(y))))
}
