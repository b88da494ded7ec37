package gemm

import (
	"fmt"
	"sync"
	"sync/atomic"
)

const (
	tileRows   = 8   // rows of C in one micro-kernel call (16 accumulator registers / 2)
	tileCols   = 32  // columns of C in one call (two ZMM registers)
	narrowCols = 16  // columns of C in one call of the narrow kernel (one ZMM register)
	panelDepth = 256 // contraction per packed panel: measured best of 128/256/512 on the MLP's shapes
	blockRows  = 256 // rows of A per block: 256 KB at panelDepth, a quarter of a Zen 4 core's 1 MB L2
)

// MinRows and MinCols are the smallest products (rows m, columns n of c) for
// which MatMul's whole 8×32 tiles beat GoMLX's own kernels: below them it
// would mostly multiply padding (sums over the batch are 1-row products, a
// discriminator's logit a 1-column one). With 4 to 7 rows it still wins (the
// DCGAN's 7-row selections: about 2×).
const (
	MinRows = 4
	MinCols = 16
)

// Available reports whether MatMul runs its AVX-512 kernel here (amd64 CPUs
// with AVX-512F); elsewhere it computes the same tiles in plain Go, correct
// but several times slower than GoMLX's own kernels.
var Available = available()

// MatMul sets c = A·B for batch row-major float32 matrices: c [batch, m, n];
// A = a [batch, m, k], or aᵀ for a [batch, k, m] when aTransposed; B = b
// [batch, k, n], or bᵀ for b [batch, n, k] when bTransposed. A transposed
// operand is packed, a row-major one read in place (A·Bᵀ may be computed as
// (B·Aᵀ)ᵀ when that packs less). Each value of c is the same
// float32 sum whichever layouts hold the operands. It splits the work over up
// to workers goroutines (the caller's included). A row-major A of only zeros
// and ones (a selection) with k ≤ 256 makes each row of c a sum of B's rows
// instead (sumSelectedRows): the same bits for finite B. It panics if a slice
// is too short.
func MatMul(aTransposed, bTransposed bool, a, b []float32, batch, m, n, k int, c []float32, workers int) {
	if batch < 0 || m < 0 || n < 0 || k < 0 || len(a) < batch*m*k || len(b) < batch*k*n || len(c) < batch*m*n {
		panic(fmt.Sprintf("gemm.MatMul: batch %d, m %d, n %d, k %d need len(a) ≥ %d, len(b) ≥ %d, len(c) ≥ %d; got %d, %d, %d",
			batch, m, n, k, batch*m*k, batch*k*n, batch*m*n, len(a), len(b), len(c)))
	}
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:batch*m*n])
		return
	}
	if sumSelections && !aTransposed && !bTransposed && k <= panelDepth && sumSelectedRows(a, b, batch, m, n, k, c, workers) {
		return
	}
	if bTransposed && !aTransposed && m*k+2*m*n < n*k {
		// Packing Bᵀ (n·k values) would cost more than packing A and
		// transposing the result: compute cᵀ = B·Aᵀ, whose every value is
		// the same sum of the same products in the same order.
		throughTranspose(c, batch, m, n, func(ct []float32) { MatMul(false, true, b, a, batch, n, m, k, ct, workers) })
		return
	}
	if narrowOutputs && aTransposed && !bTransposed && n <= narrowCols && m > n {
		// Aᵀ·B with few columns (a kernel gradient over one channel): its
		// transpose Bᵀ·A has the same layouts and whole tiles, and packs
		// n rows per contraction panel where this packs m, and B besides.
		throughTranspose(c, batch, m, n, func(ct []float32) { MatMul(true, false, b, a, batch, n, m, k, ct, workers) })
		return
	}
	jobs := split(batch, m, n, k, max(workers, 1))
	run := func(js []job) {
		buf := buffers.Get().(*packBuffers)
		for _, j := range js {
			mat := matrices{
				a: a[j.batch*m*k : (j.batch+1)*m*k], b: b[j.batch*k*n : (j.batch+1)*k*n],
				c: c[j.batch*m*n : (j.batch+1)*m*n], m: m, n: n, k: k, aTransposed: aTransposed, bTransposed: bTransposed,
			}
			mat.multiply(j.rows, j.cols, buf)
		}
		buffers.Put(buf)
	}
	runShares(len(jobs), func(i int) { run(jobs[i]) })
}

