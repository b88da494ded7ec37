package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
	"github.com/ganbook/ganbook/tracker/internal/rollup"
)

// logged is a point as the test logged it: seq is its place in logging
// order, and its wall time (base + seq ms) tells it apart from every other.
type logged struct {
	seq   int
	step  int64
	value float64
}

var wallBase = time.UnixMilli(1_700_000_000_000)

func (p logged) wall() int64 { return wallBase.UnixMilli() + int64(p.seq) }

// bruteBucket is what a range of steps should summarise to, computed from
// the definitions by sorting the range's points.
type bruteBucket struct {
	count, nan, posInf, negInf int64
	first, last                logged
	min, max                   *logged
}

// bruteForce groups points by group(step) and summarises each group:
// first = lowest step, then earliest logged; last = highest step, then
// latest logged; min (max) = smallest (largest) finite value, then lowest
// step, then earliest logged.
func bruteForce(points []logged, group func(step int64) int64) map[int64]*bruteBucket {
	groups := map[int64][]logged{}
	for _, p := range points {
		g := group(p.step)
		groups[g] = append(groups[g], p)
	}
	out := map[int64]*bruteBucket{}
	for g, ps := range groups {
		b := &bruteBucket{count: int64(len(ps))}
		byStep := slices.Clone(ps)
		slices.SortFunc(byStep, func(a, b logged) int { return cmp.Or(cmp.Compare(a.step, b.step), cmp.Compare(a.seq, b.seq)) })
		b.first, b.last = byStep[0], byStep[len(byStep)-1]
		var finite []logged
		for _, p := range ps {
			switch {
			case math.IsNaN(p.value):
				b.nan++
			case math.IsInf(p.value, 1):
				b.posInf++
			case math.IsInf(p.value, -1):
				b.negInf++
			default:
				finite = append(finite, p)
			}
		}
		if len(finite) > 0 {
			tieBreak := func(a, b logged) int { return cmp.Or(cmp.Compare(a.step, b.step), cmp.Compare(a.seq, b.seq)) }
			slices.SortFunc(finite, func(a, b logged) int {
				if a.value != b.value { // -0 == 0: equal values
					return cmp.Compare(a.value, b.value)
				}
				return tieBreak(a, b)
			})
			lo := finite[0]
			b.min = &lo
			slices.SortFunc(finite, func(a, b logged) int {
				if a.value != b.value {
					return cmp.Compare(b.value, a.value)
				}
				return tieBreak(a, b)
			})
			hi := finite[0]
			b.max = &hi
		}
		out[g] = b
	}
	return out
}

// sameValue compares float64s bit for bit, NaN equal to NaN.
func sameValue(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

func checkPoint(t *testing.T, what string, got tracker.MetricPoint, want logged) {
	t.Helper()
	if got.Step != want.step || got.Time.UnixMilli() != want.wall() || !sameValue(got.Value, want.value) {
		t.Errorf("%s: got step %d time %d value %v; want step %d time %d value %v (logged #%d)",
			what, got.Step, got.Time.UnixMilli(), got.Value, want.step, want.wall(), want.value, want.seq)
	}
}

func checkExtreme(t *testing.T, what string, got *tracker.MetricPoint, want *logged) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s: got %v, want %v", what, got, want)
	default:
		checkPoint(t, what, *got, *want)
	}
}

// seriesCase is a series to log: n points, the step and value of point i,
// and how many points each WriteBatch carries.
type seriesCase struct {
	name   string
	n      int
	step   func(r *rand.Rand, i int) int64
	value  func(r *rand.Rand, i int) float64
	batch  func(r *rand.Rand) int
	budget []int // bucket counts to ask for
}

// mixedValue is mostly a smooth curve with noise, sometimes one of a few
// repeated values (ties), -0, NaN or ±Inf.
func mixedValue(r *rand.Rand, i int) float64 {
	switch u := r.Float64(); {
	case u < 0.03:
		return math.NaN()
	case u < 0.05:
		return math.Inf(1)
	case u < 0.07:
		return math.Inf(-1)
	case u < 0.09:
		return math.Copysign(0, -1)
	case u < 0.15:
		return float64(r.IntN(3)) // 0, 1, 2: ties across steps
	}
	return math.Sin(float64(i)/300) + 0.1*r.NormFloat64()
}

