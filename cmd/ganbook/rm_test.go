package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/tracker"
)

// rmFixture makes a database of two runs, each with 2 MiB of images, and
// returns its path and the runs' ids.
func rmFixture(t *testing.T) (string, []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rm.db")
	store, err := tracker.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	png := make([]byte, 1<<20)
	copy(png, "\x89PNG\r\n\x1a\n")
	var ids []string
	for _, name := range []string{"keep", "doomed"} {
		run, err := store.StartRun(t.Context(), "e", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		run.LogMetric("loss", 0, 1)
		for step := range int64(2) {
			if err := run.LogImage("samples", step, png); err != nil {
				t.Fatal(err)
			}
		}
		if err := run.Finish(t.Context()); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID())
	}
	return path, ids
}

func TestRm(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		input    string
		yes      bool
		deleted  bool
		wantOut  []string
		wantErr  string
	}{
		{name: "no terminal, no --yes", input: "y\n", wantErr: "--yes"},
		{name: "terminal, declined", terminal: true, input: "n\n", wantOut: []string{"doomed", "[y/N]", "nothing deleted"}},
		{name: "terminal, empty answer", terminal: true, input: "\n", wantOut: []string{"nothing deleted"}},
		{name: "terminal, no answer", terminal: true, input: "", wantErr: "no answer"},
		{name: "terminal, confirmed", terminal: true, input: "yes\n", deleted: true, wantOut: []string{"[y/N]", "deleted ", "freed "}},
		{name: "--yes without terminal", yes: true, deleted: true, wantOut: []string{"deleted ", "freed "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, ids := rmFixture(t)
			orig := isTerminal
			isTerminal = func(io.Reader) bool { return tt.terminal }
			defer func() { isTerminal = orig }()
			cmd := newRmCommand()
			args := []string{ids[1][:8], "--db", path}
			if tt.yes {
				args = append(args, "--yes")
			}
			var out bytes.Buffer
			cmd.SetArgs(args)
			cmd.SetIn(strings.NewReader(tt.input))
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v; want one mentioning %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			store, err := tracker.Open(path, tracker.MustExist())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			runs, err := store.Runs(t.Context(), tracker.RunQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 2}[tt.deleted]; len(runs) != want {
				t.Fatalf("%d runs left; want %d", len(runs), want)
			}
			if !tt.deleted {
				return
			}
			// 2 MiB of the 4 MiB of images went; the file shrank accordingly.
			m := regexp.MustCompile(`freed ([\d.]+) MiB: the database went from ([\d.]+) MiB to ([\d.]+) MiB`).FindStringSubmatch(out.String())
			if m == nil {
				t.Errorf("no freed line in:\n%s", out.String())
			} else if freed, _ := strconv.ParseFloat(m[1], 64); freed < 1.9 || freed > 2.1 {
				t.Errorf("freed line %q; want about 2.0 MiB freed", m[0])
			}
			st, err := os.Stat(path)
			if err != nil || st.Size() > 2<<20+1<<18 {
				t.Errorf("file is %d bytes after rm; want about 2 MiB", st.Size())
			}
		})
	}
}

// Through the binary: stdin is not a terminal, so rm without --yes refuses.
func TestRmRefusesWithoutTerminal(t *testing.T) {
	path, ids := rmFixture(t)
	r := runGanbook(t, t.TempDir(), nil, "rm", ids[1], "--db", path)
	if r.exitCode == 0 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("rm without --yes: exit %d\n%s", r.exitCode, r.stderr)
	}
	r = runGanbook(t, t.TempDir(), nil, "rm", ids[1], "--db", path, "--yes")
	if r.exitCode != 0 || !strings.Contains(r.stdout, "deleted "+ids[1]) || !strings.Contains(r.stdout, "freed ") {
		t.Errorf("rm --yes: exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
}