// runShares runs share(0), …, share(n−1) on the caller's goroutine and n−1
// helpers. They take the shares in turn, so a helper that starts late (its
// core was busy, or idle and slow to wake) leaves its share to whoever is
// free first instead of making the caller wait for it.
func runShares(n int, share func(i int)) {
	if n == 1 {
		share(0)
		return
	}
	var next, pending atomic.Int32
	pending.Store(int32(n))
	done := make(chan struct{})
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			share(i)
			if pending.Add(-1) == 0 {
				close(done)
			}
		}
	}
	start := starter.Load()
	for range n - 1 {
		start.start(work)
	}
	if start.goStatement {
		// A go statement puts the goroutine it starts in its P's runnext
		// slot, which an idle P steals from a running one only after
		// sleeping 3 µs (Go's runqgrab; 50–100 µs with Linux's timer
		// slack on a virtual machine); from the P's run queue it steals at
		// once. Starting an empty goroutine moves the last helper there.
		go func() {}()
	}
	work()
	<-done
}

// narrowOutputs lets MatMul treat a C with few columns its own ways: a last
// column panel at most narrowCols wide goes through the narrow kernel instead
// of a whole tile, and such an Aᵀ·B is computed as (Bᵀ·A)ᵀ. The tests switch
// it off to compare.
var narrowOutputs = true

// sumSelections lets MatMul add up the selected rows of B when A holds only
// zeros and ones (sumSelectedRows); the tests switch it off to compare.
var sumSelections = true

// starter starts MatMul's helpers: a go statement, or what SetGo installed.
var starter atomic.Pointer[helperStarter]

type helperStarter struct {
	start       func(task func())
	goStatement bool // start is goStatement
}

func init() { starter.Store(&helperStarter{goStatement, true}) }

func goStatement(task func()) { go task() }

// SetGo makes MatMul start its helpers with start instead of a go
// statement (a pool of goroutines already running, say). start must
// run task concurrently with its caller, though it may start it late; nil
// restores the go statement. It returns the starter it replaces, nil for
// the go statement.
func SetGo(start func(task func())) (previous func(task func())) {
	next := &helperStarter{start, false}
	if start == nil {
		next = &helperStarter{goStatement, true}
	}
	if replaced := starter.Swap(next); !replaced.goStatement {
		return replaced.start
	}
	return nil
}

// span is the half-open range [lo, hi).
type span struct{ lo, hi int }

// job is one rectangle of one matrix of the batch.
type job struct {
	batch      int
	rows, cols span
}

// minParallelFlops is the size (m·n·k) under which one goroutine does it all:
// below it, starting a goroutine costs more than it saves.
const minParallelFlops = 1 << 18

// split cuts the work into one list of jobs per worker. Whole matrices go to
// workers when the batch is large enough; otherwise each matrix is cut along
// the axis whose cut repeats less packing: cutting columns makes every worker
// pack the same rows of A (m·k values), cutting rows the same B (k·n).
func split(batch, m, n, k, workers int) [][]job {
	if workers == 1 || batch*m*n*k < minParallelFlops {
		js := make([]job, batch)
		for i := range js {
			js[i] = job{i, span{0, m}, span{0, n}}
		}
		return [][]job{js}
	}
	if batch >= workers {
		out := make([][]job, workers)
		for i := range batch {
			out[i%workers] = append(out[i%workers], job{i, span{0, m}, span{0, n}})
		}
		return out
	}
	out := make([][]job, workers)
	byColumns := m <= n
	for i := range batch {
		whole, unit := m, tileRows
		if byColumns {
			whole, unit = n, tileCols
		}
		units := (whole + unit - 1) / unit
		for w := range workers {
			lo, hi := min(whole, units*w/workers*unit), min(whole, units*(w+1)/workers*unit)
			if lo == hi {
				continue
			}
			j := job{i, span{lo, hi}, span{0, n}}
			if byColumns {
				j = job{i, span{0, m}, span{lo, hi}}
			}
			out[w] = append(out[w], j)
		}
	}
	// Drop empty workers (tiny matrices).
	kept := out[:0]
	for _, js := range out {
		if len(js) > 0 {
			kept = append(kept, js)
		}
	}
	return kept
}

// matrices is one product of the batch.
type matrices struct {
	a, b, c                  []float32
	m, n, k                  int
	aTransposed, bTransposed bool
}

// packBuffers are one worker's packed panels, reused across calls.
type packBuffers struct {
	a, b []float32
	tile [tileRows * tileCols]float32
}

