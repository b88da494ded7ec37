package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/browsertest"
)

// TestGameExplorerInBrowser opens notebook 03 in the classic Jupyter Notebook with the ganbook
// kernel, runs all cells from headless Chromium, and drives the game explorer: it presses
// "Run 40", moves the η slider, switches the method to extragradient and presses "Step", and
// requires the picture to be redrawn each time (its title names the method and η), then presses
// Done and checks the page for errors.
func TestGameExplorerInBrowser(t *testing.T) {
	needTool(t, notebookServerPath)
	chromium := browsertest.Require(t)
	repo := repoRoot(t)
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "jupyter-data")
	root := filepath.Join(tmp, "notebooks")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	const notebook = "03-game-dynamics.ipynb"
	src, err := os.ReadFile(filepath.Join(repo, "notebooks", notebook))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, notebook), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(context.Background(), Config{
		DataDir: dataDir, BinDir: pinnedTools(t), Repo: repo, DB: filepath.Join(tmp, "ganbook.db"), Backend: "go",
	}); err != nil {
		t.Fatal(err)
	}
	server := startNotebookServer(t, root, []string{
		"JUPYTER_DATA_DIR=" + dataDir,
		"JUPYTER_CONFIG_DIR=" + filepath.Join(tmp, "jupyter-config"),
		"JUPYTER_RUNTIME_DIR=" + filepath.Join(tmp, "jupyter-runtime"),
		"IPYTHONDIR=" + filepath.Join(tmp, "ipython"),
	})
	page := startChromium(t, chromium)
	page.navigate(server.url("/notebooks/" + notebook))
	page.waitFor("the notebook page with a connected ganbook kernel", time.Minute,
		`!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()
		   && Jupyter.notebook.kernel.name === "ganbook")`)
	page.eval("Cell → Run All", `Jupyter.notebook.execute_all_cells(), "ok"`)

	const cell = `document.querySelector(".output_area input[type=range]").closest(".cell")`
	page.waitFor("the explorer's sliders", 4*time.Minute, `!!document.querySelector(".output_area input[type=range]")`)
	plot := `((` + cell + `.querySelector(".output_area svg")) || {}).outerHTML || ""`
	page.waitFor("the explorer's picture", time.Minute, "("+plot+`) !== ""`)
	press := func(label string) {
		page.eval("press "+label, `(() => {
			const b = [...`+cell+`.querySelectorAll("button")].find(b => b.textContent.trim() === `+strconv.Quote(label)+`);
			b.click();
			return b.textContent;
		})()`)
	}
	redrawn := func(what, before string, mustContain string) string {
		cond := "(" + plot + `) !== ` + strconv.Quote(before) + ` && (` + plot + `) !== ""`
		if mustContain != "" {
			cond += ` && (` + plot + `).includes(` + strconv.Quote(mustContain) + `)`
		}
		page.waitFor(what, time.Minute, cond)
		return page.eval(what, plot)
	}
	before := page.eval("the first picture", plot)
	if !strings.Contains(before, "iterates (0 steps)") {
		t.Errorf("the explorer does not start at 0 steps")
	}
	press("Run 40")
	before = redrawn("the picture after Run 40", before, "iterates (40 steps)")
	page.eval("move η to 0.35", `(() => {
		const s = `+cell+`.querySelector("input[type=range]");
		s.value = "35";
		s.dispatchEvent(new Event("input"));
		s.dispatchEvent(new Event("change"));
		return s.value;
	})()`)
	before = redrawn("the picture for η = 0.35", before, "η = 0.35")
	page.eval("choose extragradient", `(() => {
		const s = `+cell+`.querySelector("select");
		s.selectedIndex = 2;
		s.dispatchEvent(new Event("change"));
		return s.value;
	})()`)
	before = redrawn("the picture for extragradient", before, "extragradient")
	press("Step")
	redrawn("the picture after one step", before, "iterates (1 steps)")
	press("Done")

	allDone := `Jupyter.notebook.get_cells().filter(c => c.cell_type === "code").every(c => typeof c.input_prompt_number === "number")
		&& !Jupyter.notebook.kernel_busy`
	page.waitFor("every cell executed", 3*time.Minute, allDone)
	outputs := page.eval("output text", `[...document.querySelectorAll(".output_area")].map(o => o.innerText).join("\n")`)
	for _, bad := range []string{"ASSERTION FAILED", "panic:"} {
		if strings.Contains(outputs, bad) {
			t.Errorf("the page's outputs contain %q", bad)
		}
	}
	if n := page.eval("error outputs", `String(document.querySelectorAll(".output_error, .gonb-err-location").length)`); n != "0" {
		t.Errorf("%s error output(s) on the page", n)
	}
}
