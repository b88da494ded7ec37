package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// CheckCellSource is the first code cell of a notebook that runs in the ganbook kernel.
//
// In the ganbook kernel, GoNB's --go_work has already made the checkout a workspace
// module and added the replace rule for it, so `go list -m` finds the module, and the
// cell prints where it comes from. The cell then makes the repository a requirement of
// the cell module: GoNB runs `go get` before every cell, and `go get` ignores go.work
// (GoNB's %goworkfix help says so), so without the requirement it would look up gonbui,
// GoMLX and every other third-party import on the network and pick their latest versions
// instead of the ones the repository's go.mod pins. With it, they resolve offline, at the
// pinned versions. The require names no path: where the checkout is comes from the
// kernel. In any other GoNB kernel `go list -m` fails and the cell prints one line
// saying what to do.
const CheckCellSource = `!*go list -m -f 'ganbook packages from {{.Dir}}' ` + RepoModule + ` 2>/dev/null \
  && go mod edit -require=` + RepoModule + `@v0.0.0 \
  || echo 'This notebook needs the ganbook kernel: run ` + "`ganbook kernel install`" + ` in your ganbook checkout, then choose the kernel "` + DefaultDisplayName + `".'`

// checkCellID is the id of a check cell ConvertNotebook has to insert.
const checkCellID = "ganbook-kernel-check"

// Conversion is what ConvertNotebook did to one notebook.
type Conversion struct {
	Changed bool
	// Actions in words: "kernelspec gonb → ganbook", "wiring cell 1 replaced", ...
	Actions []string
	// ProseCells are markdown cells (by index) that still talk about the old wiring
	// cell ($GONB_DIR, go mod edit, "wires"): their text needs a human.
	ProseCells []int
}

// ConvertNotebook moves a notebook (.ipynb JSON) to the ganbook kernel: its kernelspec
// becomes the ganbook kernel's, and its first code cell becomes CheckCellSource (the old
// `!*go mod edit -require=… -replace=…` wiring cell is replaced; a notebook without one
// gets the check cell inserted before its first code cell). Outputs and everything else
// are kept; the result is written the way Jupyter writes notebooks (sorted keys, indent
// 1, a final newline), so a converted notebook converts to itself.
func ConvertNotebook(src []byte) ([]byte, Conversion, error) {
	var conv Conversion
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber() // numbers come back as written
	var nb map[string]any
	if err := dec.Decode(&nb); err != nil {
		return nil, conv, fmt.Errorf("not a notebook: %w", err)
	}
	cells, ok := nb["cells"].([]any)
	if !ok {
		return nil, conv, errors.New("not a notebook: no cells")
	}
	meta, _ := nb["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		nb["metadata"] = meta
	}
	oldSpec, _ := meta["kernelspec"].(map[string]any)
	newSpec := map[string]any{"display_name": DefaultDisplayName, "language": "go", "name": DefaultName}
	if !sameJSON(oldSpec, newSpec) {
		meta["kernelspec"] = newSpec
		conv.Actions = append(conv.Actions, fmt.Sprintf("kernelspec %v → %s", oldSpec["name"], DefaultName))
	}

	first := -1
	for i, c := range cells {
		cell, _ := c.(map[string]any)
		if cell == nil {
			return nil, conv, fmt.Errorf("cell %d is not an object", i)
		}
		if cell["cell_type"] == "code" && first < 0 {
			first = i
		}
		if cell["cell_type"] == "markdown" && mentionsWiring(cellSource(cell)) {
			conv.ProseCells = append(conv.ProseCells, i)
		}
	}
	switch {
	case first >= 0 && strings.TrimSpace(cellSource(cells[first].(map[string]any))) == CheckCellSource:
		// already converted
	case first >= 0 && isSetupCell(cellSource(cells[first].(map[string]any))):
		cell := cells[first].(map[string]any)
		cell["source"] = sourceLines(CheckCellSource)
		cell["outputs"] = []any{}
		cell["execution_count"] = nil
		conv.Actions = append(conv.Actions, fmt.Sprintf("set-up cell %d replaced by the kernel check", first))
	default:
		at := first
		if at < 0 {
			at = len(cells)
		}
		check := map[string]any{
			"cell_type": "code", "execution_count": nil, "metadata": map[string]any{},
			"outputs": []any{}, "source": sourceLines(CheckCellSource),
		}
		if hasCellIDs(cells) {
			check["id"] = checkCellID
		}
		cells = append(cells[:at], append([]any{check}, cells[at:]...)...)
		nb["cells"] = cells
		conv.Actions = append(conv.Actions, fmt.Sprintf("kernel check inserted as cell %d", at))
		for i, p := range conv.ProseCells {
			if p >= at {
				conv.ProseCells[i]++
			}
		}
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nb); err != nil {
		return nil, conv, err
	}
	out := buf.Bytes()
	conv.Changed = !bytes.Equal(out, src)
	return out, conv, nil
}

// isSetupCell recognises a first cell to replace: the set-up cell notebooks used before
// the ganbook kernel (a shell line that points github.com/ganbook/ganbook at the checkout
// with go mod edit), or an earlier version of the check cell.
func isSetupCell(src string) bool {
	wiring := strings.Contains(src, "go mod edit") && strings.Contains(src, "-replace") && strings.Contains(src, RepoModule)
	oldCheck := strings.HasPrefix(strings.TrimSpace(src), "!*") && strings.Contains(src, "ganbook kernel install")
	return wiring || oldCheck
}

func mentionsWiring(md string) bool {
	for _, s := range []string{"GONB_DIR", "go mod edit", "wires", "wiring", "replace` rule", "`replace`"} {
		if strings.Contains(md, s) {
			return true
		}
	}
	return false
}

func cellSource(cell map[string]any) string {
	switch s := cell["source"].(type) {
	case string:
		return s
	case []any:
		var b strings.Builder
		for _, line := range s {
			if str, ok := line.(string); ok {
				b.WriteString(str)
			}
		}
		return b.String()
	}
	return ""
}

// sourceLines splits source into Jupyter's list of lines, each but the last keeping its "\n".
func sourceLines(src string) []any {
	var lines []any
	for line := range strings.SplitAfterSeq(src, "\n") {
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

func hasCellIDs(cells []any) bool {
	for _, c := range cells {
		if _, ok := c.(map[string]any)["id"]; ok {
			return true
		}
	}
	return false
}

func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
