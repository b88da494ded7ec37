package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// kernelReplies is what testdata/kernel_requests.py prints.
type kernelReplies struct {
	Execute []struct {
		Status  string           `json:"status"`
		Outputs []map[string]any `json:"outputs"`
	} `json:"execute"`
	Complete []struct {
		Status  string   `json:"status"`
		Matches []string `json:"matches"`
	} `json:"complete"`
	Inspect []struct {
		Status string            `json:"status"`
		Found  bool              `json:"found"`
		Data   map[string]string `json:"data"`
	} `json:"inspect"`
}

type kernelRequest struct {
	Code      string `json:"code"`
	CursorPos int    `json:"cursor_pos"`
}

// TestKernelCompletionAndInspection starts the ganbook kernel through jupyter_client
// (the pinned JupyterLab venv's), the way JupyterLab talks to it, and asks it what the
// editor asks: complete_request after `gan.` must offer package gan's exported
// functions and types, and inspect_request on gan.NewTrainer must return its doc
// comment. Both come from gopls, which `ganbook kernel install` builds; the expected
// names and doc text are read from gan's source with go/doc.
func TestKernelCompletionAndInspection(t *testing.T) {
	cache, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(cache, "venv-jupyter", "bin", "python")
	needTool(t, python)
	repo := repoRoot(t)
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "jupyter-data")
	if _, err := Install(context.Background(), Config{
		DataDir: dataDir, BinDir: pinnedTools(t), Repo: repo, DB: filepath.Join(tmp, "ganbook.db"), Backend: "go",
	}); err != nil {
		t.Fatal(err)
	}

	funcs, newTrainerDoc := ganExports(t, filepath.Join(repo, "gan"))
	const importCell = "import \"github.com/ganbook/ganbook/gan\"\n\n%%\nfmt.Println(gan.NewTrainer != nil)"
	completeCode := "%%\nx := gan."
	inspectCode := "%%\ntr, err := gan.NewTrainer(nil, gan.Config{}, nil, 1, gan.Options{})"
	req := map[string]any{
		"kernel":   DefaultName,
		"execute":  []string{CheckCellSource, importCell},
		"complete": []kernelRequest{{completeCode, utf8.RuneCountInString(completeCode)}},
		"inspect":  []kernelRequest{{inspectCode, strings.Index(inspectCode, "NewTrainer") + 3}},
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join(repo, "internal", "kernel", "testdata", "kernel_requests.py"))
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(),
		"JUPYTER_DATA_DIR="+dataDir,
		"JUPYTER_CONFIG_DIR="+filepath.Join(tmp, "jupyter-config"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(tmp, "jupyter-runtime"),
		"TMPDIR="+tmp)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kernel_requests.py: %v\n%s", err, tail(stderr.String(), 4000))
	}
	var got kernelReplies
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("kernel_requests.py printed %q: %v", tail(string(out), 2000), err)
	}
	for i, e := range got.Execute {
		if e.Status != "ok" {
			t.Fatalf("setting up: cell %d: status %q, outputs %v", i, e.Status, e.Outputs)
		}
	}
	if len(got.Complete) != 1 || len(got.Inspect) != 1 {
		t.Fatalf("replies: %d complete, %d inspect; want one each\n%s", len(got.Complete), len(got.Inspect), tail(stderr.String(), 2000))
	}

	matches := got.Complete[0].Matches
	t.Logf("complete_request %q: %d matches, e.g. %v", completeCode, len(matches), matches[:min(len(matches), 8)])
	if got.Complete[0].Status != "ok" {
		t.Errorf("complete_request: status %q", got.Complete[0].Status)
	}
	// Every function, and the types a value can be made of (gopls leaves out the others
	// where an expression is expected, as after `x := `).
	for _, want := range append(funcs, "Config", "Trainer", "Options") {
		if !slices.Contains(matches, want) {
			t.Errorf("completion after `gan.` lacks %s (exported by package gan)", want)
		}
	}
	for _, m := range matches {
		if !ast.IsExported(m) {
			t.Errorf("completion after `gan.` offers %q, not an exported name", m)
		}
	}

	ins := got.Inspect[0]
	help := ins.Data["text/markdown"] + ins.Data["text/plain"]
	t.Logf("inspect_request on gan.NewTrainer: %q", tail(help, 600))
	if ins.Status != "ok" || !ins.Found {
		t.Errorf("inspect_request: status %q, found %v", ins.Status, ins.Found)
	}
	if !strings.Contains(strings.Join(strings.Fields(help), " "), newTrainerDoc) {
		t.Errorf("inspecting gan.NewTrainer does not show its doc comment %q; got\n%s", newTrainerDoc, help)
	}
}

// ganExports reads package gan's exported functions, and the first
// sentence of NewTrainer's doc comment with its spaces normalised, from the source.
func ganExports(t *testing.T, dir string) (funcs []string, newTrainerDoc string) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := pkgs["gan"]
	if !ok {
		t.Fatalf("no package gan in %s", dir)
	}
	d := doc.New(p, "github.com/ganbook/ganbook/gan", 0)
	for _, f := range d.Funcs {
		funcs = append(funcs, f.Name)
	}
	for _, ty := range d.Types {
		for _, f := range ty.Funcs { // constructors such as NewTrainer are listed under their type
			funcs = append(funcs, f.Name)
			if f.Name == "NewTrainer" {
				newTrainerDoc = strings.Join(strings.Fields(d.Synopsis(f.Doc)), " ")
			}
		}
	}
	if newTrainerDoc == "" || len(funcs) < 5 {
		t.Fatalf("package gan: NewTrainer's doc %q, %d functions: the source is not what this test expects", newTrainerDoc, len(funcs))
	}
	return funcs, newTrainerDoc
}
