package kernel

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ganbook/ganbook/internal/nbcheck"
)

// TestCheckCellInKernels executes a small notebook headless with nbconvert in the ganbook
// kernel and in a plain GoNB kernel, and once more in the ganbook kernel without the check
// cell, to show what each does. GOPROXY is a local server that records what it is asked
// and answers "not found": with the check cell, go get resolves every import from the
// module cache and never asks it to resolve one (it may still ask for version lists, to
// check for retractions, which changes nothing).
func TestCheckCellInKernels(t *testing.T) {
	jupyter := venvJupyter(t)
	needTool(t, jupyter)
	if err := exec.Command(jupyter, "nbconvert", "--version").Run(); err != nil {
		if inCI() {
			t.Fatalf("jupyter nbconvert: %v (CI=true: a missing tool is a failure)", err)
		}
		t.Skipf("jupyter nbconvert: %v", err)
	}
	repo := repoRoot(t)
	bin := pinnedTools(t)
	dataDir := filepath.Join(t.TempDir(), "jupyter")
	if _, err := Install(context.Background(), Config{DataDir: dataDir, BinDir: bin, Repo: repo, Backend: "go"}); err != nil {
		t.Fatal(err)
	}
	// A plain GoNB kernel, as `gonb --install` writes it, with the tools on PATH.
	plain := SpecDir(dataDir, "plain-gonb")
	os.MkdirAll(plain, 0o755)
	if err := writeSpec(plain, &Spec{
		Argv:        []string{filepath.Join(bin, "gonb"), "--kernel", "{connection_file}"},
		DisplayName: "Go (gonb)", Language: "go",
		Env: map[string]string{"PATH": bin + ":" + realGoDir(t) + ":${PATH}", "GOEXPERIMENT": "simd"},
	}); err != nil {
		t.Fatal(err)
	}

	importCell := `import (
	"github.com/ganbook/ganbook/tutorials/nb"
	"github.com/janpfeifer/gonb/gonbui"
)

%%
nb.Assert(true, "imports resolve")
gonbui.Sync()`
	versionCell := `!*go list -m -f '{{.Path}} {{.Version}}' ` + GoNBModule
	const gonbuiLookup = "/" + GoNBModule + "/gonbui/@v/list"
	const hint = "This notebook needs the ganbook kernel: run `ganbook kernel install` in your ganbook checkout, then choose the kernel \"Go (ganbook)\".\n"

	tests := []struct {
		name   string
		kernel string
		cells  []string
		// want[i] is text cell i's outputs must contain; "" means no check.
		want []string
		// wantExactly[i], when set, is all the text cell i may print.
		wantExactly map[int]string
		// wantLookup is a module proxy request the run must make, forbidLookup one it
		// must not make.
		wantLookup, forbidLookup string
	}{
		{
			name:   "ganbook kernel: imports resolve from the module cache, GoNB at the pinned version",
			kernel: DefaultName,
			cells:  []string{CheckCellSource, importCell, versionCell},
			want:   []string{"ganbook packages from " + repo, "✓ imports resolve", GoNBModule + " " + GoNBVersion},
			// go get asks for this path only to find which module provides gonbui.
			forbidLookup: gonbuiLookup,
		},
		{
			name:        "plain GoNB kernel: one line saying what to do",
			kernel:      "plain-gonb",
			cells:       []string{CheckCellSource},
			wantExactly: map[int]string{0: hint},
		},
		{
			// Why the check cell adds the requirement: GoNB's `go get` ignores go.work and
			// asks the module proxy for the latest GoNB (online it would take that one, not
			// go.mod's). Should a GoNB release fix that, this case fails, and the
			// requirement can go.
			name:       "ganbook kernel without the check cell: go get asks the proxy for gonbui",
			kernel:     DefaultName,
			cells:      []string{importCell},
			wantLookup: gonbuiLookup,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			nbPath := filepath.Join(dir, "check.ipynb")
			writeNotebook(t, nbPath, tc.kernel, tc.cells)
			cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
				"--ExecutePreprocessor.kernel_name="+tc.kernel, "--ExecutePreprocessor.timeout=300",
				"--output-dir", filepath.Join(dir, "out"), nbPath)
			var mu sync.Mutex
			var lookups []string
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				lookups = append(lookups, r.URL.Path)
				mu.Unlock()
				http.NotFound(w, r)
			}))
			defer proxy.Close()
			cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+dataDir, "GOPROXY="+proxy.URL, "GOSUMDB=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nbconvert: %v\n%s", err, tail(string(out), 3000))
			}
			mu.Lock()
			asked := slices.Clone(lookups)
			mu.Unlock()
			if tc.wantLookup != "" && !slices.Contains(asked, tc.wantLookup) {
				t.Errorf("module proxy was asked %q; want %q among them", asked, tc.wantLookup)
			}
			if tc.forbidLookup != "" && slices.Contains(asked, tc.forbidLookup) {
				t.Errorf("module proxy was asked %q, which means go get looked the import up online", tc.forbidLookup)
			}
			f, err := os.Open(filepath.Join(dir, "out", "check.ipynb"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			executed, err := nbcheck.Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range executed.Cells {
				text := outputText(c)
				if i < len(tc.want) && !strings.Contains(text, tc.want[i]) {
					t.Errorf("cell %d printed %q, want it to contain %q", i, text, tc.want[i])
				}
				if exact, ok := tc.wantExactly[i]; ok && text != exact {
					t.Errorf("cell %d printed %q, want exactly %q", i, text, exact)
				}
			}
		})
	}
}

// outputText joins the text of a cell's outputs: streams, error values and HTML.
func outputText(c nbcheck.Cell) string {
	var b strings.Builder
	for _, o := range c.Outputs {
		b.WriteString(string(o.Text))
		b.WriteString(o.Evalue)
		b.WriteString(string(o.Data["text/html"]))
		b.WriteString(string(o.Data["text/plain"]))
	}
	return b.String()
}

func writeNotebook(t *testing.T, path, kernel string, cells []string) {
	t.Helper()
	var cs []map[string]any
	for i, src := range cells {
		cs = append(cs, map[string]any{
			"cell_type": "code", "execution_count": nil, "id": "c" + strconv.Itoa(i), "metadata": map[string]any{},
			"outputs": []any{}, "source": src,
		})
	}
	b, err := json.Marshal(map[string]any{
		"cells":          cs,
		"metadata":       map[string]any{"kernelspec": map[string]any{"name": kernel, "display_name": kernel, "language": "go"}},
		"nbformat":       4,
		"nbformat_minor": 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