func fixedBatch(n int) func(*rand.Rand) int { return func(*rand.Rand) int { return n } }

func randomBatch(max int) func(*rand.Rand) int {
	return func(r *rand.Rand) int { return 1 + r.IntN(max) }
}

var seriesCases = []seriesCase{
	{"sequential, transactions of 8192", 20_000, func(_ *rand.Rand, i int) int64 { return int64(i) }, mixedValue, fixedBatch(8192), []int{4, 7, 100, 1000}},
	{"sequential from a negative step, small batches", 6_000, func(_ *rand.Rand, i int) int64 { return int64(i) - 3_000 }, mixedValue, randomBatch(300), []int{4, 100, 1000}},
	{"out of order with duplicates", 12_000, func(r *rand.Rand, _ int) int64 { return r.Int64N(40_000) }, mixedValue, randomBatch(700), []int{4, 7, 100, 1000, 5000}},
	{"every step logged three times, few values", 9_000, func(_ *rand.Rand, i int) int64 { return int64(i / 3) },
		func(r *rand.Rand, _ int) float64 { return []float64{0, 1, math.Copysign(0, -1), math.NaN()}[r.IntN(4)] }, randomBatch(100), []int{4, 50, 1000}},
	{"re-logged old steps after the series", 8_000, func(r *rand.Rand, i int) int64 {
		if i < 6_000 {
			return int64(i)
		}
		return r.Int64N(6_000)
	}, mixedValue, fixedBatch(1000), []int{4, 100, 1000}},
	{"sparse, a million steps apart", 10_000, func(_ *rand.Rand, i int) int64 { return int64(i) * 1_000_003 }, mixedValue, fixedBatch(4096), []int{4, 100, 1000}},
	{"nanosecond timestamps as steps", 5_000, func(r *rand.Rand, i int) int64 {
		return 1_700_000_000_000_000_000 + int64(i)*1_000_000 + r.Int64N(1000)
	}, mixedValue, fixedBatch(2048), []int{4, 100, 1000}},
	{"anywhere in int64", 6_000, func(r *rand.Rand, _ int) int64 { return int64(r.Uint64()) }, mixedValue, randomBatch(500), []int{4, 5, 100, 1000}},
	{"the extreme steps", 4_200, func(r *rand.Rand, i int) int64 {
		return []int64{math.MinInt64, math.MaxInt64, math.MinInt64 + 1, math.MaxInt64 - 1, 0, -1}[i%6]
	}, mixedValue, randomBatch(700), []int{4, 6, 100}},
	{"all NaN", 5_000, func(_ *rand.Rand, i int) int64 { return int64(i) }, func(*rand.Rand, int) float64 { return math.NaN() }, fixedBatch(512), []int{4, 100}},
	{"only infinities", 5_000, func(_ *rand.Rand, i int) int64 { return int64(i) }, func(r *rand.Rand, _ int) float64 { return math.Inf(1 - 2*r.IntN(2)) }, fixedBatch(512), []int{4, 100}},
	{"one point", 1, func(*rand.Rand, int) int64 { return 42 }, func(*rand.Rand, int) float64 { return -1.5 }, fixedBatch(1), []int{4, 1000}},
}

