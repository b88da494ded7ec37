package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// DefaultAddr is where ListenAndServe listens when given no address: the
// loopback interface only, so that the runs are not shown to the network.
const DefaultAddr = "127.0.0.1:8080"

//go:embed templates/*.html static/*
var assets embed.FS

// Handler serves the tracker's web pages. It only reads the store: it
// answers GET and HEAD, and 405 Method Not Allowed to every other method.
type Handler struct {
	store  Store
	cfg    config
	mux    *http.ServeMux
	pages  map[string]*template.Template
	series *seriesCache
	static http.Handler
}

type config struct {
	metricOrder  []string
	keyParams    []string
	maxPoints    int
	cacheSize    int
	poll         time.Duration
	allowedHosts map[string]bool // nil: any Host header
	prewarmRuns  int
	logf         func(format string, args ...any)
}

// Option configures a Handler.
type Option func(*config)

// WithMetricOrder lists the metrics to show first, in this order, in the
// runs table and on the run and compare pages; the others follow by name.
func WithMetricOrder(keys ...string) Option {
	return func(c *config) { c.metricOrder = append([]string(nil), keys...) }
}

// WithKeyParams names the parameters shown as columns of the runs table.
// Without it the table shows the parameters whose values differ among the
// listed runs, at most maxParamColumns of them.
func WithKeyParams(keys ...string) Option {
	return func(c *config) { c.keyParams = append([]string(nil), keys...) }
}

// WithMaxPoints sets how many points of a series a chart draws at most:
// the series' envelope over that many ranges of steps is downsampled with
// LTTB. The default is 1000.
func WithMaxPoints(n int) Option {
	return func(c *config) { c.maxPoints = n }
}

// WithCacheSize sets how many downsampled series the handler keeps in
// memory (about 16 bytes a point). The default is 2048.
func WithCacheSize(n int) Option {
	return func(c *config) { c.cacheSize = n }
}

// WithPollInterval sets how often the page of a running run asks for news.
// The default is 2s.
func WithPollInterval(d time.Duration) Option {
	return func(c *config) { c.poll = d }
}

// WithAllowedHosts makes the handler answer only requests whose Host header
// names one of hosts (a port is ignored), and 421 to the others. Serve sets
// it for a loopback listener to localhost and the loopback addresses, which
// defeats DNS rebinding: a web page elsewhere cannot read the runs through
// a name of its own that resolves to 127.0.0.1.
func WithAllowedHosts(hosts ...string) Option {
	return func(c *config) {
		c.allowedHosts = map[string]bool{}
		for _, h := range hosts {
			c.allowedHosts[strings.ToLower(strings.Trim(h, "[]"))] = true
		}
	}
}

// WithPrewarm makes Serve load, in the background, the series of the n
// most recent runs into the chart cache, so that their pages answer at once.
// The default is 100; 0 turns it off. NewHandler alone does not prewarm;
// call Handler.Prewarm.
func WithPrewarm(n int) Option {
	return func(c *config) { c.prewarmRuns = n }
}

// WithLogf sets where server errors are logged (log.Printf by default).
func WithLogf(logf func(format string, args ...any)) Option {
	return func(c *config) { c.logf = logf }
}

