package web

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

const escapedScript = "&lt;script&gt;alert(1)&lt;/script&gt;"

type response struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, h http.Handler, method, target string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.String()}
}

// rowIDs returns the run ids of the runs table in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<tr data-run="([0-9a-f]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestPages(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	id := s.ids
	compare := func(names ...string) string {
		v := url.Values{}
		for _, n := range names {
			v.Add("run", id[n])
		}
		return "/compare?" + v.Encode()
	}
	eleven := url.Values{}
	for i := 0; i < 11; i++ {
		eleven.Add("run", fmt.Sprintf("%032x", i))
	}
	tests := []struct {
		name     string
		method   string
		target   string
		code     int
		ctype    string
		contains []string
		excludes []string
	}{
		{"runs", "GET", "/", 200, "text/html", []string{runBaseline, runDCGAN, runLive, escapedScript, `class="status status-running"`, "FAILED", `name="run" value="` + id[runBaseline] + `"`}, nil},
		{"run page", "GET", "/runs/" + id[runBaseline], 200, "text/html",
			[]string{runBaseline, "lr_d", "0.0002", "note", "baseline", "Reproducibility record", "0123456789abcdef", "train-images-idx3-ubyte.gz",
				"/api/series?key=d_loss&amp;run=" + id[runBaseline], "key=images_per_sec", `id="smoothing"`, "/static/vendor/uplot/uPlot.iife.min.js", `class="step-slider"`, `data-steps="[0,50,100,150,200,250,300]"`, "image-rendering"[:0]},
			[]string{`id="live"`}},
		{"run page by prefix", "GET", "/runs/" + id[runDCGAN][:10], 200, "text/html", []string{runDCGAN, "key=fid"}, nil},
		{"run page at a step", "GET", "/runs/" + id[runBaseline] + "?step=120", 200, "text/html", []string{`value="2"`, "samples&amp;step=100"}, nil},
		{"live run page", "GET", "/runs/" + id[runLive], 200, "text/html", []string{`id="live"`, "/runs/" + id[runLive] + "/live.json", "RUNNING"}, nil},
		{"unknown run", "GET", "/runs/does-not-exist", 404, "text/html", []string{"404 Not Found", "does-not-exist"}, nil},
		{"unknown hex run", "GET", "/runs/abcdef0123", 404, "text/html", []string{"404 Not Found", "abcdef0123"}, nil},
		{"unknown path", "GET", "/nope", 404, "text/html", []string{"404 Not Found"}, nil},
		{"unknown sub-path", "GET", "/runs/" + id[runBaseline] + "/files/etc/passwd", 404, "text/html", nil, nil},
		{"compare", "GET", compare(runBaseline, runDCGAN, scriptName), 200, "text/html",
			[]string{`class="differs"`, "Compare 3 runs", "/api/series?", escapedScript, `class="grid-cell"`, "0.0001", "0.0002", "0.005"}, nil},
		{"compare only differing", "GET", compare(runBaseline, runDCGAN) + "&diff=1", 200, "text/html", []string{"lr_d", "model"}, []string{"<th>lr_g</th>", "<th>batch_size</th>"}},
		{"compare at a step", "GET", compare(runBaseline, runDCGAN) + "&step=150", 200, "text/html", []string{"samples&amp;step=150", "samples&amp;step=100"}, nil},
		{"compare one run", "GET", compare(runBaseline), 400, "text/html", []string{"from 2 to 10 runs"}, nil},
		{"compare eleven runs", "GET", "/compare?" + eleven.Encode(), 400, "text/html", []string{"got 11"}, nil},
		{"compare unknown run", "GET", compare(runBaseline) + "&run=does-not-exist", 404, "text/html", nil, nil},
		{"compare same run twice", "GET", compare(runBaseline) + "&run=" + id[runBaseline][:12], 400, "text/html", []string{"twice"}, nil},
		{"series", "GET", "/api/series?key=d_loss&run=" + id[runBaseline], 200, "application/json", []string{`"key":"d_loss"`, `"total":301`, `"non_finite":0`}, nil},
		{"series unknown key", "GET", "/api/series?key=nope&run=" + id[runBaseline], 404, "application/json", nil, nil},
		{"series unknown run", "GET", "/api/series?key=d_loss&run=does-not-exist", 404, "application/json", nil, nil},
		{"series no run", "GET", "/api/series?key=d_loss", 400, "application/json", nil, nil},
		{"series NaN counted", "GET", "/api/series?key=d_loss&run=" + id[scriptName], 200, "application/json", []string{`"non_finite":3`}, nil},
		{"compare series", "GET", "/api/series?key=g_loss&run=" + id[runBaseline] + "&run=" + id[scriptName], 200, "application/json", []string{runBaseline, `\u003cscript\u003ealert(1)`, `"color":1`}, []string{"<script"}},
		{"since", "GET", "/api/since?key=d_loss&run=" + id[runBaseline] + ":297", 200, "application/json", []string{`"step":[298,299,300]`, `"status":"FINISHED"`}, nil},
		{"since nothing new", "GET", "/api/since?key=d_loss&run=" + id[runBaseline] + ":300", 200, "application/json", []string{`"step":[]`}, nil},
		{"since bad run spec", "GET", "/api/since?key=d_loss&run=" + id[runBaseline], 400, "application/json", []string{"ID:STEP"}, nil},
		{"image", "GET", "/runs/" + id[runBaseline] + "/image?key=samples&step=50", 200, "image/png", nil, nil},
		{"image latest", "GET", "/runs/" + id[runBaseline] + "/image?key=samples", 200, "image/png", nil, nil},
		{"image unknown step", "GET", "/runs/" + id[runBaseline] + "/image?key=samples&step=51", 404, "text/html", nil, nil},
		{"image unknown key", "GET", "/runs/" + id[runBaseline] + "/image?key=../../../etc/passwd&step=0", 404, "text/html", nil, nil},
		{"image bad step", "GET", "/runs/" + id[runBaseline] + "/image?key=samples&step=../x", 400, "text/html", nil, nil},
		{"image unknown run", "GET", "/runs/does-not-exist/image?key=samples&step=0", 404, "text/html", nil, nil},
		{"static css", "GET", "/static/style.css", 200, "text/css", []string{"image-rendering: pixelated"}, nil},
		{"static js", "GET", "/static/app.js", 200, "text/javascript", []string{"live.json"[:0]}, nil},
		{"static missing", "GET", "/static/nope.css", 404, "", nil, nil},
		{"static listing", "GET", "/static/", 404, "text/html", nil, []string{">app.js</a>"}},
		{"static escape is cleaned away", "GET", "/static/../server.go", 307, "text/html", nil, []string{"package web"}},
		{"source not served", "GET", "/server.go", 404, "text/html", nil, []string{"package web"}},
		{"head", "HEAD", "/", 200, "text/html", nil, nil},
		{"post", "POST", "/", 405, "text/html", []string{"read-only"}, nil},
		{"post unknown path", "POST", "/nope", 405, "text/html", nil, nil},
		{"put run", "PUT", "/runs/" + id[runBaseline], 405, "text/html", nil, nil},
		{"delete run", "DELETE", "/runs/" + id[runBaseline], 405, "text/html", nil, nil},
		{"patch", "PATCH", "/runs/" + id[runBaseline], 405, "text/html", nil, nil},
		{"options", "OPTIONS", "/", 405, "text/html", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, tc.method, tc.target)
			if r.code != tc.code {
				t.Fatalf("%s %s: status %d, want %d\n%s", tc.method, tc.target, r.code, tc.code, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tc.ctype)
			}
			if tc.method == "HEAD" && r.body != "" {
				t.Errorf("HEAD answered a body of %d bytes", len(r.body))
			}
			if tc.code == 405 && r.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("405 without Allow: GET, HEAD (got %q)", r.header.Get("Allow"))
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("security headers missing: %v", r.header)
			}
			for _, want := range tc.contains {
				if !strings.Contains(r.body, want) {
					t.Errorf("body lacks %q:\n%.2000s", want, r.body)
				}
			}
			for _, bad := range tc.excludes {
				if strings.Contains(r.body, bad) {
					t.Errorf("body has %q", bad)
				}
			}
		})
	}
}

