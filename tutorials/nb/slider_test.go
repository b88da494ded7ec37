package nb

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestFrameSlider(t *testing.T) {
	frame := func(v int) (string, error) { return fmt.Sprintf("<svg>%d</svg>", v), nil }
	tests := []struct {
		name                    string
		min, max, step, initial int
		frame                   func(int) (string, error)
		wantFrames              []string // data-value of each frame, in order
		wantShown               string   // the one frame not hidden
		wantErr                 string
	}{
		{name: "angles", min: 0, max: 180, step: 45, initial: 90, frame: frame,
			wantFrames: []string{"0", "45", "90", "135", "180"}, wantShown: "90"},
		{name: "one value", min: 3, max: 3, step: 1, initial: 3, frame: frame, wantFrames: []string{"3"}, wantShown: "3"},
		{name: "max not on a step", min: 0, max: 10, step: 4, initial: 8, frame: frame,
			wantFrames: []string{"0", "4", "8"}, wantShown: "8"},
		{name: "zero step", min: 0, max: 10, step: 0, initial: 0, frame: frame, wantErr: "step 0 must be positive"},
		{name: "max below min", min: 5, max: 4, step: 1, initial: 5, frame: frame, wantErr: "max 4 is below min 5"},
		{name: "initial off the grid", min: 0, max: 10, step: 5, initial: 3, frame: frame, wantErr: "initial 3 is not one of"},
		{name: "initial outside", min: 0, max: 10, step: 5, initial: 15, frame: frame, wantErr: "initial 15 is not one of"},
		{name: "frame fails", min: 0, max: 10, step: 5, initial: 0,
			frame:   func(v int) (string, error) { return "", errors.New("no ink") },
			wantErr: "frame at 0: no ink"},
	}
	frameRE := regexp.MustCompile(`<div class="ganbook-frame" data-value="(-?\d+)"( style="display: none")?>(.*?)</div>`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FrameSlider("θ", "°", tt.min, tt.max, tt.step, tt.initial, tt.frame)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var values []string
			shown := ""
			for _, m := range frameRE.FindAllStringSubmatch(got, -1) {
				values = append(values, m[1])
				if want := "<svg>" + m[1] + "</svg>"; m[3] != want {
					t.Errorf("frame %s holds %q, want %q", m[1], m[3], want)
				}
				if m[2] == "" {
					if shown != "" {
						t.Errorf("frames %s and %s both shown", shown, m[1])
					}
					shown = m[1]
				}
			}
			if strings.Join(values, ",") != strings.Join(tt.wantFrames, ",") {
				t.Errorf("frames %v, want %v", values, tt.wantFrames)
			}
			if shown != tt.wantShown {
				t.Errorf("frame shown %q, want %q", shown, tt.wantShown)
			}
			wantInput := fmt.Sprintf(`<input type="range" min="%d" max="%d" step="%d" value="%d"`, tt.min, tt.max, tt.step, tt.initial)
			if !strings.Contains(got, wantInput) {
				t.Errorf("no %s in\n%s", wantInput, got)
			}
			if !strings.Contains(got, "<script>") {
				t.Error("no script to move the slider")
			}
		})
	}
}
