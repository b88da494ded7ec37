package mlflow

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ganbook/ganbook/tracker"
)

// Tags with which a Syncer marks the MLflow runs it writes.
const (
	// TagSourceRunID holds the ganbook run id from the MLflow run's creation,
	// so that an interrupted copy is found and completed.
	TagSourceRunID = "ganbook.source_run_id"
	// TagRunID holds the ganbook run id once everything the run had logged
	// when the sync read it has been copied: it is set last.
	TagRunID = "ganbook.run_id"
	// RecordArtifact is the path of the reproducibility record's JSON.
	RecordArtifact = "ganbook/record.json"
	// ImageDir is the artifact directory of a run's images, one file
	// ImageDir/KEY/step_STEP.png per image.
	ImageDir = "ganbook/images"
)

// Syncer copies tracker runs into an MLflow server.
type Syncer struct {
	Client *Client
	// Experiment, when not empty, is the MLflow experiment every run goes
	// to; otherwise a run goes to the experiment named like its own. A
	// missing experiment is created.
	Experiment string

	experiments map[string]string // name → MLflow experiment id
	// series remembers, per MLflow run and metric, the points MLflow holds,
	// so that a Syncer called again on a live run (--watch) reads only the
	// run's new points instead of both whole series.
	series map[seriesKey]*seriesState
}

type seriesKey struct{ runID, key string }

type seriesState struct {
	seen     map[pointID]bool
	lastStep int64
}

// Result says what a sync of one run did.
type Result struct {
	MLflowRunID string
	// UpToDate is true when the MLflow run already held everything.
	UpToDate bool
	Created  bool
	Params   int
	Tags     int
	Points   int
	// Artifacts counts the files uploaded.
	Artifacts int
	// Truncated lists the params and tags whose values were cut to MLflow's
	// length limits.
	Truncated []string
}

// SyncRun copies the run id of store into MLflow, or brings its earlier
// copy up to date. On error the MLflow run is left without TagRunID, and
// the next SyncRun completes it.
func (s *Syncer) SyncRun(ctx context.Context, store *tracker.Store, id string) (Result, error) {
	var res Result
	info, err := store.Run(ctx, id)
	if err != nil {
		return res, err
	}
	expName := s.Experiment
	if expName == "" {
		expName = info.Experiment
	}
	expID, err := s.experimentID(ctx, expName)
	if err != nil {
		return res, err
	}
	found, err := s.Client.SearchRuns(ctx, []string{expID}, fmt.Sprintf("tags.`%s` = '%s'", TagSourceRunID, info.ID))
	if err != nil {
		return res, fmt.Errorf("mlflow: looking for earlier copies of run %s: %w", info.ID, err)
	}
	var run Run
	if len(found) > 0 {
		run = found[0]
		for _, r := range found {
			if v, _ := r.Tag(TagRunID); v == info.ID {
				run = r
			}
		}
		res.MLflowRunID = run.Info.RunID
		if complete(run, info) {
			res.UpToDate = true
			return res, nil
		}
	} else {
		run, err = s.Client.CreateRun(ctx, expID, info.Name, info.StartTime, []Tag{{TagSourceRunID, info.ID}})
		if err != nil {
			return res, fmt.Errorf("mlflow: creating the run for %s: %w", info.ID, err)
		}
		res.MLflowRunID, res.Created = run.Info.RunID, true
	}
	if err := s.copyData(ctx, store, info, expID, run, &res); err != nil {
		return res, fmt.Errorf("mlflow: run %s (MLflow run %s) not fully copied: %w", info.ID, run.Info.RunID, err)
	}
	return res, nil
}

// complete reports whether an MLflow run holds the whole of an ended run.
func complete(run Run, info tracker.RunInfo) bool {
	marked, _ := run.Tag(TagRunID)
	return marked == info.ID && info.Status != tracker.StatusRunning &&
		run.Info.Status == string(info.Status) && run.Info.EndTime == info.EndTime.UnixMilli()
}