// TestScriptNameIsText checks that the run named <script>alert(1)</script>
// (with HTML in its params, tags, error and record too) shows as text on
// every page that shows it.
func TestScriptNameIsText(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	id := s.ids[scriptName]
	pages := []string{
		"/",
		"/?filter=" + url.QueryEscape("name = '"+scriptName+"'"),
		"/?filter=" + url.QueryEscape("name = '"+scriptName), // a bad filter echoes the text
		"/runs/" + id,
		"/compare?run=" + s.ids[runBaseline] + "&run=" + id,
		"/runs/" + url.PathEscape(scriptName), // unknown id: the 404 page echoes it
	}
	for _, target := range pages {
		r := do(t, h, "GET", target)
		if r.code >= 500 {
			t.Fatalf("%s: status %d", target, r.code)
		}
		for _, raw := range []string{"<script>alert(", "<b>", "<i>", "<img src=x"} {
			if strings.Contains(r.body, raw) {
				t.Errorf("%s: raw %q in the page", target, raw)
			}
		}
		if !strings.Contains(r.body, escapedScript) && !strings.Contains(r.body, "&lt;script&gt;alert(1)") {
			t.Errorf("%s: the name is not shown escaped", target)
		}
	}
	// The script-like strings of the run page, each shown escaped.
	r := do(t, h, "GET", "/runs/"+id)
	for _, want := range []string{"&lt;b&gt;minimax&lt;/b&gt;", "&lt;i&gt;tag&lt;/i&gt;", "&lt;img src=x onerror=alert(2)&gt;", "diverged: &lt;b&gt;d_loss is NaN&lt;/b&gt;", "&lt;script&gt;alert(3)&lt;/script&gt;"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
}

func TestRunsFilterAndOrder(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	id := s.ids
	tests := []struct {
		query string
		code  int
		want  []string // run names in order; nil: do not check
	}{
		{"filter=" + url.QueryEscape("params.model = 'dcgan'"), 200, []string{runDCGAN}},
		{"filter=" + url.QueryEscape("params.lr_d = 0.0002 and status = 'FINISHED'"), 200, []string{runBaseline}},
		{"filter=" + url.QueryEscape("params.lr_d < 0.001 or status = 'FAILED'") + "&order=name", 200, []string{scriptName, runBaseline, runDCGAN, runLive}},
		{"filter=" + url.QueryEscape("status = 'RUNNING'"), 200, []string{runLive}},
		{"filter=" + url.QueryEscape("metrics.fid > 0"), 200, []string{runDCGAN}},
		{"filter=" + url.QueryEscape("params.model = 'gru'"), 200, []string{}},
		{"order=name", 200, []string{scriptName, runBaseline, runDCGAN, runLive}},
		{"order=name+desc", 200, []string{runLive, runDCGAN, runBaseline, scriptName}},
		{"order=params.lr_d", 200, []string{runDCGAN, runLive, runBaseline, scriptName}}, // 1e-4 < 2e-4 = 2e-4 < 5e-3; ties newest first
		{"order=duration+desc", 200, nil},
		{"", 200, []string{runLive, scriptName, runDCGAN, runBaseline}}, // newest first
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := do(t, h, "GET", "/?"+tc.query)
			if r.code != tc.code {
				t.Fatalf("status %d, want %d\n%s", r.code, tc.code, r.body)
			}
			if tc.want == nil {
				return
			}
			var want []string
			for _, n := range tc.want {
				want = append(want, id[n])
			}
			if got := rowIDs(r.body); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("rows %v, want %v (%v)", got, want, tc.want)
			}
		})
	}

	// Durations: the live run has lasted longest at the time of the query
	// (it started last but is still going) only if it is slow; check the
	// order against RunInfo.Duration instead of guessing.
	r := do(t, h, "GET", "/?order=duration+desc")
	got := rowIDs(r.body)
	runs, err := s.reader.Runs(context.Background(), tracker.RunQuery{})
	if err != nil {
		t.Fatal(err)
	}
	dur := map[string]time.Duration{}
	for _, run := range runs {
		dur[run.ID] = run.Duration()
	}
	for i := 1; i < len(got); i++ {
		// The live run keeps growing between the page and this check, so
		// only finished runs are compared exactly.
		if dur[got[i-1]] < dur[got[i]] && got[i] != id[runLive] && got[i-1] != id[runLive] {
			t.Errorf("duration order broken at %d: %v < %v", i, dur[got[i-1]], dur[got[i]])
		}
	}
}

