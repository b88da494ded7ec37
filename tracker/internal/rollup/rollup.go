// Package rollup summarises metric series in buckets of power-of-two step
// ranges, the metric_rollups rows both tracker stores keep so that a long
// series' envelope reads a few rows instead of every point. The folding
// rules live here once; each store only reads and writes its rows.
package rollup

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// Shifts are the bucket widths of metric_rollups as powers of two:
// 64, 512, 4096, … 2^57 steps, a factor 8 apart. The finest width keeps the
// rows an append adds to about one for every 56 points (1/64 + 1/512 + …);
// the factor bounds the rows an envelope reads to about 8 per range; the
// coarsest covers any int64 step range in 128 buckets.
var Shifts = func() []uint {
	var s []uint
	for shift := uint(6); shift <= 57; shift += 3 {
		s = append(s, shift)
	}
	return s
}()

// Point is one point of a series as a Rollup keeps it.
type Point struct {
	Step, Wall int64 // wall time in ms
	Value      float64
}

// Rollup summarises the points of one bucket of a series: a row of a
// store's metric_rollups table (see each store's 0002_metric_rollups.sql).
type Rollup struct {
	Bucket                     int64
	Count, NaN, PosInf, NegInf int64
	First, Last                Point
	Min, Max                   Point // valid when HasFinite
	HasFinite                  bool
}

// smaller and larger order the extreme points: by value, then the lower
// step first; points of equal value and step keep the one already held,
// the first logged or first read.
func smaller(a, b Point) bool { return a.Value < b.Value || a.Value == b.Value && a.Step < b.Step }
func larger(a, b Point) bool  { return a.Value > b.Value || a.Value == b.Value && a.Step < b.Step }

// Add folds p into r. Points must come in logging order, or in (step,
// logging order) order: both make r.First the first logged point of lowest
// step, r.Last the last logged point of highest step and the extremes the
// first logged of lowest step among equal values.
func (r *Rollup) Add(p Point) {
	if r.Count == 0 {
		r.First, r.Last = p, p
	} else {
		if p.Step < r.First.Step {
			r.First = p
		}
		if p.Step >= r.Last.Step {
			r.Last = p
		}
	}
	r.Count++
	switch {
	case math.IsNaN(p.Value):
		r.NaN++
	case math.IsInf(p.Value, 1):
		r.PosInf++
	case math.IsInf(p.Value, -1):
		r.NegInf++
	case !r.HasFinite:
		r.Min, r.Max, r.HasFinite = p, p, true
	default:
		if smaller(p, r.Min) {
			r.Min = p
		}
		if larger(p, r.Max) {
			r.Max = p
		}
	}
}

// Merge folds o into r, where o's points were logged after r's or lie in
// another range of steps.
func (r *Rollup) Merge(o *Rollup) {
	if o.Count == 0 {
		return
	}
	if r.Count == 0 {
		bucket := r.Bucket
		*r = *o
		r.Bucket = bucket
		return
	}
	if o.First.Step < r.First.Step {
		r.First = o.First
	}
	if o.Last.Step >= r.Last.Step {
		r.Last = o.Last
	}
	r.Count += o.Count
	r.NaN += o.NaN
	r.PosInf += o.PosInf
	r.NegInf += o.NegInf
	switch {
	case !o.HasFinite:
	case !r.HasFinite:
		r.Min, r.Max, r.HasFinite = o.Min, o.Max, true
	default:
		if smaller(o.Min, r.Min) {
			r.Min = o.Min
		}
		if larger(o.Max, r.Max) {
			r.Max = o.Max
		}
	}
}

// Builder accumulates one series' points into buckets of the finest
// width.
type Builder struct {
	buckets []Rollup
	index   map[int64]int // bucket → position in buckets
	last    int           // position of the last bucket added to
}

func NewBuilder() *Builder {
	return &Builder{index: map[int64]int{}, last: -1}
}

func (b *Builder) Add(p Point) {
	if math.IsNaN(p.Value) {
		p.Value = math.NaN() // one NaN, as the metrics table reads back
	}
	bucket := p.Step >> Shifts[0]
	// Steps mostly come in order, so the bucket is mostly the last one.
	if b.last < 0 || b.buckets[b.last].Bucket != bucket {
		i, ok := b.index[bucket]
		if !ok {
			i = len(b.buckets)
			b.buckets = append(b.buckets, Rollup{Bucket: bucket})
			b.index[bucket] = i
		}
		b.last = i
	}
	b.buckets[b.last].Add(p)
}

// Levels returns the rollups at each width of Shifts, each sorted by
// bucket; a coarser level is folded from the one below it.
func (b *Builder) Levels() [][]Rollup {
	fine := b.buckets
	slices.SortFunc(fine, func(x, y Rollup) int { return cmp.Compare(x.Bucket, y.Bucket) })
	out := make([][]Rollup, len(Shifts))
	out[0] = fine
	for i := 1; i < len(Shifts); i++ {
		d := Shifts[i] - Shifts[i-1]
		var level []Rollup
		for j := range out[i-1] {
			r := &out[i-1][j]
			bucket := r.Bucket >> d
			if n := len(level); n > 0 && level[n-1].Bucket == bucket {
				level[n-1].Merge(r)
				continue
			}
			c := *r
			c.Bucket = bucket
			level = append(level, c)
		}
		out[i] = level
	}
	return out
}

// RawEnvelopeLimit is the most points of a series an envelope summarises in
// ranges as narrow as the request allows; longer series get ranges of a
// rollup width.
func RawEnvelopeLimit(buckets int) int64 { return max(4*int64(buckets), 4096) }

// EnvelopeShift picks the coarsest rollup width that still divides the
// steps lo…hi into at least the requested number of buckets (the finest
// when none does), so that the envelope reads the fewest rows that give it
// its full resolution: fewer than 8 per requested bucket.
func EnvelopeShift(lo, hi int64, buckets int) uint {
	shift := Shifts[0]
	for _, s := range Shifts {
		if hi>>s-lo>>s+1 >= int64(buckets) {
			shift = s
		}
	}
	return shift
}

// EnvelopeBucket is r, the rollup of series key's range starting at step
// start, as the tracker reports it.
func EnvelopeBucket(key string, start int64, r *Rollup) tracker.EnvelopeBucket {
	point := func(p Point) tracker.MetricPoint {
		return tracker.MetricPoint{Key: key, Step: p.Step, Time: time.UnixMilli(p.Wall), Value: p.Value}
	}
	b := tracker.EnvelopeBucket{
		Start: start, Count: r.Count, NaN: r.NaN, PosInf: r.PosInf, NegInf: r.NegInf,
		First: point(r.First), Last: point(r.Last),
	}
	if r.HasFinite {
		lo, hi := point(r.Min), point(r.Max)
		b.Min, b.Max = &lo, &hi
	}
	return b
}
