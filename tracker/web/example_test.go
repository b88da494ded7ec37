package web_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/ganbook/ganbook/tracker"
	_ "github.com/ganbook/ganbook/tracker/sqlite"
	"github.com/ganbook/ganbook/tracker/web"
)

// The handler serves a store's runs; `ganbook ui` runs it with
// web.ListenAndServe on 127.0.0.1:8080.
func ExampleNewHandler() {
	dir, err := os.MkdirTemp("", "ganbook-web-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := tracker.Open(filepath.Join(dir, "ganbook.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	run, err := store.StartRun(ctx, "mnist", "<script>alert(1)</script>", map[string]any{"lr_d": 2e-4})
	if err != nil {
		log.Fatal(err)
	}
	run.LogMetric("d_loss", 0, 0.69)
	if err := run.Finish(ctx); err != nil {
		log.Fatal(err)
	}

	h := web.NewHandler(store)
	for _, req := range []struct{ method, target string }{
		{"GET", "/"},
		{"GET", "/runs/" + run.ID()},
		{"GET", "/runs/does-not-exist"},
		{"POST", "/runs/" + run.ID()},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(req.method, req.target, nil))
		body := rec.Body.String()
		fmt.Println(req.method, strings.Replace(req.target, run.ID(), "ID", 1), rec.Code,
			"escaped name:", strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;"))
	}
	// Output:
	// GET / 200 escaped name: true
	// GET /runs/ID 200 escaped name: true
	// GET /runs/does-not-exist 404 escaped name: false
	// POST /runs/ID 405 escaped name: false
}