func (s *Syncer) copyData(ctx context.Context, store *tracker.Store, info tracker.RunInfo, expID string, run Run, res *Result) error {
	runID := run.Info.RunID
	have := map[string]string{}
	for _, p := range run.Data.Params {
		have[p.Key] = p.Value
	}
	var params []Param
	for _, k := range sortedKeys(info.Params) {
		key := Key(k)
		v, cut := truncate(info.Params[k], MaxParamValueLength)
		if cut {
			res.Truncated = append(res.Truncated, "param "+k)
		}
		if old, ok := have[key]; ok {
			if old != v {
				return fmt.Errorf("param %s is %q in MLflow but %q in ganbook; MLflow params cannot change", key, old, v)
			}
			continue
		}
		params = append(params, Param{key, v})
	}
	haveTags := map[string]string{}
	for _, t := range run.Data.Tags {
		haveTags[t.Key] = t.Value
	}
	var tags []Tag
	wantTags := runTags(info)
	if info.ParentID != "" {
		// MLflow's UI nests a run under the run its mlflow.parentRunId names:
		// the parent's copy, when it is in the same experiment.
		parents, err := s.Client.SearchRuns(ctx, []string{expID}, fmt.Sprintf("tags.`%s` = '%s'", TagSourceRunID, info.ParentID))
		if err != nil {
			return err
		}
		if len(parents) > 0 {
			wantTags = append(wantTags, Tag{"mlflow.parentRunId", parents[0].Info.RunID})
		}
	}
	for _, t := range wantTags {
		v, cut := truncate(t.Value, MaxTagValueLength)
		if cut {
			res.Truncated = append(res.Truncated, "tag "+t.Key)
		}
		if old, ok := haveTags[t.Key]; !ok || old != v {
			tags = append(tags, Tag{t.Key, v})
		}
	}
	if err := s.Client.LogBatch(ctx, runID, nil, params, tags); err != nil {
		return err
	}
	res.Params, res.Tags = len(params), len(tags)

	for _, key := range sortedKeys(info.Metrics) {
		n, err := s.copySeries(ctx, store, info, runID, key, res.Created)
		res.Points += n
		if err != nil {
			return err
		}
	}

	if err := s.copyArtifacts(ctx, store, info, run, res); err != nil {
		return err
	}
	if info.Status != tracker.StatusRunning {
		if err := s.Client.UpdateRun(ctx, runID, string(info.Status), info.EndTime); err != nil {
			return err
		}
	}
	if v, _ := run.Tag(TagRunID); v != info.ID {
		return s.Client.LogBatch(ctx, runID, nil, nil, []Tag{{TagRunID, info.ID}})
	}
	return nil
}

func (s *Syncer) copyArtifacts(ctx context.Context, store *tracker.Store, info tracker.RunInfo, run Run, res *Result) error {
	have := map[string]int64{}
	if !res.Created {
		files, err := s.Client.ListArtifacts(ctx, run.Info.RunID, "ganbook")
		if err != nil {
			return err
		}
		for _, f := range files {
			have[f.Path] = f.FileSize
		}
	}
	upload := func(path string, data []byte) error {
		if size, ok := have[path]; ok && size == int64(len(data)) {
			return nil
		}
		if err := s.Client.UploadArtifact(ctx, run.Info.ArtifactURI, path, data); err != nil {
			return fmt.Errorf("uploading %s: %w", path, err)
		}
		res.Artifacts++
		return nil
	}
	if info.Record != nil {
		rec, err := json.MarshalIndent(info.Record, "", "  ")
		if err != nil {
			return err
		}
		if err := upload(RecordArtifact, rec); err != nil {
			return err
		}
	}
	images, err := store.Images(ctx, info.ID)
	if err != nil {
		return err
	}
	for _, im := range images {
		path := ImagePath(im.Key, im.Step)
		if size, ok := have[path]; ok && size == int64(im.Size) {
			continue
		}
		img, err := store.Image(ctx, info.ID, im.Key, im.Step)
		if err != nil {
			return err
		}
		if err := upload(path, img.PNG); err != nil {
			return err
		}
	}
	return nil
}

// copySeries sends MLflow the points of one metric it does not hold yet
// and returns how many it sent.
func (s *Syncer) copySeries(ctx context.Context, store *tracker.Store, info tracker.RunInfo, runID, key string, created bool) (int, error) {
	mkey := Key(key)
	sk := seriesKey{runID, mkey}
	st := s.series[sk]
	var points []tracker.MetricPoint
	var err error
	if st != nil && info.Status == tracker.StatusRunning && st.lastStep > math.MinInt64 {
		// A live run appends at its last step or after; points it logs at
		// an earlier step wait for the sync after its end, which reads all.
		points, err = store.MetricSince(ctx, info.ID, key, st.lastStep-1)
	} else {
		points, err = store.Metric(ctx, info.ID, key)
	}
	if err != nil {
		return 0, err
	}
	if st == nil {
		st = &seriesState{seen: map[pointID]bool{}, lastStep: math.MinInt64}
		if !created {
			old, err := s.Client.MetricHistory(ctx, runID, mkey)
			if err != nil {
				return 0, err
			}
			for _, m := range old {
				st.seen[idOf(m)] = true
			}
		}
	}
	var send []Metric
	fresh := map[pointID]bool{}
	for _, p := range points {
		m := Metric{Key: mkey, Value: Float(p.Value), Timestamp: p.Time.UnixMilli(), Step: p.Step}
		id := idOf(m)
		if st.seen[id] || fresh[id] {
			continue // MLflow keeps one of identical points
		}
		fresh[id] = true
		send = append(send, m)
	}
	if err := s.Client.LogBatch(ctx, runID, send, nil, nil); err != nil {
		return 0, err
	}
	for id := range fresh {
		st.seen[id] = true
	}
	for _, p := range points {
		st.lastStep = max(st.lastStep, p.Step)
	}
	if s.series == nil {
		s.series = map[seriesKey]*seriesState{}
	}
	s.series[sk] = st
	return len(send), nil
}

