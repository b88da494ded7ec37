package kernel

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// world is a machine for the doctor: a fake PATH, a Jupyter data directory with the
// ganbook kernel installed, the tools as links to real pinned builds.
type world struct {
	dataDir, binDir, pathDir, dbDir string
	doctor                          Doctor
}

func newWorld(t *testing.T) *world {
	t.Helper()
	tmp := t.TempDir()
	w := &world{
		dataDir: filepath.Join(tmp, "jupyter"),
		binDir:  linkTools(t, "gonb", "goimports", "gopls"),
		pathDir: filepath.Join(tmp, "path"),
		dbDir:   filepath.Join(tmp, "runs"),
	}
	for _, dir := range []string{w.pathDir, w.dbDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(realGoDir(t), "go"), filepath.Join(w.pathDir, "go")); err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataDir: w.dataDir, BinDir: w.binDir, Repo: repoRoot(t), DB: filepath.Join(w.dbDir, "ganbook.db")}
	if _, err := Install(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// Stand-ins for a JupyterLab whose Jupyter lists the kernel (TestDoctorAsksJupyter
	// asks the real one).
	writeScript(t, filepath.Join(w.pathDir, "jupyter-lab"), "echo 4.6.6")
	writeScript(t, filepath.Join(w.pathDir, "jupyter"), `echo '{"kernelspecs": {"ganbook": {"resource_dir": "`+SpecDir(w.dataDir, DefaultName)+`"}}}'`)
	w.doctor = Doctor{
		DataDir: w.dataDir,
		BinDir:  w.binDir,
		// The real HOME: a fresh one makes go write telemetry files there after the test.
		Env:        []string{"PATH=" + w.pathDir, "HOME=" + os.Getenv("HOME")},
		XLAPlugins: func() map[string]string { return nil },
		FindMNIST:  func() (string, error) { return "test copy", nil },
	}
	return w
}

func (w *world) editSpec(t *testing.T, edit func(*Spec)) {
	t.Helper()
	dir := SpecDir(w.dataDir, DefaultName)
	s, err := ReadSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(s)
	if err := writeSpec(dir, s); err != nil {
		t.Fatal(err)
	}
}

