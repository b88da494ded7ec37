package gifanim

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"io"
)

// LastFrameHold is how many times longer than the others the last frame is shown,
// so that the animation rests on the final state before it loops.
const LastFrameHold = 5

// grayPalette holds the 256 grays, index i being gray level i: gray frames are
// encoded without loss.
var grayPalette = func() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		p[i] = color.Gray{Y: uint8(i)}
	}
	return p
}()

// Encode writes frames to w as one looping animated GIF, each frame shown for delay
// hundredths of a second and the last for LastFrameHold times as long. Frames whose
// pixels are all gray, or that use at most 256 colours, are encoded exactly; others
// are dithered onto the Plan 9 palette.
func Encode(w io.Writer, frames []image.Image, delay int) error {
	if len(frames) == 0 {
		return errors.New("gifanim: no frames")
	}
	if delay <= 0 {
		return fmt.Errorf("gifanim: frame delay must be positive, got %d", delay)
	}
	anim := &gif.GIF{}
	for i, f := range frames {
		b := f.Bounds()
		if b.Empty() {
			return fmt.Errorf("gifanim: frame %d is empty", i)
		}
		anim.Image = append(anim.Image, paletted(f))
		anim.Delay = append(anim.Delay, delay)
		anim.Config.Width = max(anim.Config.Width, b.Max.X)
		anim.Config.Height = max(anim.Config.Height, b.Max.Y)
	}
	anim.Delay[len(anim.Delay)-1] *= LastFrameHold
	return gif.EncodeAll(w, anim)
}

// paletted converts one frame: onto the gray palette when every pixel is gray, onto
// the frame's own colours when there are at most 256 of them, else dithered.
func paletted(img image.Image) *image.Paletted {
	b := img.Bounds()
	if p, ok := img.(*image.Paletted); ok && len(p.Palette) <= 256 {
		return p
	}
	gray, colours := true, map[color.RGBA64]uint8{}
	var own color.Palette
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBA64Model.Convert(img.At(x, y)).(color.RGBA64)
			if gray && (c.R != c.G || c.G != c.B || c.A != 0xffff || c.R>>8 != c.R&0xff) {
				gray = false
			}
			if _, seen := colours[c]; !seen && len(own) <= 256 {
				if len(own) < 256 {
					colours[c] = uint8(len(own))
				}
				own = append(own, c)
			}
		}
	}
	switch {
	case gray:
		out := image.NewPaletted(b, grayPalette)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				out.SetColorIndex(x, y, uint8(color.RGBA64Model.Convert(img.At(x, y)).(color.RGBA64).R>>8))
			}
		}
		return out
	case len(own) <= 256:
		out := image.NewPaletted(b, own)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				out.SetColorIndex(x, y, colours[color.RGBA64Model.Convert(img.At(x, y)).(color.RGBA64)])
			}
		}
		return out
	default:
		out := image.NewPaletted(b, palette.Plan9)
		draw.FloydSteinberg.Draw(out, b, img, b.Min)
		return out
	}
}