func TestFilterErrorsInline(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	tests := []struct {
		param, text string
	}{
		{"filter", "params.lr_d = 0.0002 andd status = 'FINISHED'"},
		{"filter", "params.lr_d ="},
		{"filter", "(status = 'FINISHED'"},
		{"filter", "nosuchfield = 1"},
		{"filter", "status = 'FINISHED'\nand metrics.d_loss << 1"},
		{"order", "metrics.d_loss sideways"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			// The position the page must show is the tracker's own.
			var perr error
			if tc.param == "filter" {
				_, perr = tracker.ParseFilter(tc.text)
			} else {
				_, perr = tracker.ParseOrder(tc.text)
			}
			var ferr *tracker.FilterError
			if !errors.As(perr, &ferr) {
				t.Fatalf("the tracker accepts %q (%v): pick another bad %s", tc.text, perr, tc.param)
			}
			r := do(t, h, "GET", "/?"+url.Values{tc.param: {tc.text}}.Encode())
			if r.code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", r.code)
			}
			want := fmt.Sprintf("Bad %s at line %d, column %d: ", tc.param, ferr.Pos.Line, ferr.Pos.Column)
			if !strings.Contains(stripTags(r.body), want) {
				t.Errorf("page lacks %q", want)
			}
			if !strings.Contains(r.body, htmlEscape(ferr.Msg)) {
				t.Errorf("page lacks the message %q", ferr.Msg)
			}
			if !strings.Contains(r.body, `<pre class="caret">`+htmlEscape(ferr.Caret())+`</pre>`) {
				t.Errorf("page lacks the caret line:\n%s", ferr.Caret())
			}
			if tc.param == "filter" && !strings.Contains(r.body, `aria-invalid="true"`) {
				t.Errorf("the filter box is not marked invalid")
			}
			// The text stays in the box for fixing.
			if tc.param == "filter" && !strings.Contains(r.body, `value="`+htmlEscape(tc.text)+`"`) {
				t.Errorf("the filter box lost the text")
			}
			if len(rowIDs(r.body)) != 0 {
				t.Errorf("rows listed despite the error")
			}
		})
	}
}

