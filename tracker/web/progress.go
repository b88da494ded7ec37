package web

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strconv"

	"github.com/ganbook/ganbook/internal/gifanim"
)

const (
	// progressFrameDelay is the time each frame of a progress animation shows, in
	// hundredths of a second (the default of `ganbook sample --progress`).
	progressFrameDelay = 20
	// maxProgressFrames bounds the frames of one animation: a run that logged more
	// grids is shown through an even selection of them, its first and last included.
	maxProgressFrames = 200
)

// runProgressGIF serves a run's stored images of one key, in step order, as an
// animated GIF: the training progression of its sample grids.
func (h *Handler) runProgressGIF(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, key := r.PathValue("id"), r.URL.Query().Get("key")
	images, err := h.store.Images(ctx, id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	var steps []int64
	for _, g := range groupImages(images) {
		if g.key == key {
			steps = g.steps
		}
	}
	if len(steps) == 0 {
		h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("Run %s has no image %q.", id, key))
		return
	}
	frames := make([]image.Image, 0, min(len(steps), maxProgressFrames))
	for _, step := range spreadSteps(steps, maxProgressFrames) {
		img, err := h.store.Image(ctx, id, key, step)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		frame, err := png.Decode(bytes.NewReader(img.PNG))
		if err != nil {
			h.errorPage(w, r, http.StatusInternalServerError, fmt.Sprintf("The stored image %q at step %d is not a PNG: %v.", key, step, err))
			return
		}
		frames = append(frames, frame)
	}
	var buf bytes.Buffer
	if err := gifanim.Encode(&buf, frames, progressFrameDelay); err != nil {
		h.errorPage(w, r, http.StatusInternalServerError, "Encoding the animation: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	// A running run logs more grids, so revalidate.
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// spreadSteps returns steps when there are at most n of them, else n of them
// evenly spread from the first to the last.
func spreadSteps(steps []int64, n int) []int64 {
	if len(steps) <= n {
		return steps
	}
	if n == 1 {
		return steps[len(steps)-1:]
	}
	out := make([]int64, n)
	for i := range n {
		out[i] = steps[i*(len(steps)-1)/(n-1)]
	}
	return out
}