// ImagePath is the artifact path of a run's image of key at step.
func ImagePath(key string, step int64) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = artifactName.ReplaceAllString(s, "_")
		if segs[i] == "" || segs[i] == "." || segs[i] == ".." {
			segs[i] = "_"
		}
	}
	return ImageDir + "/" + strings.Join(segs, "/") + "/step_" + strconv.FormatInt(step, 10) + ".png"
}

var artifactName = regexp.MustCompile(`[^A-Za-z0-9_.\- ]`)

// runTags is every tag a ganbook run has in MLflow but TagRunID: its own
// tags, its links, its error message, and each field of its
// reproducibility record as ganbook.record.FIELD (strings as they are,
// the rest as JSON).
func runTags(info tracker.RunInfo) []Tag {
	tags := []Tag{{TagSourceRunID, info.ID}, {"ganbook.experiment", info.Experiment}}
	for _, k := range sortedKeys(info.Tags) {
		tags = append(tags, Tag{Key(k), info.Tags[k]})
	}
	if info.ParentID != "" {
		tags = append(tags, Tag{"ganbook.parent_id", info.ParentID})
	}
	if info.ReproducedFrom != "" {
		tags = append(tags, Tag{"ganbook.reproduced_from", info.ReproducedFrom})
	}
	if info.Error != "" {
		tags = append(tags, Tag{"ganbook.error", info.Error})
	}
	if info.Record != nil {
		b, err := json.Marshal(info.Record)
		var fields map[string]json.RawMessage
		if err == nil && json.Unmarshal(b, &fields) == nil {
			for _, k := range sortedKeys(fields) {
				v := string(fields[k])
				var s string
				if json.Unmarshal(fields[k], &s) == nil {
					v = s
				}
				if len(v) <= MaxTagValueLength {
					tags = append(tags, Tag{"ganbook.record." + k, v})
				}
			}
		}
	}
	return tags
}

// pointID identifies a metric point as MLflow does: two points with the
// same key, step, time and value are one.
type pointID struct {
	step, time int64
	value      uint64
	nan        bool
}

func idOf(m Metric) pointID {
	v := StoredValue(float64(m.Value))
	if math.IsNaN(v) {
		return pointID{step: m.Step, time: m.Timestamp, nan: true}
	}
	return pointID{step: m.Step, time: m.Timestamp, value: math.Float64bits(v + 0)} // +0 folds −0 into 0
}

// StoredValue is the value MLflow's SQL store keeps for v: ±Inf become
// ±math.MaxFloat64 (SQL databases have no infinities); NaN stays NaN.
func StoredValue(v float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	}
	return v
}

// Key is a ganbook key as an MLflow key: MLflow accepts letters, digits,
// and _ - . / : and space; every other character becomes _.
func Key(k string) string {
	return badKeyChar.ReplaceAllString(k, "_")
}

var badKeyChar = regexp.MustCompile(`[^\p{L}\p{N}_\-./: ]`)

func truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n - len("…")
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…", true
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Syncer) experimentID(ctx context.Context, name string) (string, error) {
	if id, ok := s.experiments[name]; ok {
		return id, nil
	}
	exp, err := s.Client.ExperimentByName(ctx, name)
	switch {
	case IsNotFound(err):
		id, err := s.Client.CreateExperiment(ctx, name)
		if err != nil {
			return "", fmt.Errorf("mlflow: creating experiment %q: %w", name, err)
		}
		exp = Experiment{ID: id, Name: name, LifecycleStage: "active"}
	case err != nil:
		return "", err
	case exp.LifecycleStage == "deleted":
		return "", fmt.Errorf("mlflow: experiment %q is deleted in MLflow; restore it (mlflow experiments restore --experiment-id %s) or choose another --experiment", name, exp.ID)
	}
	if s.experiments == nil {
		s.experiments = map[string]string{}
	}
	s.experiments[name] = exp.ID
	return exp.ID, nil
}
