package tracked

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"
)

func TestProgressGIF(t *testing.T) {
	// Three 3×2 gray grids whose pixels are known by hand.
	levels := [][]uint8{{0, 40, 80, 120, 160, 200}, {255, 254, 1, 2, 128, 127}, {9, 9, 9, 9, 9, 9}}
	var grids []Grid
	for i, l := range levels {
		img := image.NewGray(image.Rect(0, 0, 3, 2))
		copy(img.Pix, l)
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		grids = append(grids, Grid{Label: string(rune('a' + i)), PNG: b.Bytes()})
	}
	out, err := ProgressGIF(grids)
	if err != nil {
		t.Fatal(err)
	}
	anim, err := gif.DecodeAll(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(anim.Image) != len(levels) {
		t.Fatalf("%d frames, want %d", len(anim.Image), len(levels))
	}
	for k, l := range levels {
		for i, want := range l {
			x, y := i%3, i/3
			if got := color.GrayModel.Convert(anim.Image[k].At(x, y)).(color.Gray).Y; got != want {
				t.Errorf("frame %d pixel (%d, %d) = %d, want %d", k, x, y, got, want)
			}
		}
	}
	if want := []int{20, 20, 100}; anim.Delay[0] != want[0] || anim.Delay[1] != want[1] || anim.Delay[2] != want[2] {
		t.Errorf("delays %v, want %v (the last held five times as long)", anim.Delay, want)
	}
	svg, err := AnimationSVG(out, 300)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`width="300"`, `height="200"`, "data:image/gif;base64,"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if h := AnimationHTML(out, 224, "a <b>"); !strings.Contains(h, `src="data:image/gif;base64,`) || !strings.Contains(h, "a &lt;b&gt;") {
		t.Errorf("AnimationHTML = %.200q", h)
	}
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"no grids", func() error { _, err := ProgressGIF(nil); return err }},
		{"not a PNG", func() error { _, err := ProgressGIF([]Grid{{"bad", []byte("not a png")}}); return err }},
		{"SVG of a PNG", func() error { _, err := AnimationSVG(grids[0].PNG, 100); return err }},
		{"SVG of garbage", func() error { _, err := AnimationSVG([]byte("GIF8"), 100); return err }},
	} {
		if tc.err() == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
