package gifanim

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"math"
	"strings"
	"testing"
)

func grayFrame(w, h int, level func(x, y int) uint8) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: level(x, y)})
		}
	}
	return img
}

func rgbaFrame(w, h int, c func(x, y int) color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, c(x, y))
		}
	}
	return img
}

// maxDiff is the largest difference of an 8-bit channel between two images.
func maxDiff(a, b image.Image) (worst int) {
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []float64{float64(r1) - float64(r2), float64(g1) - float64(g2), float64(b1) - float64(b2)} {
				worst = max(worst, int(math.Abs(d))>>8)
			}
		}
	}
	return worst
}

func TestEncode(t *testing.T) {
	ramp := func(shift int) image.Image {
		return grayFrame(32, 8, func(x, y int) uint8 { return uint8((x*8 + y + shift) % 256) })
	}
	// Every gray level 0-255 appears, so the gray palette must be exact everywhere.
	allGrays := grayFrame(16, 16, func(x, y int) uint8 { return uint8(y*16 + x) })
	fewColours := rgbaFrame(10, 10, func(x, y int) color.RGBA {
		return []color.RGBA{{200, 30, 40, 255}, {10, 220, 90, 255}, {0, 0, 255, 255}}[(x+y)%3]
	})
	manyColours := rgbaFrame(64, 64, func(x, y int) color.RGBA { return color.RGBA{uint8(x * 4), uint8(y * 4), uint8((x + y) * 2), 255} })
	for _, tc := range []struct {
		name    string
		frames  []image.Image
		delay   int
		maxDiff int // per channel, 8-bit
		size    image.Point
	}{
		{"gray grids", []image.Image{ramp(0), ramp(50), ramp(100)}, 20, 0, image.Pt(32, 8)},
		{"every gray level", []image.Image{allGrays}, 7, 0, image.Pt(16, 16)},
		{"three colours, exact", []image.Image{fewColours, fewColours}, 10, 0, image.Pt(10, 10)},
		// 4096 colours go through the Plan 9 palette with dithering: close, not exact.
		{"many colours, dithered", []image.Image{manyColours}, 10, 96, image.Pt(64, 64)},
		{"frames of two sizes", []image.Image{ramp(0), allGrays}, 5, 0, image.Pt(32, 16)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tc.frames, tc.delay); err != nil {
				t.Fatal(err)
			}
			g, err := gif.DecodeAll(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Image) != len(tc.frames) {
				t.Fatalf("%d frames, want %d", len(g.Image), len(tc.frames))
			}
			if got := image.Pt(g.Config.Width, g.Config.Height); got != tc.size {
				t.Errorf("logical screen %v, want %v", got, tc.size)
			}
			for i, f := range g.Image {
				want := tc.delay
				if i == len(g.Image)-1 {
					want = tc.delay * LastFrameHold
				}
				if g.Delay[i] != want {
					t.Errorf("frame %d: delay %d, want %d", i, g.Delay[i], want)
				}
				if f.Bounds() != tc.frames[i].Bounds() {
					t.Fatalf("frame %d: bounds %v, want %v", i, f.Bounds(), tc.frames[i].Bounds())
				}
				if d := maxDiff(f, tc.frames[i]); d > tc.maxDiff {
					t.Errorf("frame %d: a channel differs by %d, want at most %d", i, d, tc.maxDiff)
				}
			}
			// A single image carries no loop extension (image/gif writes it for animations only).
			if len(g.Image) > 1 && g.LoopCount != 0 {
				t.Errorf("loop count %d, want 0 (forever)", g.LoopCount)
			}
		})
	}
}

func TestEncodeBadInput(t *testing.T) {
	frame := grayFrame(4, 4, func(x, y int) uint8 { return 0 })
	for _, tc := range []struct {
		name   string
		frames []image.Image
		delay  int
		want   string
	}{
		{"no frames", nil, 10, "no frames"},
		{"zero delay", []image.Image{frame}, 0, "delay must be positive"},
		{"negative delay", []image.Image{frame}, -3, "delay must be positive"},
		{"empty frame", []image.Image{frame, image.NewGray(image.Rect(0, 0, 0, 5))}, 10, "frame 1 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Encode(&bytes.Buffer{}, tc.frames, tc.delay)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
