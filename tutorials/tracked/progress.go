package tracked

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	_ "image/gif" // image.DecodeConfig of the animations
	"image/png"

	"github.com/ganbook/ganbook/internal/gifanim"
)

// ProgressFrameDelay is the time each frame of a progress animation shows, in hundredths
// of a second, as `ganbook sample --progress` and the web UI show it.
const ProgressFrameDelay = 20

// ProgressGIF animates sample grids, in the order given, as one looping GIF: the
// training progression of a run, the same encoding as `ganbook sample --progress`.
func ProgressGIF(grids []Grid) ([]byte, error) {
	frames := make([]image.Image, 0, len(grids))
	for _, g := range grids {
		img, err := png.Decode(bytes.NewReader(g.PNG))
		if err != nil {
			return nil, fmt.Errorf("tracked: grid %q: %w", g.Label, err)
		}
		frames = append(frames, img)
	}
	var buf bytes.Buffer
	if err := gifanim.Encode(&buf, frames, ProgressFrameDelay); err != nil {
		return nil, fmt.Errorf("tracked: %w", err)
	}
	return buf.Bytes(), nil
}

// AnimationHTML shows a GIF widthPx wide (pixels scaled without blurring) above a
// caption, for a notebook cell.
func AnimationHTML(gif []byte, widthPx int, caption string) string {
	return fmt.Sprintf(`<figure style="margin:0;text-align:center;display:inline-block"><img class="progress-gif" src="data:image/gif;base64,%s" style="width:%dpx;image-rendering:pixelated"/><figcaption>%s</figcaption></figure>`,
		base64.StdEncoding.EncodeToString(gif), widthPx, html.EscapeString(caption))
}

// AnimationSVG wraps a GIF in an SVG document widthPx wide (its height in proportion),
// for a tutorial figure: browsers animate it there as in an img.
func AnimationSVG(gif []byte, widthPx int) (string, error) {
	cfg, err := gifConfig(gif)
	if err != nil {
		return "", err
	}
	height := widthPx * cfg.Height / cfg.Width
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d"><image x="0" y="0" width="%d" height="%d" style="image-rendering:pixelated" href="data:image/gif;base64,%s"/></svg>`,
		widthPx, height, widthPx, height, widthPx, height, base64.StdEncoding.EncodeToString(gif)), nil
}

func gifConfig(gif []byte) (image.Config, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(gif))
	if err != nil {
		return cfg, fmt.Errorf("tracked: %w", err)
	}
	if format != "gif" {
		return cfg, fmt.Errorf("tracked: a %s image, not a GIF", format)
	}
	return cfg, nil
}
