package gan

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// GridPNG lays out n×n square images of side size (pixels flat, row-major,
// [n·n·size·size], values in [low, high]) as one grayscale PNG, with a 2-pixel
// border between cells and every pixel repeated scale times in each direction.
func GridPNG(pixels []float32, n, size int, low, high float64, scale int) ([]byte, error) {
	return RectGridPNG(pixels, n, n, size, low, high, scale)
}

// RectGridPNG is [GridPNG] with rows×cols cells: the images fill them row
// by row, e.g. one latent interpolation per row.
func RectGridPNG(pixels []float32, rows, cols, size int, low, high float64, scale int) ([]byte, error) {
	if rows <= 0 || cols <= 0 || size <= 0 || scale <= 0 {
		return nil, fmt.Errorf("grid PNG: rows, cols, size and scale must be positive (got %d, %d, %d, %d)", rows, cols, size, scale)
	}
	if len(pixels) < rows*cols*size*size {
		return nil, fmt.Errorf("grid PNG: need %d pixels for a %dx%d grid of %dx%d images, got %d",
			rows*cols*size*size, rows, cols, size, size, len(pixels))
	}
	const border = 2
	cell := size*scale + border
	img := image.NewGray(image.Rect(0, 0, cols*cell+border, rows*cell+border))
	for i := range img.Pix {
		img.Pix[i] = 64 // dark grey borders, so black digits' edges stay visible
	}
	for k := 0; k < rows*cols; k++ {
		x0, y0 := border+(k%cols)*cell, border+(k/cols)*cell
		for y := range size {
			for x := range size {
				v := (float64(pixels[k*size*size+y*size+x]) - low) / (high - low)
				g := color.Gray{Y: uint8(max(0, min(1, v))*255 + 0.5)}
				for dy := range scale {
					for dx := range scale {
						img.SetGray(x0+x*scale+dx, y0+y*scale+dy, g)
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
