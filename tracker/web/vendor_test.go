package web

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestVendoredUPlot checks that the embedded uPlot files are those that
// scripts/deps/vendor-uplot.sh recorded in VERSION (pinned version, npm
// integrity, sha256 of each file), its licence included, and that they are
// served.
func TestVendoredUPlot(t *testing.T) {
	version, err := assets.ReadFile("static/vendor/uplot/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(version)), "\n")
	if !strings.HasPrefix(lines[0], "uplot 1.6.32 (npm, sha512-") {
		t.Errorf("VERSION starts %q, want the pinned uplot 1.6.32 and its npm integrity", lines[0])
	}
	files := map[string]bool{}
	for _, l := range lines[1:] {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("bad VERSION line %q", l)
		}
		b, err := assets.ReadFile("static/vendor/uplot/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, VERSION says %s", name, got, sum)
		}
		files[name] = true
	}
	for _, name := range []string{"uPlot.iife.min.js", "uPlot.min.css", "LICENSE"} {
		if !files[name] {
			t.Errorf("VERSION lists no %s", name)
		}
	}
	if lic, _ := assets.ReadFile("static/vendor/uplot/LICENSE"); !strings.Contains(string(lic), "MIT License") {
		t.Errorf("the vendored LICENSE is not uPlot's MIT licence")
	}
	h := NewHandler(seedStore(t).reader)
	for path, ctype := range map[string]string{
		"/static/vendor/uplot/uPlot.iife.min.js": "text/javascript",
		"/static/vendor/uplot/uPlot.min.css":     "text/css",
		"/static/charts.js":                      "text/javascript",
	} {
		r := do(t, h, "GET", path)
		if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, r.code, r.header.Get("Content-Type"))
		}
	}
}
