package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/ganbook/ganbook/internal/browsertest"
)

// TestGameExplorerInBrowser opens notebook 03 in JupyterLab with the ganbook kernel, runs
// all cells from headless Chromium, and drives the game explorer: it presses "Run 40", moves
// the η slider, switches the method to extragradient and presses "Step", and requires the
// picture to be redrawn each time (its title names the method and η), then presses Done and
// checks the page for errors.
func TestGameExplorerInBrowser(t *testing.T) {
	lab := jupyterLabPath(t)
	needTool(t, lab)
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
	server := startJupyterLab(t, lab, root, scratchJupyterEnv(t, tmp, dataDir))
	page := startChromium(t, chromium)
	if err := chromedp.Do(page.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	page.navigate(server.url("/lab"))
	page.waitFor("JupyterLab started", 2*time.Minute, `!!(window.jupyterapp && jupyterapp.shell && jupyterapp.commands.hasCommand("notebook:run-all-cells"))`)
	nb := openInLab(page, notebook)
	nb.clearAndRunAll()

	cell := nb.js(`w.content.node.querySelector(".jp-OutputArea-output input[type=range]").closest(".jp-Cell")`)
	page.waitFor("the explorer's sliders", 4*time.Minute, nb.js(`!!w.content.node.querySelector(".jp-OutputArea-output input[type=range]")`))
	plot := `((` + cell + `.querySelector(".jp-OutputArea-output svg")) || {}).outerHTML || ""`
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

	page.waitFor("every cell executed", 3*time.Minute, nb.js(`w.content.widgets.filter(c => c.model.type === "code").every(c => typeof c.model.executionCount === "number")
		&& w.sessionContext.session.kernel.status === "idle"`))
	nb.checkNoErrors()
}
