package gan

import (
	"bytes"
	"image/png"
	"testing"
)

func TestGridPNGMapsRangeToGray(t *testing.T) {
	// Two 1×1 "images" would not be square grids; use a 1×1 grid of a 2×2 image in [−1, 1].
	pixels := []float32{-1, 0, 1, 3} // 3 is out of range: clamped to white
	data, err := GridPNG(pixels, 1, 2, -1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{0, 128, 255, 255}
	for i, w := range want {
		r, _, _, _ := img.At(2+i%2, 2+i/2).RGBA()
		if got := r >> 8; got != w {
			t.Errorf("pixel %d = %d, want %d", i, got, w)
		}
	}
	if _, err := GridPNG(pixels[:3], 1, 2, -1, 1, 1); err == nil {
		t.Error("GridPNG accepted too few pixels")
	}
}

// A 2×3 grid of 1×1 images: its size is 3 cells wide and 2 high (3·(1+2)+2 by
// 2·(1+2)+2 pixels), and image k sits in row k/3, column k%3.
func TestRectGridPNGFillsRowByRow(t *testing.T) {
	pixels := []float32{0, 0.2, 0.4, 0.6, 0.8, 1}
	data, err := RectGridPNG(pixels, 2, 3, 1, 0, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 11 || b.Dy() != 8 {
		t.Fatalf("grid is %dx%d pixels, want 11x8", b.Dx(), b.Dy())
	}
	for k, v := range pixels {
		r, _, _, _ := img.At(2+3*(k%3), 2+3*(k/3)).RGBA()
		if got, want := r>>8, uint32(v*255+0.5); got != want {
			t.Errorf("image %d: grey %d, want %d", k, got, want)
		}
	}
	for _, bad := range [][2]int{{0, 3}, {2, 0}} {
		if _, err := RectGridPNG(pixels, bad[0], bad[1], 1, 0, 1, 1); err == nil {
			t.Errorf("RectGridPNG accepted %d×%d cells", bad[0], bad[1])
		}
	}
	if _, err := RectGridPNG(pixels[:5], 2, 3, 1, 0, 1, 1); err == nil {
		t.Error("RectGridPNG accepted too few pixels")
	}
}
