package web

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

// TestRunsPaging checks the runs page's paging and count over 130 runs
// against the store's own answers, read without paging.
func TestRunsPaging(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.db")
	if err := buildManyRunsDB(path, 130); err != nil {
		t.Fatal(err)
	}
	store, err := tracker.Open(path, tracker.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := NewHandler(store)
	count := regexp.MustCompile(`<span class="muted right" id="run-count">([^<]*)</span>`)
	tests := []struct {
		query      url.Values
		filter     string // as the store reads it
		order      string
		from, upto int // the rows shown, from 0, of the store's whole answer
		wantCount  string
		next, prev bool
	}{
		{url.Values{}, "", "", 0, 50, "1–50 of 130 runs", true, false},
		{url.Values{"page": {"2"}}, "", "", 50, 100, "51–100 of 130 runs", true, true},
		{url.Values{"page": {"3"}}, "", "", 100, 130, "101–130 of 130 runs", false, true},
		{url.Values{"page": {"4"}}, "", "", 130, 130, "none of 130 runs on this page", false, true},
		{url.Values{"per": {"25"}, "page": {"2"}}, "", "", 25, 50, "26–50 of 130 runs", true, true},
		{url.Values{"filter": {"params.model = 'dcgan'"}}, "params.model = 'dcgan'", "", 0, 50, "1–50 of 65 runs", true, false},
		{url.Values{"filter": {"params.model = 'dcgan'"}, "page": {"2"}}, "params.model = 'dcgan'", "", 50, 65, "51–65 of 65 runs", false, true},
		{url.Values{"filter": {"metrics.fid > 6"}, "per": {"10"}}, "metrics.fid > 6", "", 0, 10, "", true, false},
		{url.Values{"filter": {"params.seed = 7"}}, "params.seed = 7", "", 0, 1, "1–1 of 1 run", false, false},
		{url.Values{"order": {"metrics.d_loss desc"}, "page": {"2"}}, "", "metrics.d_loss desc", 50, 100, "51–100 of 130 runs", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.query.Encode(), func(t *testing.T) {
			all, err := store.Runs(context.Background(), tracker.RunQuery{Filter: tc.filter, OrderBy: tc.order})
			if err != nil {
				t.Fatal(err)
			}
			r := do(t, h, "GET", "/?"+tc.query.Encode())
			if r.code != 200 {
				t.Fatalf("status %d", r.code)
			}
			var want []string
			for _, run := range all[min(tc.from, len(all)):min(tc.upto, len(all))] {
				want = append(want, run.ID)
			}
			if got := rowIDs(r.body); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("rows %v,\nwant %v", got, want)
			}
			m := count.FindStringSubmatch(r.body)
			if m == nil {
				t.Fatal("no run count")
			}
			wantCount := tc.wantCount
			if wantCount == "" { // the filter's count, as the store finds it
				wantCount = "1–10 of " + itoa(len(all)) + " runs"
			}
			if m[1] != wantCount {
				t.Errorf("count %q, want %q", m[1], wantCount)
			}
			if got := strings.Contains(r.body, `id="next-page"`); got != tc.next {
				t.Errorf("next link %v, want %v", got, tc.next)
			}
			if got := strings.Contains(r.body, `id="prev-page"`); got != tc.prev {
				t.Errorf("previous link %v, want %v", got, tc.prev)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestRunsColumns checks the chosen columns and that links keep them.
func TestRunsColumns(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	q := url.Values{"cols": {"1"}, "col": {"params.lr_d", "metrics.fid", "tags.note", "bogus.x", "params."}}
	r := do(t, h, "GET", "/?"+q.Encode())
	var heads []string
	for _, m := range regexp.MustCompile(`title="(parameter|latest value of metric|tag) ([^"]+)"`).FindAllStringSubmatch(r.body, -1) {
		heads = append(heads, m[1]+" "+m[2])
	}
	if got := strings.Join(heads, ","); got != "parameter lr_d,latest value of metric fid,tag note" {
		t.Errorf("columns %s", got)
	}
	// Sorting links keep the chosen columns.
	if !strings.Contains(r.body, `href="/?col=params.lr_d&amp;col=metrics.fid&amp;col=tags.note&amp;cols=1&amp;order=name"`) {
		t.Errorf("the name column's link loses the columns:\n%s", regexp.MustCompile(`href="/\?[^"]*order=name[^"]*"`).FindString(r.body))
	}
	// The tag's values fill its column: the DCGAN run's note.
	if !strings.Contains(r.body, `<td class="param" title="slower lr_d">slower lr_d</td>`) {
		t.Errorf("the tag column lacks the DCGAN run's note")
	}
}

// TestFilterCheckJSON checks /api/filter against the tracker's parser.
func TestFilterCheckJSON(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader)
	for _, tc := range []struct {
		filter, order string
		ok            bool
		input         string
	}{
		{"params.lr_d = 0.0002", "", true, ""},
		{"", "metrics.d_loss desc", true, ""},
		{"params.lr_d = = 1", "", false, "filter"},
		{"status = 'FINISHED'\nand (", "", false, "filter"},
		{"", "metrics.d_loss sideways", false, "order"},
	} {
		r := do(t, h, "GET", "/api/filter?"+url.Values{"filter": {tc.filter}, "order": {tc.order}}.Encode())
		var got filterCheckJSON
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		if got.OK != tc.ok || got.Input != tc.input {
			t.Errorf("%q %q: %+v", tc.filter, tc.order, got)
			continue
		}
		if tc.ok {
			continue
		}
		var perr error
		if tc.input == "filter" {
			_, perr = tracker.ParseFilter(tc.filter)
		} else {
			_, perr = tracker.ParseOrder(tc.order)
		}
		ferr := perr.(*tracker.FilterError)
		if got.Line != ferr.Pos.Line || got.Column != ferr.Pos.Column || got.Caret != ferr.Caret() || got.Message != ferr.Msg {
			t.Errorf("%q: %+v, want the tracker's %d:%d %q", tc.filter, got, ferr.Pos.Line, ferr.Pos.Column, ferr.Msg)
		}
	}
}

// TestSeriesBand checks each point's band against the min and max of the
// stored points of its envelope range, computed here from the raw series.
func TestSeriesBand(t *testing.T) {
	s := seedStore(t)
	h := NewHandler(s.reader, WithMaxPoints(40))
	r := do(t, h, "GET", "/api/series?key=g_loss&run="+s.ids[runDCGAN])
	var out seriesJSON
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatal(err)
	}
	got := out.Runs[0]
	if !got.Downsampled || got.Width < 2 || len(got.Step) > 40 {
		t.Fatalf("series not downsampled: %d points, width %d", len(got.Step), got.Width)
	}
	pts, err := s.reader.Metric(context.Background(), s.ids[runDCGAN], "g_loss")
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range got.Step {
		lo, hi := 1e300, -1e300
		start := int64(step) / got.Width * got.Width // the first range starts at step 0
		for _, p := range pts {
			if p.Step >= start && p.Step < start+got.Width {
				lo, hi = min(lo, p.Value), max(hi, p.Value)
			}
		}
		if got.Lo[i] != lo || got.Hi[i] != hi {
			t.Errorf("step %v: band [%v, %v], want [%v, %v] (steps %d to %d)", step, got.Lo[i], got.Hi[i], lo, hi, start, start+got.Width-1)
		}
	}
}
