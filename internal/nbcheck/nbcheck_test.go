package nbcheck

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckFile(t *testing.T) {
	type want struct {
		cell int
		kind Kind
		has  string // substring of the detail
	}
	tests := []struct {
		file     string
		want     []want // exactly these problems, in order
		pictures int
		skipped  int
	}{
		{"good.ipynb", nil, 2, 1},
		{"panic.ipynb", []want{{2, Panic, "panic: boom"}, {2, ExitStatus, "exit status 2"}}, 1, 0},
		{"assertion.ipynb", []want{{2, AssertionFailed, "area |a×b| = |a||b| sin 60°: got 1.5"}, {2, ExitStatus, "exit status 2"}}, 1, 0},
		{"nopicture.ipynb", []want{{-1, NoPicture, ""}}, 0, 0},
		{"error.ipynb", []want{
			{2, GoNBError, "undefined: undefinedThing"},
			{2, ErrorOutput, "go build"},
		}, 1, 0},
		{"exit.ipynb", []want{
			{2, ExitStatus, "exit status 3"},
			{3, Panic, "fatal error: all goroutines are asleep"},
			{3, ExitStatus, "exit status 2"},
		}, 1, 0},
		{"failtest.ipynb", []want{
			{2, TestFailure, "--- FAIL: TestX"},
			{2, ExitStatus, "exit status 1"},
			{3, CompileError, "./main.go:12:3: declared and not used"},
		}, 1, 0},
		{"notexecuted.ipynb", []want{
			{0, NotExecuted, ""},
			{1, NotExecuted, ""},
			{-1, NoPicture, ""},
		}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := CheckFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if r.Pictures != tt.pictures || r.Skipped != tt.skipped {
				t.Errorf("pictures %d, skipped %d; want %d, %d", r.Pictures, r.Skipped, tt.pictures, tt.skipped)
			}
			if r.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v with problems %v", r.OK(), r.Problems)
			}
			if len(r.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(r.Problems), len(tt.want), r.Problems)
			}
			for i, w := range tt.want {
				p := r.Problems[i]
				if p.Cell != w.cell || p.Kind != w.kind || !strings.Contains(p.Detail, w.has) {
					t.Errorf("problem %d = %q, want cell %d, kind %q, detail containing %q", i, p, w.cell, w.kind, w.has)
				}
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		text string
		want []Kind
	}{
		{"all good\n", nil},
		{"panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nexit status 2\n", []Kind{Panic, ExitStatus}},
		{"panic: ASSERTION FAILED: x\nexit status 2\n", []Kind{AssertionFailed, ExitStatus}},
		{"ASSERTION FAILED: printed, not panicked\n", []Kind{AssertionFailed}},
		{"exit status 0\n", nil},
		{"the exit status 1 of a program we describe\n", nil},
		{"exit status 137\n", []Kind{ExitStatus}},
		{"FAIL\tgithub.com/x/y\t0.1s\n", []Kind{TestFailure}},
		{"--- FAIL: TestZ (0.00s)\n", []Kind{TestFailure}},
		{"FAILED attempts: 0\n", nil},
		{"./main.go:3:7: undefined: y\n", []Kind{CompileError}},
		{"/tmp/gonb_1/main.go:10:2: syntax error\n", []Kind{CompileError}},
		{"see main.go line 3\n", nil},
		{"fatal error: concurrent map writes\n", []Kind{Panic}},
		{"we do not panic: ever\n", nil},
	}
	for _, tt := range tests {
		var got []Kind
		checkText(0, tt.text, func(_ int, k Kind, _ string) { got = append(got, k) })
		if !slices.Equal(got, tt.want) {
			t.Errorf("checkText(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestPictures(t *testing.T) {
	tests := []struct {
		name string
		data map[string]Text
		want bool
	}{
		{"png", map[string]Text{"image/png": "iVBORw0KGgo="}, true},
		{"empty png", map[string]Text{"image/png": ""}, false},
		{"svg", map[string]Text{"image/svg+xml": "<svg/>"}, true},
		{"inline svg in html", map[string]Text{"text/html": "<div><svg width='1'></svg></div>"}, true},
		{"img in html", map[string]Text{"text/html": `<img src="data:image/png;base64,AAA">`}, true},
		{"table in html", map[string]Text{"text/html": "<table></table>"}, false},
		{"GoNB error block", map[string]Text{"text/html": `<div class="gonb-err-location"><svg/></div>`}, false},
		{"markdown", map[string]Text{"text/markdown": "| a |"}, false},
	}
	for _, tt := range tests {
		if got := isPicture(Output{OutputType: "display_data", Data: tt.data}); got != tt.want {
			t.Errorf("%s: isPicture = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	nb, err := Parse(strings.NewReader(`{"cells": [{"cell_type": "code", "execution_count": 1, "source": ["a", "b"],
		"outputs": [{"output_type": "display_data", "data": {"application/json": {"k": 1}, "text/plain": "x"}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := nb.Cells[0].Source; got != "ab" {
		t.Errorf("source = %q, want joined lines", got)
	}
	if got := nb.Cells[0].Outputs[0].Data["application/json"]; got != `{"k": 1}` {
		t.Errorf("json data kept as %q", got)
	}
	if _, err := Parse(strings.NewReader(`{"cells": 3}`)); err == nil {
		t.Error("Parse accepted a malformed notebook")
	}
}
