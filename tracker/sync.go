package tracker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// CopyResult says what CopyRun did with one run.
type CopyResult struct {
	ID string
	// Copied is true when the run was written to the destination; false
	// when the destination already held it whole, or (Running) the run is
	// still live in the source.
	Copied  bool
	Running bool
	Params  int
	Tags    int
	Points  int
	Images  int
}

// CopyRun copies the run id (or id prefix) of src into dst under the same
// id, with every param, metric point, image, tag, its record and its links
// (a link to a run dst does not hold is dropped: copy the linked run first).
// A run dst already holds whole is left alone, which makes copies
// idempotent; a run dst holds only in part (an earlier copy was
// interrupted) is deleted there and copied again. A RUNNING run is not
// copied: the result says Running.
//
// The run is created in dst as RUNNING and ended last, with the source's
// status, message and end time, so a copy that fails halfway is never taken
// for a whole one.
func CopyRun(ctx context.Context, dst, src *Store, id string) (CopyResult, error) {
	info, err := src.Run(ctx, id)
	if err != nil {
		return CopyResult{}, err
	}
	res := CopyResult{ID: info.ID}
	if info.Status == StatusRunning {
		res.Running = true
		return res, nil
	}
	if dst.cfg.readOnly {
		return res, ErrReadOnly
	}
	images, err := src.Images(ctx, info.ID)
	if err != nil {
		return res, err
	}
	old, err := dst.backend.Run(ctx, info.ID, time.Now())
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return res, err
	default:
		oldImages, err := dst.backend.Images(ctx, info.ID)
		if err != nil {
			return res, err
		}
		if sameRun(old, info) && len(oldImages) == len(images) {
			return res, nil
		}
		if err := dst.backend.DeleteRun(ctx, info.ID); err != nil {
			return res, fmt.Errorf("tracker: removing the partial copy of run %s: %w", info.ID, err)
		}
	}

	nr := NewRun{
		ID: info.ID, Experiment: info.Experiment, Name: info.Name,
		StartTime: info.StartTime, HeartbeatTimeout: info.HeartbeatTimeout,
		ParentID: info.ParentID, ReproducedFrom: info.ReproducedFrom,
		Record: info.Record,
	}
	for _, k := range slices.Sorted(maps.Keys(info.Params)) {
		nr.Params = append(nr.Params, NewParam(k, info.Params[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(info.Tags)) {
		nr.Tags = append(nr.Tags, Tag{Key: k, Value: info.Tags[k]})
	}
	if err := dst.backend.CreateRun(ctx, nr); err != nil {
		return res, fmt.Errorf("tracker: copying run %s: %w", info.ID, err)
	}
	res.Params, res.Tags = len(nr.Params), len(nr.Tags)
	for _, key := range slices.Sorted(maps.Keys(info.Metrics)) {
		points, err := src.Metric(ctx, info.ID, key)
		if err != nil {
			return res, err
		}
		for chunk := range slices.Chunk(points, pointsPerTransaction) {
			if err := dst.backend.WriteBatch(ctx, Batch{RunID: info.ID, Metrics: chunk}); err != nil {
				return res, fmt.Errorf("tracker: copying run %s, metric %s: %w", info.ID, key, err)
			}
		}
		res.Points += len(points)
	}
	for _, im := range images {
		img, err := src.Image(ctx, info.ID, im.Key, im.Step)
		if err != nil {
			return res, err
		}
		if err := dst.backend.WriteBatch(ctx, Batch{RunID: info.ID, Images: []Image{img}}); err != nil {
			return res, fmt.Errorf("tracker: copying run %s, image %s@%d: %w", info.ID, im.Key, im.Step, err)
		}
		res.Images++
	}
	if err := dst.backend.EndRun(ctx, info.ID, info.Status, info.Error, info.EndTime); err != nil {
		return res, fmt.Errorf("tracker: copying run %s: %w", info.ID, err)
	}
	res.Copied = true
	return res, nil
}

// sameRun reports whether a copy holds the whole of an ended run: a copy
// is ended last, so an interrupted one differs in status, end time or
// message, or lacks points.
func sameRun(copy, orig RunInfo) bool {
	if copy.Status != orig.Status || !copy.EndTime.Equal(orig.EndTime) || copy.Error != orig.Error ||
		len(copy.Metrics) != len(orig.Metrics) {
		return false
	}
	for k, m := range orig.Metrics {
		if copy.Metrics[k].Count != m.Count {
			return false
		}
	}
	return true
}
