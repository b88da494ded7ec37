package gantrack

import (
	"context"
	"errors"

	"github.com/ganbook/ganbook/tracker"
)

// Status is the status a run ends with after training returned err:
// FINISHED without an error, KILLED when the training was cancelled (Ctrl-C,
// a cancelled notebook cell), FAILED otherwise.
func Status(err error) tracker.RunStatus {
	switch {
	case err == nil:
		return tracker.StatusFinished
	case errors.Is(err, context.Canceled):
		return tracker.StatusKilled
	}
	return tracker.StatusFailed
}

// End ends run with Status(err), FAILED runs with err as their message.
func End(ctx context.Context, run *tracker.Run, err error) error {
	switch Status(err) {
	case tracker.StatusFinished:
		return run.Finish(ctx)
	case tracker.StatusKilled:
		return run.Kill(ctx)
	}
	return run.Fail(ctx, err)
}
