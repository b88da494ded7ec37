package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKernelCommands(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	specFile := filepath.Join(dataDir, "kernels", "ganbook", "kernel.json")
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	steps := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
		wantSpec bool   // kernel.json exists afterwards
	}{
		{
			name: "doctor before install names the missing kernel and exits 1",
			dir:  repo, args: []string{"kernel", "doctor", "--jupyter-data-dir", dataDir},
			wantCode: 1, wantOut: `FAIL  kernel spec   no kernel "ganbook" in ` + filepath.Join(dataDir, "kernels"),
			wantErr: "kernel doctor: a notebook needs what the FAIL lines name",
		},
		{
			name: "install outside a checkout says so",
			dir:  t.TempDir(), args: []string{"kernel", "install", "--jupyter-data-dir", dataDir},
			wantCode: 1, wantErr: "not inside a ganbook checkout",
		},
		{
			name: "install",
			dir:  filepath.Join(repo, "notebooks"), args: []string{"kernel", "install", "--jupyter-data-dir", dataDir},
			wantOut: `kernel "ganbook" ("Go (ganbook)") installed in ` + filepath.Dir(specFile), wantSpec: true,
		},
		{
			name: "install again",
			dir:  repo, args: []string{"kernel", "install", "--jupyter-data-dir", dataDir},
			wantOut: "already built", wantSpec: true,
		},
		{
			name: "uninstall, keeping the shared tools",
			dir:  repo, args: []string{"kernel", "uninstall", "--keep-tools", "--jupyter-data-dir", dataDir},
			wantOut: "removed kernel \"ganbook\"",
		},
		{
			name: "uninstall again: nothing to remove",
			dir:  repo, args: []string{"kernel", "uninstall", "--keep-tools", "--jupyter-data-dir", dataDir},
			wantOut: "nothing to remove",
		},
	}
	for _, st := range steps {
		r := runGanbook(t, st.dir, nil, st.args...)
		if r.exitCode != st.wantCode || !strings.Contains(r.stdout, st.wantOut) || !strings.Contains(r.stderr, st.wantErr) {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s\nwant %q in stdout, %q in stderr",
				st.name, r.exitCode, st.wantCode, r.stdout, r.stderr, st.wantOut, st.wantErr)
		}
		if got := exists(specFile); got != st.wantSpec {
			t.Fatalf("%s: kernel.json exists = %v, want %v", st.name, got, st.wantSpec)
		}
	}
}
