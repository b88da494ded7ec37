package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// runImage serves one stored PNG by run, key and step (the latest step
// when none is given). It reads nothing but the store.
func (h *Handler) runImage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	id, key := r.PathValue("id"), q.Get("key")
	step, ok := parseStep(q.Get("step"))
	if q.Get("step") != "" && !ok {
		h.errorPage(w, r, http.StatusBadRequest, fmt.Sprintf("bad step %q: want an integer", q.Get("step")))
		return
	}
	if !ok {
		images, err := h.store.Images(ctx, id)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		found := false
		for _, img := range images {
			if img.Key == key {
				step, found = img.Step, true
			}
		}
		if !found {
			h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("Run %s has no image %q.", id, key))
			return
		}
	}
	img, err := h.store.Image(ctx, id, key, step)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if !strings.HasPrefix(string(img.PNG), "\x89PNG\r\n\x1a\n") {
		h.errorPage(w, r, http.StatusInternalServerError, "The stored image is not a PNG.")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(img.PNG)))
	// An image of a key and step can be replaced, so revalidate.
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method != http.MethodHead {
		w.Write(img.PNG)
	}
}