var buffers = sync.Pool{New: func() any { return new(packBuffers) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// multiply computes the rectangle rows × cols of c.
//
// Loop order (BLIS): contraction panels of panelDepth; per panel, the B
// panels that need packing (Bᵀ, or a last one narrower than tileCols) are
// packed once; then blocks of blockRows rows of A (which stay in L2) meet
// every 32-column B panel (which stays in L1), 8 rows at a time. Full
// 8-row blocks of a row-major A and full B panels of a row-major B are read
// in place (the kernel takes strides); edges, Aᵀ and Bᵀ are copied.
func (x *matrices) multiply(rows, cols span, buf *packBuffers) {
	panels := (cols.hi - cols.lo + tileCols - 1) / tileCols
	lastRows := (rows.hi - rows.lo) % tileRows
	for p0 := 0; p0 < x.k; p0 += panelDepth {
		kc := min(panelDepth, x.k-p0)
		buf.b = grow(buf.b, panels*tileCols*kc)
		if x.bTransposed {
			x.packB(buf.b, cols, p0, kc)
		} else if w := (cols.hi - cols.lo) % tileCols; w != 0 {
			x.packB(buf.b[(panels-1)*tileCols*kc:], span{cols.hi - w, cols.hi}, p0, kc)
		}
		// The last, partial block of rows is read in place when the 8 rows
		// from its start lie in a's memory (the next matrix of a batch, or
		// spare capacity): the rows past the matrix only reach tile rows
		// that are dropped. Otherwise it is packed, zero-padded.
		edgeInPlace := !x.aTransposed && (rows.hi-lastRows+tileRows)*x.k <= cap(x.a)
		if lastRows != 0 && !edgeInPlace && !x.aTransposed {
			buf.a = grow(buf.a, tileRows*kc)
			x.packA(buf.a, span{rows.hi - lastRows, rows.hi}, p0, kc)
		}
		accumulate := p0 > 0
		for i0 := rows.lo; i0 < rows.hi; i0 += blockRows {
			i1 := min(rows.hi, i0+blockRows)
			if x.aTransposed {
				// Aᵀ's rows are A's columns: 8 of A's rows take 8 adjacent
				// values from each of kc rows of aᵀ, a cache line apart. Packed
				// once per block, every column panel reads them contiguously.
				buf.a = grow(buf.a, (i1-i0+tileRows-1)/tileRows*tileRows*kc)
				x.packA(buf.a, span{i0, i1}, p0, kc)
			}
			for jp := range panels {
				j := cols.lo + jp*tileCols
				w := min(tileCols, cols.hi-j)
				pb, ldb := &buf.b[jp*tileCols*kc], tileCols
				if !x.bTransposed && w == tileCols {
					pb, ldb = &x.b[p0*x.n+j], x.n
				}
				for i := i0; i < i1; i += tileRows {
					h := min(tileRows, i1-i)
					var pa *float32
					var aRow, aStep int
					switch {
					case x.aTransposed:
						pa, aRow, aStep = &buf.a[(i-i0)*kc], 1, tileRows
					case h == tileRows:
						pa, aRow, aStep = &x.a[i*x.k+p0], x.k, 1
					case edgeInPlace:
						pa, aRow, aStep = &x.a[:cap(x.a)][i*x.k+p0], x.k, 1
					default:
						pa, aRow, aStep = &buf.a[0], 1, tileRows
					}
					if w == tileCols {
						// The kernel writes only the h rows inside c.
						microKernel(kc, pa, aRow, aStep, pb, ldb, &x.c[i*x.n+j], x.n, h, accumulate)
						continue
					}
					if narrowOutputs && w <= narrowCols {
						// Half a tile or less: the narrow kernel does half
						// the multiply-adds and writes only the w columns.
						narrowKernel(kc, pa, aRow, aStep, pb, ldb, &x.c[i*x.n+j], x.n, h, w, accumulate)
						continue
					}
					// A tile narrower than 32 columns: compute it whole into
					// buf.tile, keep what is inside c.
					microKernel(kc, pa, aRow, aStep, pb, ldb, &buf.tile[0], tileCols, tileRows, false)
					for r := range h {
						dst := x.c[(i+r)*x.n+j : (i+r)*x.n+j+w]
						src := buf.tile[r*tileCols : r*tileCols+w]
						if accumulate {
							for q := range dst {
								dst[q] += src[q]
							}
						} else {
							copy(dst, src)
						}
					}
				}
			}
		}
	}
}

// packA writes rows × [p0, p0+kc) of A as blocks of tileRows rows, each
// column by column (tileRows values per contraction step), zero-padded.
func (x *matrices) packA(dst []float32, rows span, p0, kc int) {
	if x.aTransposed {
		// Aᵀ's rows are already A's columns.
		for ib := 0; rows.lo+ib*tileRows < rows.hi; ib++ {
			i := rows.lo + ib*tileRows
			h := min(tileRows, rows.hi-i)
			if h == tileRows {
				// One 8-value move per contraction step.
				_ = dst[(ib+1)*kc*tileRows-1]
				_ = x.a[(p0+kc-1)*x.m+i+tileRows-1]
				gatherRows(&dst[ib*kc*tileRows], &x.a[p0*x.m+i], x.m, kc)
				continue
			}
			for p := range kc {
				d := dst[(ib*kc+p)*tileRows : (ib*kc+p+1)*tileRows]
				copy(d, x.a[(p0+p)*x.m+i:(p0+p)*x.m+i+h])
				clear(d[h:])
			}
		}
		return
	}
	for ib := 0; rows.lo+ib*tileRows < rows.hi; ib++ {
		var src [8][]float32
		for r := range src {
			if i := rows.lo + ib*tileRows + r; i < rows.hi {
				src[r] = x.a[i*x.k+p0 : i*x.k+p0+kc]
			}
		}
		interleave8(dst[ib*tileRows*kc:(ib+1)*tileRows*kc], tileRows, &src, kc)
	}
}

// packB writes [p0, p0+kc) × cols of B as panels of tileCols columns, each
// row by row (tileCols values per contraction step), zero-padded.
func (x *matrices) packB(dst []float32, cols span, p0, kc int) {
	for jp := 0; cols.lo+jp*tileCols < cols.hi; jp++ {
		panel := dst[jp*tileCols*kc : (jp+1)*tileCols*kc]
		j := cols.lo + jp*tileCols
		w := min(tileCols, cols.hi-j)
		if !x.bTransposed {
			for p := range kc {
				row := panel[p*tileCols : (p+1)*tileCols]
				copy(row, x.b[(p0+p)*x.n+j:(p0+p)*x.n+j+w])
				clear(row[w:])
			}
			continue
		}
		// Bᵀ's rows are B's columns: gather them eight at a time.
		for q0 := 0; q0 < tileCols; q0 += 8 {
			var src [8][]float32
			for q := range src {
				if q0+q < w {
					src[q] = x.b[(j+q0+q)*x.k+p0 : (j+q0+q)*x.k+p0+kc]
				}
			}
			interleave8(panel[q0:], tileCols, &src, kc)
		}
	}
}

// zeroPanel stands in for a missing row of a panel (read only).
var zeroPanel [panelDepth]float32

// interleave8 sets dst[p*stride+i] = src[i][p] for i < 8, p < kc, and 0
// where src[i] is nil: eight contiguous reads turned into one contiguous
// write per step.
func interleave8(dst []float32, stride int, src *[8][]float32, kc int) {
	for i := range src {
		if src[i] == nil {
			src[i] = zeroPanel[:kc]
		}
	}
	s0, s1, s2, s3 := src[0][:kc], src[1][:kc], src[2][:kc], src[3][:kc]
	s4, s5, s6, s7 := src[4][:kc], src[5][:kc], src[6][:kc], src[7][:kc]
	_ = dst[(kc-1)*stride+7]
	done := 0
	if blocks := kc / 8; blocks > 0 {
		rows := [8]*float32{&s0[0], &s1[0], &s2[0], &s3[0], &s4[0], &s5[0], &s6[0], &s7[0]}
		transpose(&rows, &dst[0], stride, blocks)
		done = blocks * 8
	}
	for p := done; p < kc; p++ {
		d := dst[p*stride : p*stride+8 : p*stride+8]
		d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		d[4], d[5], d[6], d[7] = s4[p], s5[p], s6[p], s7[p]
	}
}

// throughTranspose sets c [batch, m, n] to the transpose of what product
// writes in a buffer of batch [n, m] matrices: a product computed as cᵀ.
func throughTranspose(c []float32, batch, m, n int, product func(ct []float32)) {
	buf := transposed.Get().(*[]float32)
	*buf = grow(*buf, batch*m*n)
	ct := *buf
	product(ct)
	for s := range batch {
		transposeInto(c[s*m*n:(s+1)*m*n], ct[s*m*n:(s+1)*m*n], n, m)
	}
	transposed.Put(buf)
}

// transposed holds the cᵀ of products computed transposed.
var transposed = sync.Pool{New: func() any { return new([]float32) }}

// transposeInto sets dst [cols, rows] to the transpose of src [rows, cols].
func transposeInto(dst, src []float32, rows, cols int) {
	r := 0
	for ; r+8 <= rows; r += 8 {
		var block [8][]float32
		for q := range block {
			block[q] = src[(r+q)*cols : (r+q+1)*cols]
		}
		interleave8(dst[r:], rows, &block, cols)
	}
	for ; r < rows; r++ {
		for j, v := range src[r*cols : (r+1)*cols] {
			dst[j*rows+r] = v
		}
	}
}
