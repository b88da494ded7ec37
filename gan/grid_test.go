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
