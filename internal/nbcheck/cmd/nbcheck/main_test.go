package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    []string
	}{
		{"good", []string{"../../testdata/good.ipynb"}, 0, []string{"ok   ../../testdata/good.ipynb: 2 picture(s), 1 cell(s) skipped"}},
		{"panic", []string{"../../testdata/panic.ipynb"}, 1, []string{"FAIL", "cell 2: panic: panic: boom"}},
		{"good and bad", []string{"../../testdata/good.ipynb", "../../testdata/nopicture.ipynb"}, 1, []string{"ok   ../../testdata/good.ipynb", "FAIL ../../testdata/nopicture.ipynb"}},
		{"missing file", []string{"../../testdata/nonexistent.ipynb"}, 1, []string{"FAIL ../../testdata/nonexistent.ipynb"}},
		{"expect exactly", []string{"-expect", "panic,non-zero exit status", "../../testdata/panic.ipynb"}, 0, []string{"found exactly"}},
		{"expect missing kind", []string{"-expect", "panic,non-zero exit status,assertion failed", "../../testdata/panic.ipynb"}, 1, []string{`missing: no "assertion failed"`}},
		{"expect unexpected kind", []string{"-expect", "panic", "../../testdata/panic.ipynb"}, 1, []string{`unexpected: "non-zero exit status"`}},
		{"expect on a good notebook", []string{"-expect", "panic", "../../testdata/good.ipynb"}, 1, []string{`missing: no "panic"`}},
		{"no files", nil, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := run(tt.args, &out, &errOut); got != tt.wantStatus {
				t.Errorf("status %d, want %d\n%s%s", got, tt.wantStatus, out.String(), errOut.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