// logSeries writes the case's points to a new run of d under key "m" in
// the case's batches, returning them in logging order.
func logSeries(t testing.TB, d *DB, runID string, c seriesCase, seed uint64) []logged {
	t.Helper()
	ctx := context.Background()
	if err := d.CreateRun(ctx, tracker.NewRun{ID: runID, Experiment: "rollups", Name: c.name, StartTime: wallBase, HeartbeatTimeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	pts := make([]logged, c.n)
	for i := range pts {
		pts[i] = logged{seq: i, step: c.step(r, i), value: c.value(r, i)}
	}
	for from := 0; from < len(pts); {
		to := min(from+c.batch(r), len(pts))
		b := tracker.Batch{RunID: runID}
		for _, p := range pts[from:to] {
			b.Metrics = append(b.Metrics, tracker.MetricPoint{Key: "m", Step: p.step, Time: time.UnixMilli(p.wall()), Value: p.value})
			// Another key in the same batches, which must not leak into "m".
			b.Metrics = append(b.Metrics, tracker.MetricPoint{Key: "other", Step: p.step + 1, Time: time.UnixMilli(p.wall()), Value: 1e9})
		}
		if err := d.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		from = to
	}
	return pts
}

// checkEnvelope compares an envelope with the brute-force summary of pts
// over the envelope's own ranges, and checks that the ranges are as many
// as allowed and no wider than needed.
func checkEnvelope(t *testing.T, env tracker.MetricEnvelope, pts []logged, budget int) {
	t.Helper()
	if len(pts) == 0 {
		if env.Count != 0 || len(env.Buckets) != 0 {
			t.Errorf("empty series: %+v", env)
		}
		return
	}
	lo := slices.MinFunc(pts, func(a, b logged) int { return cmp.Compare(a.step, b.step) }).step
	hi := slices.MaxFunc(pts, func(a, b logged) int { return cmp.Compare(a.step, b.step) }).step
	if env.Count != int64(len(pts)) {
		t.Errorf("count %d, want %d", env.Count, len(pts))
	}
	if len(env.Buckets) == 0 || len(env.Buckets) > budget || env.Width <= 0 {
		t.Fatalf("%d buckets of width %d for a budget of %d", len(env.Buckets), env.Width, budget)
	}
	origin := env.Buckets[0].Start
	span := new(big.Int).Sub(big.NewInt(hi), big.NewInt(lo))
	span.Add(span, big.NewInt(1)) // steps lo…hi inclusive
	// The origin is at or below the lowest step, within one range of it.
	if off := new(big.Int).Sub(big.NewInt(lo), big.NewInt(origin)); off.Sign() < 0 || off.Cmp(big.NewInt(env.Width)) >= 0 {
		t.Fatalf("first range starts at %d, width %d; lowest step %d", origin, env.Width, lo)
	}
	// Ranges as narrow as the budget allows: exactly ceil(span/budget) when
	// the series is summarised from its points (at most 4 a bucket, or 4096
	// in all), and within a factor 4 of it (or 64 steps, the finest rollup)
	// otherwise.
	need := new(big.Int).Div(new(big.Int).Add(span, big.NewInt(int64(budget-1))), big.NewInt(int64(budget)))
	if len(pts) <= max(4*budget, 4096) {
		if need.Cmp(big.NewInt(env.Width)) != 0 {
			t.Errorf("width %d; want ceil(%v/%d) = %v", env.Width, span, budget, need)
		}
	} else if limit := max(64, 4*float64(need.Int64())); float64(env.Width) > limit {
		t.Errorf("width %d, wider than %v for %v steps in %d buckets", env.Width, limit, span, budget)
	}
	w := big.NewInt(env.Width)
	index := func(step int64) int64 {
		d := new(big.Int).Sub(big.NewInt(step), big.NewInt(origin))
		return d.Div(d, w).Int64()
	}
	want := bruteForce(pts, index)
	if len(env.Buckets) != len(want) {
		t.Errorf("%d buckets, want %d", len(env.Buckets), len(want))
	}
	prev := int64(-1)
	for _, b := range env.Buckets {
		i := index(b.Start)
		if i <= prev {
			t.Fatalf("bucket starting at %d out of order", b.Start)
		}
		prev = i
		if start := new(big.Int).Add(big.NewInt(origin), new(big.Int).Mul(big.NewInt(i), w)); start.Cmp(big.NewInt(b.Start)) != 0 {
			t.Errorf("bucket %d starts at %d, want %v", i, b.Start, start)
		}
		wb, ok := want[i]
		if !ok {
			t.Errorf("bucket %d (start %d) should be empty", i, b.Start)
			continue
		}
		if b.Count != wb.count || b.NaN != wb.nan || b.PosInf != wb.posInf || b.NegInf != wb.negInf {
			t.Errorf("bucket %d: count %d NaN %d +Inf %d -Inf %d; want %d %d %d %d", i, b.Count, b.NaN, b.PosInf, b.NegInf, wb.count, wb.nan, wb.posInf, wb.negInf)
		}
		checkPoint(t, fmt.Sprintf("bucket %d first", i), b.First, wb.first)
		checkPoint(t, fmt.Sprintf("bucket %d last", i), b.Last, wb.last)
		checkExtreme(t, fmt.Sprintf("bucket %d min", i), b.Min, wb.min)
		checkExtreme(t, fmt.Sprintf("bucket %d max", i), b.Max, wb.max)
		if t.Failed() {
			t.FailNow() // one bucket's report is enough
		}
	}
}

// checkStoredRollups compares every stored rollup row of run pk's metric
// "m" with the brute-force summary of its bucket at each width.
func checkStoredRollups(t *testing.T, db *sql.DB, runID string, pts []logged) {
	t.Helper()
	ctx := context.Background()
	pk, err := runPK(ctx, db, runID)
	if err != nil {
		t.Fatal(err)
	}
	for _, shift := range rollup.Shifts {
		want := bruteForce(pts, func(step int64) int64 { return step >> shift })
		got := map[int64]rollup.Rollup{}
		rows, err := db.Query(`SELECT bucket, count, summary FROM metric_rollups WHERE run_pk = ? AND key = 'm' AND shift = ?`, pk, int64(shift))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r rollup.Rollup
			var summary []byte
			if err := rows.Scan(&r.Bucket, &r.Count, &summary); err != nil {
				t.Fatal(err)
			}
			if err := decodeSummary(summary, &r); err != nil {
				t.Fatal(err)
			}
			got[r.Bucket] = r
		}
		rows.Close()
		if len(got) != len(want) {
			t.Fatalf("shift %d: %d rows, want %d", shift, len(got), len(want))
		}
		toPoint := func(p rollup.Point) tracker.MetricPoint {
			return tracker.MetricPoint{Step: p.Step, Time: fromMS(p.Wall), Value: p.Value}
		}
		for bucket, w := range want {
			r, ok := got[bucket]
			if !ok {
				t.Fatalf("shift %d: no row for bucket %d", shift, bucket)
			}
			what := fmt.Sprintf("shift %d bucket %d", shift, bucket)
			if r.Count != w.count || r.NaN != w.nan || r.PosInf != w.posInf || r.NegInf != w.negInf {
				t.Errorf("%s: counts %d/%d/%d/%d; want %d/%d/%d/%d", what, r.Count, r.NaN, r.PosInf, r.NegInf, w.count, w.nan, w.posInf, w.negInf)
			}
			checkPoint(t, what+" first", toPoint(r.First), w.first)
			checkPoint(t, what+" last", toPoint(r.Last), w.last)
			var lo, hi *tracker.MetricPoint
			if r.HasFinite {
				l, h := toPoint(r.Min), toPoint(r.Max)
				lo, hi = &l, &h
			}
			checkExtreme(t, what+" min", lo, w.min)
			checkExtreme(t, what+" max", hi, w.max)
			if t.Failed() {
				t.FailNow()
			}
		}
	}
}

// TestEnvelope logs random series in random batches and checks the stored
// rollups and the envelopes at several budgets against brute force.
func TestEnvelope(t *testing.T) {
	ctx := context.Background()
	d := mustOpen(t, filepath.Join(t.TempDir(), "env.db"))
	defer d.Close()
	for i, c := range seriesCases {
		t.Run(c.name, func(t *testing.T) {
			id := fmt.Sprintf("%032x", i+1)
			pts := logSeries(t, d, id, c, uint64(i))
			checkStoredRollups(t, d.db, id, pts)
			for _, budget := range c.budget {
				t.Run(fmt.Sprint(budget), func(t *testing.T) {
					env, err := d.MetricEnvelope(ctx, id, "m", budget)
					if err != nil {
						t.Fatal(err)
					}
					checkEnvelope(t, env, pts, budget)
				})
			}
		})
	}
}

func TestEnvelopeEdges(t *testing.T) {
	ctx := context.Background()
	d := mustOpen(t, filepath.Join(t.TempDir(), "edges.db"))
	defer d.Close()
	if err := d.CreateRun(ctx, tracker.NewRun{ID: "00aa", Experiment: "e", Name: "n"}); err != nil {
		t.Fatal(err)
	}
	env, err := d.MetricEnvelope(ctx, "00aa", "never", 100)
	if err != nil || env.Count != 0 || env.Buckets == nil || len(env.Buckets) != 0 {
		t.Errorf("metric never logged: %+v, %v; want an empty envelope", env, err)
	}
	if _, err := d.MetricEnvelope(ctx, "00bb", "m", 100); !errorsIsNotFound(err) {
		t.Errorf("unknown run: %v; want ErrNotFound", err)
	}
	// A budget below the minimum counts as the minimum.
	b := tracker.Batch{RunID: "00aa"}
	values := []float64{5, 1, 9, 2, 2, math.NaN(), 7, math.Inf(1), 3, 4}
	for s, v := range values {
		b.Metrics = append(b.Metrics, tracker.MetricPoint{Key: "m", Step: int64(s), Time: wallBase, Value: v})
	}
	if err := d.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	env, err = d.MetricEnvelope(ctx, "00aa", "m", 1)
	if err != nil || len(env.Buckets) != tracker.MinEnvelopeBuckets || env.Width != 3 {
		t.Fatalf("budget 1: %d buckets of width 3, %v; want %d of width 3", len(env.Buckets), err, tracker.MinEnvelopeBuckets)
	}
	// Each bucket's distinct points in step order: steps 0-2 have first 0
	// (the max), min 1 and last 2 (the max); 3-5 first 3 (min and max, the
	// first logged of the two 2s), last 5 (NaN); 6-8 first 6 (min and max),
	// last 8; 9 alone.
	var steps []int64
	for _, p := range env.Points() {
		steps = append(steps, p.Step)
	}
	if want := []int64{0, 1, 2, 3, 5, 6, 8, 9}; !slices.Equal(steps, want) {
		t.Errorf("Points: steps %v, want %v", steps, want)
	}
	if env.NonFinite() != 2 || env.Buckets[1].NaN != 1 || env.Buckets[2].PosInf != 1 || env.Buckets[2].Finite() != 2 {
		t.Errorf("non-finite counts: %+v", env.Buckets)
	}
}

func errorsIsNotFound(err error) bool { return errors.Is(err, tracker.ErrNotFound) }

// TestMetricSince checks the points after a step against the whole series.
func TestMetricSince(t *testing.T) {
	ctx := context.Background()
	d := mustOpen(t, filepath.Join(t.TempDir(), "since.db"))
	defer d.Close()
	c := seriesCases[2] // out of order with duplicates
	pts := logSeries(t, d, "00cc", c, 3)
	all, err := d.Metric(ctx, "00cc", "m")
	if err != nil || len(all) != len(pts) {
		t.Fatalf("Metric: %d points, %v", len(all), err)
	}
	for _, after := range []int64{math.MinInt64, -1, 0, 20_000, 39_998, 39_999, math.MaxInt64} {
		got, err := d.MetricSince(ctx, "00cc", "m", after)
		if err != nil {
			t.Fatal(err)
		}
		var want []tracker.MetricPoint
		for _, p := range all {
			if p.Step > after {
				want = append(want, p)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("after %d: %d points, want %d", after, len(got), len(want))
		}
		for i := range got {
			if got[i].Step != want[i].Step || !got[i].Time.Equal(want[i].Time) || !sameValue(got[i].Value, want[i].Value) {
				t.Fatalf("after %d: point %d is %+v, want %+v", after, i, got[i], want[i])
			}
		}
	}
	if _, err := d.MetricSince(ctx, "00dd", "m", 0); !errorsIsNotFound(err) {
		t.Errorf("unknown run: %v", err)
	}
}

// makeVersion1 creates a database of schema version 1 from the embedded
// 0001 migration alone and logs the case's series into it through plain SQL
// inserts, as the version-1 writer stored them (points and summary; no
// rollups). It returns the points by run id.
func makeVersion1(t *testing.T, path string, cases []seriesCase) map[string][]logged {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(migrations[0].sql); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = 1; PRAGMA application_id = %d; PRAGMA journal_mode = WAL`, applicationID)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO experiments(id, name, created_ms) VALUES (1, 'old', 0)`); err != nil {
		t.Fatal(err)
	}
	out := map[string][]logged{}
	for i, c := range cases {
		id := fmt.Sprintf("%032x", 0x100+i)
		res, err := db.Exec(`INSERT INTO runs(id, experiment_id, name, status, start_ms, end_ms, heartbeat_ms, heartbeat_timeout_ms) VALUES (?, 1, ?, 'FINISHED', 0, 1, 1, 1000)`, id, c.name)
		if err != nil {
			t.Fatal(err)
		}
		pk, _ := res.LastInsertId()
		r := rand.New(rand.NewPCG(uint64(i), 11))
		tx, _ := db.Begin()
		pts := make([]logged, c.n)
		for j := range pts {
			p := logged{seq: j, step: c.step(r, j), value: c.value(r, j)}
			pts[j] = p
			v, kind := encodeValue(p.value)
			if _, err := tx.Exec(`INSERT INTO metrics(run_pk, key, step, wall_ms, value, kind) VALUES (?, 'm', ?, ?, ?, ?)`, pk, p.step, p.wall(), v, kind); err != nil {
				t.Fatal(err)
			}
		}
		// The summary's count is what the envelope plans with.
		if _, err := tx.Exec(`INSERT INTO metric_summary(run_pk, key, step, wall_ms, value, kind, count) SELECT run_pk, key, max(step), 0, 0, 0, count(*) FROM metrics WHERE run_pk = ? GROUP BY run_pk, key`, pk); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		out[id] = pts
	}
	return out
}

// TestUpgradeFromVersion1 opens a version-1 database read-only (it is read
// as it is, envelopes computed from the points, the file untouched), then
// read-write: it is upgraded, and the backfilled rollups match brute force.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "v1.db")
	cases := []seriesCase{seriesCases[0], seriesCases[2], seriesCases[4], seriesCases[7], seriesCases[9]}
	series := makeVersion1(t, path, cases)
	before := snapshot(t, dir)

	ro, err := Open(path, tracker.BackendConfig{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open of version 1: %v", err)
	}
	for id, pts := range series {
		env, err := ro.MetricEnvelope(ctx, id, "m", 100)
		if err != nil {
			t.Fatal(err)
		}
		checkEnvelope(t, env, pts, 100)
	}
	ro.Close()
	// SQLite may leave -wal and -shm files beside a WAL database opened
	// read-only; the database itself must not change.
	if after := snapshot(t, dir); after["v1.db"] != before["v1.db"] {
		t.Error("read-only open changed the version-1 database")
	}

	d := mustOpen(t, path)
	defer d.Close()
	var version int
	if err := d.db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != SchemaVersion() {
		t.Fatalf("user_version %d after upgrade (%v), want %d", version, err, SchemaVersion())
	}
	for i, c := range cases {
		id := fmt.Sprintf("%032x", 0x100+i)
		t.Run(c.name, func(t *testing.T) {
			checkStoredRollups(t, d.db, id, series[id])
			for _, budget := range c.budget {
				env, err := d.MetricEnvelope(ctx, id, "m", budget)
				if err != nil {
					t.Fatal(err)
				}
				checkEnvelope(t, env, series[id], budget)
			}
		})
	}
	// Points logged after the upgrade merge into the backfilled rollups.
	id := fmt.Sprintf("%032x", 0x100)
	extra := logged{seq: len(series[id]), step: 5, value: -1e6}
	if err := d.WriteBatch(ctx, tracker.Batch{RunID: id, Metrics: []tracker.MetricPoint{{Key: "m", Step: extra.step, Time: time.UnixMilli(extra.wall()), Value: extra.value}}}); err != nil {
		t.Fatal(err)
	}
	series[id] = append(series[id], extra)
	checkStoredRollups(t, d.db, id, series[id])
	if err := d.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// TestUpgradeFailureRollsBack upgrades a version-1 database whose backfill
// fails (a point of a run that does not exist, which foreign keys refuse
// in metric_rollups): Open fails and the database stays at version 1,
// without the new table.
func TestUpgradeFailureRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	makeVersion1(t, path, []seriesCase{seriesCases[1]})
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA foreign_keys = OFF; INSERT INTO metrics(run_pk, key, step, wall_ms, value, kind) VALUES (999, 'orphan', 1, 1, 1, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d, err := Open(path, tracker.BackendConfig{})
	if err == nil {
		d.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "migrate to schema version 2") || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("Open: %v; want the migration's foreign key error", err)
	}
	db, err = sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, tables int
	if err := db.QueryRow(`SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master WHERE name = 'metric_rollups')`).Scan(&version, &tables); err != nil {
		t.Fatal(err)
	}
	if version != 1 || tables != 0 {
		t.Errorf("after a failed upgrade: user_version %d, %d metric_rollups tables; want 1 and 0", version, tables)
	}
}

// TestRollupsFollowDelete checks that deleting a run deletes its rollups.
func TestRollupsFollowDelete(t *testing.T) {
	ctx := context.Background()
	d := mustOpen(t, filepath.Join(t.TempDir(), "del.db"))
	defer d.Close()
	logSeries(t, d, "00ee", seriesCases[1], 1)
	if err := d.DeleteRun(ctx, "00ee"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.db.QueryRow(`SELECT count(*) FROM metric_rollups`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rollup rows left after delete (%v)", n, err)
	}
}

// TestQueryPlans checks that the backfill finds and reads each series
// through the metrics_series index, sorting nothing, and that the writer
// reads the stored rollups it merges by primary key.
func TestQueryPlans(t *testing.T) {
	d := mustOpen(t, filepath.Join(t.TempDir(), "plan.db"))
	defer d.Close()
	tests := []struct {
		query string
		args  []any
		want  []string
	}{
		{`SELECT run_pk, key FROM metrics WHERE (run_pk, key) > (?, ?) ORDER BY run_pk, key LIMIT 1`, []any{1, "m"},
			[]string{"SEARCH metrics USING COVERING INDEX metrics_series ((run_pk,key)>(?,?))"}},
		{`SELECT step, wall_ms, value, kind FROM metrics WHERE run_pk = ? AND key = ? ORDER BY step, rowid`, []any{1, "m"},
			[]string{"SEARCH metrics USING INDEX metrics_series (run_pk=? AND key=?)"}},
		{storedRollupsSQL, []any{1, "m", "[[6,1],[9,0]]"},
			[]string{"SEARCH metric_rollups USING PRIMARY KEY (run_pk=? AND key=? AND shift=? AND bucket=?)"}},
	}
	for _, tt := range tests {
		rows, err := d.db.Query(`EXPLAIN QUERY PLAN `+tt.query, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		// The first steps are the table's; the rest (the IN list's) vary
		// with SQLite's version.
		if len(plan) < len(tt.want) || !slices.Equal(plan[:len(tt.want)], tt.want) ||
			slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "TEMP B-TREE") }) {
			t.Errorf("query plan %q; want %q and no sort", plan, tt.want)
		}
	}
}