func TestDoctor(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, w *world)
		// want is the status of the checks named; every other check must be OK or Skip.
		want       map[string]Status
		wantDetail map[string]string // substring of the detail line
		wantFailed bool
	}{
		{
			name:  "everything in place",
			spoil: func(t *testing.T, w *world) {},
			want: map[string]Status{"go": OK, "gonb": OK, "goimports": OK, "gopls": OK, "kernel spec": OK, "repository": OK,
				"jupyter": OK, "GOEXPERIMENT": OK, "GOFLAGS": OK, "backend": OK, "MNIST": OK, "tracker db": OK},
			wantDetail: map[string]string{"jupyter": `JupyterLab 4.6.6 at`, "backend": "go, the pure-Go backend", "gonb": GoNBVersion, "goimports": ToolsVersion, "gopls": GoplsVersion},
		},
		{
			name:       "gopls missing: cells run, the editor gets no help",
			spoil:      func(t *testing.T, w *world) { os.Remove(filepath.Join(w.binDir, "gopls")) },
			want:       map[string]Status{"gopls": Warn, "gonb": OK, "goimports": OK},
			wantDetail: map[string]string{"gopls": "no completion (Tab) or contextual help"},
		},
		{
			name: "gopls of another build",
			spoil: func(t *testing.T, w *world) {
				os.Remove(filepath.Join(w.binDir, "gopls"))
				os.Symlink(filepath.Join(pinnedTools(t), "goimports"), filepath.Join(w.binDir, "gopls"))
			},
			want:       map[string]Status{"gopls": Fail},
			wantDetail: map[string]string{"gopls": "is a build of golang.org/x/tools/cmd/goimports, not golang.org/x/tools/gopls"},
			wantFailed: true,
		},
		{
			name:       "goimports missing",
			spoil:      func(t *testing.T, w *world) { os.Remove(filepath.Join(w.binDir, "goimports")) },
			want:       map[string]Status{"goimports": Fail, "gonb": OK},
			wantDetail: map[string]string{"goimports": "not found on the kernel's PATH"},
			wantFailed: true,
		},
		{
			name: "kernel not registered",
			spoil: func(t *testing.T, w *world) {
				os.RemoveAll(SpecDir(w.dataDir, DefaultName))
			},
			want:       map[string]Status{"kernel spec": Fail, "repository": Skip, "GOEXPERIMENT": Skip, "tracker db": Skip, "gonb": OK, "goimports": OK},
			wantDetail: map[string]string{"kernel spec": `no kernel "ganbook" in`},
			wantFailed: true,
		},
		{
			name: "GoNB of another version",
			spoil: func(t *testing.T, w *world) {
				w.editSpec(t, func(s *Spec) { s.Argv[0] = filepath.Join(w.binDir, "goimports") })
			},
			want:       map[string]Status{"gonb": Fail},
			wantDetail: map[string]string{"gonb": "not github.com/janpfeifer/gonb"},
			wantFailed: true,
		},
		{
			name: "JupyterLab that does not list the kernel",
			spoil: func(t *testing.T, w *world) {
				writeScript(t, filepath.Join(w.pathDir, "jupyter"), `echo '{"kernelspecs": {"python3": {"resource_dir": "/x"}}}'`)
			},
			want:       map[string]Status{"jupyter": Fail, "kernel spec": Fail},
			wantDetail: map[string]string{"jupyter": "JupyterLab 4.6.6 at ", "kernel spec": `kernelspec list does not show "ganbook"`},
			wantFailed: true,
		},
		{
			name: "classic Notebook only",
			spoil: func(t *testing.T, w *world) {
				os.Remove(filepath.Join(w.pathDir, "jupyter-lab"))
				writeScript(t, filepath.Join(w.pathDir, "jupyter-notebook"), "exit 0")
			},
			want:       map[string]Status{"jupyter": Warn},
			wantDetail: map[string]string{"jupyter": "no jupyter-lab on PATH (found "},
		},
		{
			name:       "no Jupyter",
			spoil:      func(t *testing.T, w *world) { os.Remove(filepath.Join(w.pathDir, "jupyter-lab")) },
			want:       map[string]Status{"jupyter": Fail},
			wantDetail: map[string]string{"jupyter": "none of jupyter-lab, jupyter-notebook, jupyter-nbconvert"},
			wantFailed: true,
		},
		{
			name: "Go too old",
			spoil: func(t *testing.T, w *world) {
				old := filepath.Join(t.TempDir(), "oldgo")
				writeScript(t, filepath.Join(old, "go"), "echo go1.21.0")
				w.editSpec(t, func(s *Spec) { s.Env["PATH"] = w.binDir + ":" + old + ":${PATH}" })
			},
			want:       map[string]Status{"go": Fail},
			wantDetail: map[string]string{"go": "go1.21.0; " + repoRoot(t) + "/go.mod needs go1."},
			wantFailed: true,
		},
		{
			name:       "GOEXPERIMENT=simd missing",
			spoil:      func(t *testing.T, w *world) { w.editSpec(t, func(s *Spec) { delete(s.Env, "GOEXPERIMENT") }) },
			want:       map[string]Status{"GOEXPERIMENT": Fail},
			wantFailed: true,
		},
		{
			name:       "GOFLAGS=-mod=mod where Jupyter starts",
			spoil:      func(t *testing.T, w *world) { w.doctor.Env = append(w.doctor.Env, "GOFLAGS=-buildvcs=false -mod=mod") },
			want:       map[string]Status{"GOFLAGS": Fail},
			wantDetail: map[string]string{"GOFLAGS": "the environment Jupyter starts in"},
			wantFailed: true,
		},
		{
			name: "checkout moved away",
			spoil: func(t *testing.T, w *world) {
				w.editSpec(t, func(s *Spec) { s.Argv[1] = GoWorkFlag + t.TempDir() })
			},
			want:       map[string]Status{"repository": Fail},
			wantDetail: map[string]string{"repository": "is no longer a ganbook checkout"},
			wantFailed: true,
		},
		{
			name:       "tracker database directory missing",
			spoil:      func(t *testing.T, w *world) { os.RemoveAll(w.dbDir) },
			want:       map[string]Status{"tracker db": Fail},
			wantDetail: map[string]string{"tracker db": "does not exist"},
			wantFailed: true,
		},
		{
			name: "XLA asked for, plugin absent",
			spoil: func(t *testing.T, w *world) {
				w.editSpec(t, func(s *Spec) { s.Env["GOMLX_BACKEND"] = "xla:cuda" })
				w.doctor.XLAPlugins = func() map[string]string { return map[string]string{"cpu": "/opt/pjrt_c_api_cpu_plugin.so"} }
			},
			want:       map[string]Status{"backend": Fail},
			wantDetail: map[string]string{"backend": "GOMLX_BACKEND=xla:cuda from the kernel spec, but XLA plugins: cpu (/opt/pjrt_c_api_cpu_plugin.so)"},
			wantFailed: true,
		},
		{
			name: "XLA plugin found, no backend chosen",
			spoil: func(t *testing.T, w *world) {
				w.doctor.XLAPlugins = func() map[string]string { return map[string]string{"cpu": "/opt/pjrt_c_api_cpu_plugin.so"} }
			},
			want:       map[string]Status{"backend": OK},
			wantDetail: map[string]string{"backend": "xla (GOMLX_BACKEND not set; XLA plugins: cpu"},
		},
		{
			name: "MNIST not on this machine only warns",
			spoil: func(t *testing.T, w *world) {
				w.doctor.FindMNIST = func() (string, error) { return "", errors.New("mnist: not found\nmore") }
			},
			want:       map[string]Status{"MNIST": Warn},
			wantDetail: map[string]string{"MNIST": "not on this machine (mnist: not found)"},
		},
		{
			name: "a foreign kernel of that name",
			spoil: func(t *testing.T, w *world) {
				w.editSpec(t, func(s *Spec) { s.Metadata.Ganbook = nil })
			},
			want:       map[string]Status{"kernel spec": Fail},
			wantDetail: map[string]string{"kernel spec": "was not written by `ganbook kernel install`"},
			wantFailed: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.spoil(t, w)
			findings := w.doctor.Check(context.Background())
			var report bytes.Buffer
			WriteReport(&report, findings)
			t.Logf("report:\n%s", report.String())
			seen := map[string]bool{}
			for _, f := range findings {
				seen[f.Check] = true
				want, named := tc.want[f.Check]
				switch {
				case named && f.Status != want:
					t.Errorf("%s: status %v, want %v (%s)", f.Check, f.Status, want, f.Detail)
				case !named && f.Status != OK && f.Status != Skip:
					t.Errorf("%s: status %v, want ok (%s)", f.Check, f.Status, f.Detail)
				}
				if sub, ok := tc.wantDetail[f.Check]; ok && !strings.Contains(f.Detail, sub) {
					t.Errorf("%s: detail %q does not contain %q", f.Check, f.Detail, sub)
				}
				if f.Status == Fail && f.Fix == "" {
					t.Errorf("%s fails without saying how to fix it", f.Check)
				}
				if strings.Contains(f.String(), "\n") {
					t.Errorf("%s: report line has a line break: %q", f.Check, f.String())
				}
			}
			for check := range tc.want {
				if !seen[check] {
					t.Errorf("no %q line in the report", check)
				}
			}
			if got := Failed(findings); got != tc.wantFailed {
				t.Errorf("Failed = %v, want %v", got, tc.wantFailed)
			}
		})
	}
}

