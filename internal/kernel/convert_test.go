package kernel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestConvertNotebookMatchesJupytersFormat(t *testing.T) {
	// testdata/wired.converted.ipynb was written by Python's json module (as Jupyter
	// writes notebooks) from wired.ipynb with the expected edits: only the kernelspec and
	// the first code cell change, byte for byte.
	src, err := os.ReadFile("testdata/wired.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/wired.converted.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	got, conv, err := ConvertNotebook(src)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("converted notebook differs from the expected one:\n%s", firstDiff(string(got), string(want)))
	}
	if !conv.Changed || len(conv.Actions) != 2 || !slices.Equal(conv.ProseCells, []int{0}) {
		t.Errorf("conversion = %+v; want changed, 2 actions, prose cell [0]", conv)
	}
	again, conv2, err := ConvertNotebook(got)
	if err != nil || string(again) != string(got) || conv2.Changed || len(conv2.Actions) != 0 {
		t.Errorf("converting a converted notebook changed it: %+v, %v", conv2, err)
	}
}

func TestConvertNotebookFirstCell(t *testing.T) {
	nbWith := func(cells ...map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"cells": cells, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
		return b
	}
	code := func(src string) map[string]any {
		return map[string]any{"cell_type": "code", "id": "c", "metadata": map[string]any{}, "outputs": []any{}, "execution_count": nil, "source": src}
	}
	md := func(src string) map[string]any {
		return map[string]any{"cell_type": "markdown", "id": "m", "metadata": map[string]any{}, "source": src}
	}
	tests := []struct {
		name      string
		nb        []byte
		wantAt    int // index of the check cell
		wantCells int
		wantProse []int
	}{
		{"old wiring cell replaced", nbWith(md("# t"), code(`!*go mod edit -require=github.com/ganbook/ganbook@v0.0.0 -replace=github.com/ganbook/ganbook="$(cd "$GONB_DIR/.." && pwd)"`), code("%%\nfmt.Println(1)")), 1, 3, nil},
		{"older check cell replaced", nbWith(code("!*go list -m github.com/ganbook/ganbook || echo 'run `ganbook kernel install`'"), code("%%")), 0, 2, nil},
		{"no set-up cell: check inserted before the first code cell", nbWith(md("# t"), md("wires"), code("%%\nfmt.Println(1)")), 2, 4, []int{1}},
		{"no code at all: check appended", nbWith(md("# t")), 1, 2, nil},
		{"a first code cell that is not a set-up cell is kept", nbWith(code("!*go mod edit -require=example.com/x@v1.0.0"), code("%%")), 0, 3, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, conv, err := ConvertNotebook(tc.nb)
			if err != nil {
				t.Fatal(err)
			}
			var nb struct {
				Cells    []map[string]any `json:"cells"`
				Metadata struct {
					Kernelspec map[string]string `json:"kernelspec"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(out, &nb); err != nil {
				t.Fatalf("output is not a notebook: %v\n%s", err, out)
			}
			if len(nb.Cells) != tc.wantCells {
				t.Fatalf("%d cells, want %d", len(nb.Cells), tc.wantCells)
			}
			if got := cellSource(nb.Cells[tc.wantAt]); got != CheckCellSource {
				t.Errorf("cell %d = %q, want the check cell", tc.wantAt, got)
			}
			if nb.Cells[tc.wantAt]["id"] == nil {
				t.Errorf("check cell has no id in a notebook whose cells have ids")
			}
			if nb.Metadata.Kernelspec["name"] != DefaultName {
				t.Errorf("kernelspec = %v", nb.Metadata.Kernelspec)
			}
			if !slices.Equal(conv.ProseCells, tc.wantProse) {
				t.Errorf("prose cells = %v, want %v", conv.ProseCells, tc.wantProse)
			}
		})
	}
}

func TestRepoNotebooksUseGanbookKernel(t *testing.T) {
	// Every notebook in notebooks/ runs in the ganbook kernel; `go run
	// ./internal/kernel/cmd/nbkernel FILE` converts one that does not.
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), "notebooks", "*.ipynb"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks: %v", err)
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, conv, err := ConvertNotebook(src); err != nil || conv.Changed {
			t.Errorf("%s does not use the ganbook kernel (%v %v): run go run ./internal/kernel/cmd/nbkernel %s",
				filepath.Base(p), conv.Actions, err, filepath.Join("notebooks", filepath.Base(p)))
		}
	}
}

// firstDiff shows where two texts start to differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ":\n got  " + gl + "\n want " + wl
		}
	}
	return "(no difference in lines)"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
