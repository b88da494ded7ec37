package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// testMustExist: a store opened with MustExist, or read-only, on a location
// without a tracker database fails with ErrNoDatabase, naming the location,
// and creates nothing: a second try fails the same way.
func testMustExist(t *testing.T, tg Target) {
	loc := tg.NewDatabase(t)
	for _, opts := range [][]tracker.Option{{tracker.MustExist()}, {tracker.ReadOnly()}, {tracker.MustExist()}} {
		s, err := tracker.Open(loc, opts...)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) of a location without a database succeeded", tracker.RedactURL(loc))
		}
		if !errors.Is(err, tracker.ErrNoDatabase) {
			t.Errorf("Open: %v; want ErrNoDatabase", err)
		}
	}
	s, err := tracker.Open(loc) // creates it
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = tracker.Open(loc, tracker.MustExist())
	if err != nil {
		t.Fatalf("MustExist on a created database: %v", err)
	}
	s.Close()
}

// testCreateRunWithID writes a run through the Backend interface the way a
// copier between two stores does (a given id, start and end times, points
// with their own times, an image, tags, a record, a link) and reads every
// part back through a Store.
func testCreateRunWithID(t *testing.T, tg Target) {
	ctx := context.Background()
	loc := tg.NewDatabase(t)
	b, err := tracker.OpenBackend(loc, tracker.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	parent := tracker.NewRun{ID: strings.Repeat("ab", 16), Experiment: "copied", Name: "parent", StartTime: start, HeartbeatTimeout: time.Minute}
	rec := tracker.ReproRecord{GitCommit: "c0ffee", Seed: 7, CommandLine: []string{"ganbook", "train"}}
	child := tracker.NewRun{ID: strings.Repeat("cd", 16), Experiment: "copied", Name: "child", StartTime: start.Add(time.Hour),
		HeartbeatTimeout: 2 * time.Minute, ParentID: parent.ID, Params: []tracker.Param{tracker.NewParam("lr", "0.0002")},
		Tags: []tracker.Tag{{Key: "k", Value: "v"}}, Record: &rec}
	for _, r := range []tracker.NewRun{parent, child} {
		if err := b.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	png := []byte("\x89PNG\r\n\x1a\nnot really")
	negZero := math.Copysign(0, -1)
	points := []tracker.MetricPoint{
		{Key: "loss", Step: 0, Time: start.Add(time.Second), Value: negZero},
		{Key: "loss", Step: 1, Time: start.Add(2 * time.Second), Value: math.Inf(-1)},
	}
	if err := b.WriteBatch(ctx, tracker.Batch{RunID: child.ID, Metrics: points,
		Images: []tracker.Image{{ImageInfo: tracker.ImageInfo{Key: "samples", Step: 1, Time: start.Add(3 * time.Second), Size: len(png)}, PNG: png}}}); err != nil {
		t.Fatal(err)
	}
	end := start.Add(90 * time.Minute)
	if err := b.EndRun(ctx, child.ID, tracker.StatusFailed, "diverged", end); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateRun(ctx, child); err == nil {
		t.Error("a second run with the same id was created")
	}
	s := tracker.NewStore(b)
	info, err := s.Run(ctx, child.ID[:5])
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != child.ID || info.Name != "child" || info.Experiment != "copied" || info.Status != tracker.StatusFailed || info.Error != "diverged" ||
		!info.StartTime.Equal(child.StartTime) || !info.EndTime.Equal(end) || info.HeartbeatTimeout != 2*time.Minute || info.ParentID != parent.ID {
		t.Errorf("run read back: %+v", info)
	}
	if !reflect.DeepEqual(info.Params, map[string]string{"lr": "0.0002"}) || !reflect.DeepEqual(info.Tags, map[string]string{"k": "v"}) {
		t.Errorf("params %v tags %v", info.Params, info.Tags)
	}
	if got, _ := json.Marshal(info.Record); info.Record == nil || !reflect.DeepEqual(*info.Record, rec) {
		t.Errorf("record %s", got)
	}
	got, err := s.Metric(ctx, child.ID, "loss")
	if err != nil || len(got) != 2 {
		t.Fatalf("points %+v, %v", got, err)
	}
	for i, p := range got {
		if math.Float64bits(p.Value) != math.Float64bits(points[i].Value) || !p.Time.Equal(points[i].Time) || p.Step != points[i].Step {
			t.Errorf("point %d: %+v (bits %#x); want %+v", i, p, math.Float64bits(p.Value), points[i])
		}
	}
	img, err := s.Image(ctx, child.ID, "samples", 1)
	if err != nil || !bytes.Equal(img.PNG, png) || !img.Time.Equal(start.Add(3*time.Second)) {
		t.Errorf("image %+v, %v", img.ImageInfo, err)
	}
}