// NewHandler returns a handler that serves the pages of the store's runs.
// The store is any Store, such as a *tracker.Store opened read-only
// (tracker.ReadOnly) as `ganbook ui` does; the handler never writes to it.
func NewHandler(store Store, opts ...Option) *Handler {
	cfg := config{maxPoints: 1000, cacheSize: 2048, poll: 2 * time.Second, prewarmRuns: 100, logf: log.Printf}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxPoints < 3 {
		cfg.maxPoints = 3
	}
	if cfg.cacheSize < 1 {
		cfg.cacheSize = 1
	}
	if cfg.poll <= 0 {
		cfg.poll = 2 * time.Second
	}
	h := &Handler{store: store, cfg: cfg, mux: http.NewServeMux(), pages: parsePages()}
	h.series = newSeriesCache(store.MetricEnvelope, cfg.maxPoints, cfg.cacheSize)
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	h.static = http.StripPrefix("/static/", http.FileServerFS(static))

	h.mux.HandleFunc("GET /{$}", h.runsPage)
	h.mux.HandleFunc("GET /runs/{id}", h.runPage)
	h.mux.HandleFunc("GET /runs/{id}/live.json", h.runLive)
	h.mux.HandleFunc("GET /runs/{id}/image", h.runImage)
	h.mux.HandleFunc("GET /runs/{id}/progress.gif", h.runProgressGIF)
	h.mux.HandleFunc("GET /compare", h.comparePage)
	h.mux.HandleFunc("GET /sweeps", h.sweepsPage)
	h.mux.HandleFunc("GET /sweeps/{id}", h.sweepPage)
	h.mux.HandleFunc("GET "+seriesPath, h.seriesJSON)
	h.mux.HandleFunc("GET "+sincePath, h.sinceJSON)
	h.mux.HandleFunc("GET /api/filter", h.filterCheck)
	h.mux.HandleFunc("GET /static/", h.serveStatic)
	h.mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("There is no page at %s.", r.URL.Path))
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	// Everything the pages use comes from this server: no inline script, no
	// other origin. That also stops any script that escaping might miss.
	hdr.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	if h.cfg.allowedHosts != nil && !h.cfg.allowedHosts[hostOnly(r.Host)] {
		http.Error(w, "misdirected request: unexpected Host header", http.StatusMisdirectedRequest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		h.errorPage(w, r, http.StatusMethodNotAllowed, "This server is read-only: it answers GET and HEAD only.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

func hostOnly(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
		h.errorPage(w, r, http.StatusNotFound, fmt.Sprintf("There is no page at %s.", r.URL.Path))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	h.static.ServeHTTP(w, r)
}

// Prewarm loads into the chart cache every metric series of the n most
// recent runs, one series at a time, and returns how many it loaded. It
// stops early when ctx ends.
func (h *Handler) Prewarm(ctx context.Context, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	runs, err := h.store.Runs(ctx, tracker.RunQuery{Limit: n})
	if err != nil {
		return 0, err
	}
	loaded := 0
	for _, run := range runs {
		for _, key := range h.metricKeys(run) {
			if err := ctx.Err(); err != nil {
				return loaded, err
			}
			if _, err := h.series.get(ctx, run, key); err != nil {
				return loaded, err
			}
			loaded++
		}
	}
	return loaded, nil
}

// ListenAndServe serves the store's pages at addr (DefaultAddr when empty)
// until ctx ends, then shuts the server down gracefully.
func ListenAndServe(ctx context.Context, addr string, store Store, opts ...Option) error {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return Serve(ctx, ln, store, opts...)
}

// Serve serves the store's pages on ln until ctx ends. On a loopback
// listener it answers only requests addressed to localhost or a loopback
// address (see WithAllowedHosts), unless an option says otherwise.
func Serve(ctx context.Context, ln net.Listener, store Store, opts ...Option) error {
	if IsLoopback(ln.Addr().String()) {
		opts = append([]Option{WithAllowedHosts("localhost", "127.0.0.1", "::1")}, opts...)
	}
	h := NewHandler(store, opts...)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if h.cfg.prewarmRuns > 0 {
		go func() {
			if _, err := h.Prewarm(ctx, h.cfg.prewarmRuns); err != nil && ctx.Err() == nil {
				h.cfg.logf("ganbook ui: prewarming the chart cache: %v", err)
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// IsLoopback reports whether a host:port address (or a bare host) is on
// the loopback interface: localhost or a loopback IP.
func IsLoopback(addr string) bool {
	host := hostOnly(addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// render executes a page template into a buffer first, so that a template
// error gives a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		h.cfg.logf("ganbook ui: rendering %s: %v", page, err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

type errorData struct {
	Title   string
	Status  int
	Message string
}

// errorPage answers with an HTML page explaining the status.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", errorData{Title: http.StatusText(status), Status: status, Message: msg})
}

// storeError answers for an error of the store: 404 for an unknown run,
// 400 for an ambiguous prefix, 500 otherwise.
func (h *Handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, tracker.ErrNotFound):
		h.errorPage(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, tracker.ErrAmbiguous):
		h.errorPage(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		h.cfg.logf("ganbook ui: %s %s: %v", r.Method, r.URL, err)
		h.errorPage(w, r, http.StatusInternalServerError, "The tracker database could not be read: "+err.Error())
	}
}
