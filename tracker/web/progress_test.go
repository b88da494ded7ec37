package web

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestProgressGIF decodes each run's progress animation and requires one frame per
// logged grid, in step order, each equal to the logged PNG pixel for pixel.
func TestProgressGIF(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	for _, name := range []string{runBaseline, runDCGAN, scriptName} {
		t.Run(name, func(t *testing.T) {
			r := do(t, h, "GET", "/runs/"+s.ids[name]+"/progress.gif?key=samples")
			if r.code != 200 || r.header.Get("Content-Type") != "image/gif" {
				t.Fatalf("status %d, type %q: %.200s", r.code, r.header.Get("Content-Type"), r.body)
			}
			anim, err := gif.DecodeAll(strings.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			steps := slices.Sorted(maps.Keys(s.grids[name]))
			if len(anim.Image) != len(steps) {
				t.Fatalf("%d frames, want one per logged grid (%d: steps %v)", len(anim.Image), len(steps), steps)
			}
			for k, step := range steps {
				want, err := png.Decode(bytes.NewReader(s.grids[name][step]))
				if err != nil {
					t.Fatal(err)
				}
				if err := samePixels(anim.Image[k], want); err != nil {
					t.Errorf("frame %d (step %d): %v", k, step, err)
				}
			}
			page := do(t, h, "GET", "/runs/"+s.ids[name])
			src := fmt.Sprintf(`src="/runs/%s/progress.gif?key=samples"`, s.ids[name])
			if !strings.Contains(page.body, src) || !strings.Contains(page.body, fmt.Sprintf(`<span class="progress-frames">%d</span> frames`, len(steps))) {
				t.Errorf("the run page shows no animation of %d frames (%s)", len(steps), src)
			}
		})
	}
	for _, tc := range []struct {
		name, target string
		code         int
	}{
		{"unknown key", "/runs/" + s.ids[runBaseline] + "/progress.gif?key=nope", 404},
		{"no key", "/runs/" + s.ids[runBaseline] + "/progress.gif", 404},
		{"unknown run", "/runs/ffffffffffffffff/progress.gif?key=samples", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := do(t, h, "GET", tc.target); r.code != tc.code {
				t.Errorf("status %d, want %d", r.code, tc.code)
			}
		})
	}
	// A run with one grid has nothing to animate: its page links no animation.
	live := do(t, h, "GET", "/runs/"+s.ids[runLive])
	if strings.Contains(live.body, "progress.gif?"+url.Values{"key": {"samples"}}.Encode()) {
		t.Errorf("the page of a run with one grid links a progress animation")
	}
}

// samePixels says where two images differ, if they do.
func samePixels(got, want image.Image) error {
	if got.Bounds() != want.Bounds() {
		return fmt.Errorf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, a1 := got.At(x, y).RGBA()
			r2, g2, b2, a2 := want.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return fmt.Errorf("pixel (%d, %d) is %v, want %v", x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
	return nil
}

func TestSpreadSteps(t *testing.T) {
	for _, tc := range []struct {
		steps []int64
		n     int
		want  []int64
	}{
		{[]int64{5, 10, 15}, 200, []int64{5, 10, 15}},
		{[]int64{5, 10, 15}, 3, []int64{5, 10, 15}},
		{[]int64{0, 1, 2, 3, 4, 5, 6, 7, 8}, 5, []int64{0, 2, 4, 6, 8}},
		{[]int64{0, 1, 2, 3, 4, 5, 6}, 3, []int64{0, 3, 6}},
		{[]int64{0, 10, 20, 30}, 2, []int64{0, 30}},
		{[]int64{0, 10, 20, 30}, 1, []int64{30}},
	} {
		if got := spreadSteps(tc.steps, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("spreadSteps(%v, %d) = %v, want %v", tc.steps, tc.n, got, tc.want)
		}
	}
}
