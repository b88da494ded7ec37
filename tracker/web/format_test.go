package web

import (
	"math"
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	floats := []struct {
		in   float64
		want string
	}{
		{0.69314718, "0.69315"}, {2100.4, "2100.4"}, {123456, "1.2346e+05"}, {math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"}, {0, "0"}, {-0.000123456, "-0.00012346"}, {123456.5, "1.2346e+05"},
	}
	for _, tc := range floats {
		if got := formatFloat(tc.in); got != tc.want {
			t.Errorf("formatFloat(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	durations := []struct {
		in   time.Duration
		want string
	}{
		{1500 * time.Millisecond, "2s"}, {3*time.Minute + 4400*time.Millisecond, "3m4s"}, {1234567 * time.Microsecond, "1s"},
		{345678 * time.Microsecond, "346ms"}, {-time.Second, "0s"},
	}
	for _, tc := range durations {
		if got := formatDuration(tc.in); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFieldName(t *testing.T) {
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"lr_d", "params.lr_d", true},
		{"fid/test", "params.`fid/test`", true},
		{"a.b", "params.`a.b`", true},
		{"1x", "params.`1x`", true},
		{"bad`key", "", false},
	}
	for _, tc := range tests {
		got, ok := fieldName("params", tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("fieldName(%q) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSplitOrder(t *testing.T) {
	tests := []struct {
		in    string
		field string
		desc  bool
	}{
		{"", "", false}, {"name", "name", false}, {"name desc", "name", true}, {"name ASC", "name", false},
		{"metrics.d_loss desc, name", "metrics.d_loss", true}, {"duration  desc", "duration", true},
	}
	for _, tc := range tests {
		f, d := splitOrder(tc.in)
		if f != tc.field || d != tc.desc {
			t.Errorf("splitOrder(%q) = %q, %v; want %q, %v", tc.in, f, d, tc.field, tc.desc)
		}
	}
}

func TestUnescapeJSONHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":"\u003cb\u003e \u0026"}`, `{"a":"<b> &"}`},
		{`{"a":"\\u003c"}`, `{"a":"\\u003c"}`}, // an escaped backslash, then text
		{`{"a":"\n\u00e9"}`, `{"a":"\n\u00e9"}`},
		{`"\`, `"\`},
	}
	for _, tc := range tests {
		if got := unescapeJSONHTML(tc.in); got != tc.want {
			t.Errorf("unescapeJSONHTML(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
