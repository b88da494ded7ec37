package tracker

import "time"

// FormatDuration writes a run's duration as the CLI and the web UI show it:
// milliseconds under a second, whole seconds above; a negative duration
// (clock skew) as 0s.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