// TestSummaryCodec round-trips summaries, non-finite values and extreme
// steps included, and rejects damaged ones.
func TestSummaryCodec(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []rollup.Rollup{
		{Count: 1, First: rollup.Point{Step: 0, Wall: 0, Value: 1}, Last: rollup.Point{Step: 0, Wall: 0, Value: 1}, Min: rollup.Point{Step: 0, Wall: 0, Value: 1}, Max: rollup.Point{Step: 0, Wall: 0, Value: 1}, HasFinite: true},
		{Count: 3, NaN: 2, NegInf: 1, First: rollup.Point{Step: math.MinInt64, Wall: -1, Value: math.NaN()}, Last: rollup.Point{Step: math.MaxInt64, Wall: math.MaxInt64, Value: math.Inf(-1)}},
		{Count: 5, PosInf: 1, First: rollup.Point{Step: -5, Wall: 7, Value: math.Inf(1)}, Last: rollup.Point{Step: 9, Wall: 8, Value: negZero}, Min: rollup.Point{Step: 3, Wall: 9, Value: negZero}, Max: rollup.Point{Step: 4, Wall: 10, Value: math.MaxFloat64}, HasFinite: true},
	}
	for i, r := range tests {
		b := encodeSummary(nil, &r)
		var got rollup.Rollup
		if err := decodeSummary(b, &got); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got.Count = r.Count
		same := func(a, b rollup.Point) bool {
			return a.Step == b.Step && a.Wall == b.Wall && sameValue(a.Value, b.Value)
		}
		if got.NaN != r.NaN || got.PosInf != r.PosInf || got.NegInf != r.NegInf || got.HasFinite != r.HasFinite ||
			!same(got.First, r.First) || !same(got.Last, r.Last) || !same(got.Min, r.Min) || !same(got.Max, r.Max) {
			t.Errorf("%d: %+v round-trips to %+v", i, r, got)
		}
		for cut := range len(b) {
			if err := decodeSummary(b[:cut], &got); err == nil {
				t.Errorf("%d: summary cut to %d of %d bytes decodes", i, cut, len(b))
			}
		}
		if err := decodeSummary(append(b, 0), &got); err == nil {
			t.Errorf("%d: summary with a trailing byte decodes", i)
		}
	}
	if err := decodeSummary([]byte{2, 0, 0, 0, 0}, new(rollup.Rollup)); err == nil {
		t.Error("unknown format decodes")
	}
}