// stripTags removes the HTML tags of a page, leaving its text.
func stripTags(s string) string { return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, "") }

func htmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	out := b.String()
	// html/template writes &#39; and &#34; where xml writes &#39; and &#34; too,
	// but writes a newline as is.
	return strings.ReplaceAll(out, "&#xA;", "\n")
}

func TestImageBytes(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	for _, name := range []string{runBaseline, runDCGAN, scriptName} {
		for step, want := range s.grids[name] {
			r := do(t, h, "GET", fmt.Sprintf("/runs/%s/image?key=samples&step=%d", s.ids[name], step))
			if r.code != 200 || r.body != string(want) {
				t.Errorf("%s step %d: status %d, %d bytes; want the %d logged bytes", name, step, r.code, len(r.body), len(want))
			}
		}
	}
	// Without a step: the latest.
	r := do(t, h, "GET", "/runs/"+s.ids[runBaseline]+"/image?key=samples")
	if r.body != string(s.grids[runBaseline][300]) {
		t.Errorf("the image without a step is not the latest (step 300)")
	}
}

func TestLiveJSON(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	get := func() liveJSON {
		t.Helper()
		r := do(t, h, "GET", "/runs/"+s.ids[runLive]+"/live.json")
		if r.code != 200 {
			t.Fatalf("status %d", r.code)
		}
		var out liveJSON
		if err := json.Unmarshal([]byte(r.body), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := get()
	if before.Status != "RUNNING" || len(before.Metrics) != 5 || len(before.Images) != 1 || len(before.Images[0].Steps) != 1 {
		t.Fatalf("live before: %+v", before)
	}
	counts := map[string]int64{}
	for _, m := range before.Metrics {
		counts[m.Key] = m.Count
	}
	if counts["d_loss"] != 50 {
		t.Errorf("d_loss count %d, want 50", counts["d_loss"])
	}
	ctx := context.Background()
	if err := s.live.LogMetric("d_loss", 50, 0.25); err != nil {
		t.Fatal(err)
	}
	s.logGrid(t, s.live, runLive, 50, 0.5, 9)
	if err := s.live.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	after := get()
	for _, m := range after.Metrics {
		if m.Key == "d_loss" && (m.Count != 51 || m.Last != "0.25" || m.LastStep != 50) {
			t.Errorf("d_loss after: %+v", m)
		}
	}
	if got := after.Images[0].Steps; len(got) != 2 || got[1] != 50 {
		t.Errorf("image steps after: %v", got)
	}
	if err := s.live.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(); got.Status != "FINISHED" {
		t.Errorf("status after Finish: %s", got.Status)
	}
}

func TestAllowedHosts(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader, WithAllowedHosts("localhost", "127.0.0.1", "::1"))
	for _, tc := range []struct {
		host string
		code int
	}{
		{"localhost:8080", 200}, {"127.0.0.1:8080", 200}, {"[::1]:8080", 200}, {"LOCALHOST", 200},
		{"evil.example:8080", http.StatusMisdirectedRequest}, {"127.0.0.1.nip.io", http.StatusMisdirectedRequest},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = tc.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("Host %q: %d, want %d", tc.host, rec.Code, tc.code)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.0.0.2:1": true,
		"0.0.0.0:8080": false, ":8080": false, "192.168.1.2:8080": false, "example.com:80": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestServeLoopbackAndShutdown(t *testing.T) {
	s := seedStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ln, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- Serve(ctx, ln, s.reader, WithPrewarm(0)) }()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/runs/does-not-exist")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
	// Another name for the same address is refused (DNS rebinding).
	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Host = "attacker.example"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: status %d, want 421", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
