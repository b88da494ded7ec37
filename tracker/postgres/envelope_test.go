package postgres

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/pgtest"
	"github.com/ganbook/ganbook/tracker"
)

// The server-side envelope equals the one folded here point by point, on
// series with NaN, ±Inf, ±0, repeated and out-of-order steps, below and
// above the raw-ranges limit.
func TestEnvelopeServerMatchesClient(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	d, err := Open(srv.NewDatabase(t), tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	id := strings.Repeat("e", 32)
	if err := d.CreateRun(ctx, tracker.NewRun{ID: id, Experiment: "e", Name: "env", StartTime: time.Now(), HeartbeatTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1, 1}
	tests := []struct {
		key          string
		points, span int
		start        int64
	}{
		{"short", 300, 500, 0},
		{"ties", 2000, 50, -20},             // many points a step
		{"long", 20000, 30000, 1 << 20},     // rollup-width ranges
		{"sparse", 6000, 1 << 40, -1 << 30}, // wide, sparse steps
	}
	for _, tt := range tests {
		var batch []tracker.MetricPoint
		for i := range tt.points {
			v := r.NormFloat64()
			if r.IntN(5) == 0 {
				v = special[r.IntN(len(special))]
			}
			batch = append(batch, tracker.MetricPoint{Key: tt.key, Step: tt.start + r.Int64N(int64(tt.span)), Time: time.UnixMilli(int64(1e12) + int64(i)), Value: v})
		}
		for len(batch) > 0 {
			n := min(len(batch), 1000)
			if err := d.WriteBatch(ctx, tracker.Batch{RunID: id, Metrics: batch[:n]}); err != nil {
				t.Fatal(err)
			}
			batch = batch[n:]
		}
		for _, buckets := range []int{4, 100, 1000} {
			server, err := d.MetricEnvelope(ctx, id, tt.key, buckets)
			if err != nil {
				t.Fatal(err)
			}
			client, err := d.clientEnvelope(ctx, id, tt.key, buckets)
			if err != nil {
				t.Fatal(err)
			}
			if server.Count != int64(tt.points) || len(server.Buckets) == 0 {
				t.Errorf("%s/%d: %d points in %d buckets", tt.key, buckets, server.Count, len(server.Buckets))
			}
			if !sameEnvelope(server, client) {
				t.Errorf("%s/%d: server and client envelopes differ (width %d vs %d, %d vs %d buckets)", tt.key, buckets, server.Width, client.Width, len(server.Buckets), len(client.Buckets))
			}
		}
	}
}

// sameEnvelope compares bit for bit (NaN payloads aside).
func sameEnvelope(a, b tracker.MetricEnvelope) bool {
	norm := func(e tracker.MetricEnvelope) tracker.MetricEnvelope {
		e.Buckets = append([]tracker.EnvelopeBucket(nil), e.Buckets...)
		fix := func(p *tracker.MetricPoint) {
			if math.IsNaN(p.Value) {
				p.Value = 12345.678 // any NaN equals any NaN
			}
			p.Time = p.Time.UTC()
		}
		for i := range e.Buckets {
			bk := &e.Buckets[i]
			fix(&bk.First)
			fix(&bk.Last)
			if bk.Min != nil {
				lo, hi := *bk.Min, *bk.Max
				fix(&lo)
				fix(&hi)
				bk.Min, bk.Max = &lo, &hi
			}
		}
		return e
	}
	a, b = norm(a), norm(b)
	if !reflect.DeepEqual(a, b) {
		return false
	}
	for i := range a.Buckets { // DeepEqual takes -0 == 0
		x, y := a.Buckets[i], b.Buckets[i]
		for _, pair := range [][2]float64{{x.First.Value, y.First.Value}, {x.Last.Value, y.Last.Value}} {
			if math.Float64bits(pair[0]) != math.Float64bits(pair[1]) {
				return false
			}
		}
		if x.Min != nil && (math.Float64bits(x.Min.Value) != math.Float64bits(y.Min.Value) || math.Float64bits(x.Max.Value) != math.Float64bits(y.Max.Value)) {
			return false
		}
	}
	return true
}
