package tracker

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-3 * time.Second, "0s"},
		{1234567 * time.Nanosecond, "1ms"},
		{999 * time.Millisecond, "999ms"},
		{1500 * time.Millisecond, "2s"},
		{90*time.Minute + 29*time.Second + 400*time.Millisecond, "1h30m29s"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