func TestDoctorAsksJupyter(t *testing.T) {
	// With a real Jupyter on PATH the doctor asks `jupyter kernelspec list` whether the
	// kernel is visible: only if JUPYTER_DATA_DIR names the directory it is in.
	jupyter := venvJupyter(t)
	needTool(t, jupyter)
	labVersion := pinnedJupyterLab(t)
	tests := []struct {
		name       string
		dataDirEnv bool
		want       Status
		wantDetail string
	}{
		{"JUPYTER_DATA_DIR set to the install directory", true, OK, "(listed by jupyter kernelspec list)"},
		{"Jupyter reads another data directory", false, Fail, `kernelspec list does not show "ganbook"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			os.Remove(filepath.Join(w.pathDir, "jupyter")) // the stand-ins
			os.Remove(filepath.Join(w.pathDir, "jupyter-lab"))
			w.doctor.Env = []string{"PATH=" + w.pathDir + ":" + filepath.Dir(jupyter), "HOME=" + t.TempDir() /* a user-wide kernel must not leak in */}
			readDir := t.TempDir() // not the user's own data directory, which may hold a ganbook kernel
			if tc.dataDirEnv {
				readDir = w.dataDir
			}
			w.doctor.Env = append(w.doctor.Env, "JUPYTER_DATA_DIR="+readDir)
			var got, lab *Finding
			for _, f := range w.doctor.Check(context.Background()) {
				switch f.Check {
				case "kernel spec":
					got = &f
				case "jupyter":
					lab = &f
				}
			}
			if got == nil || got.Status != tc.want || !strings.Contains(got.Detail, tc.wantDetail) {
				t.Fatalf("kernel spec finding = %+v, want %v with %q", got, tc.want, tc.wantDetail)
			}
			// The JupyterLab finding names the pinned version and agrees on the listing.
			wantLab := "JupyterLab " + labVersion + " at " + filepath.Join(filepath.Dir(jupyter), "jupyter-lab")
			if lab == nil || lab.Status != tc.want || !strings.Contains(lab.Detail, wantLab) {
				t.Fatalf("jupyter finding = %+v, want %v with %q", lab, tc.want, wantLab)
			}
		})
	}
}
