package kernel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ganbook/ganbook/internal/browsertest"
	"github.com/ganbook/ganbook/internal/nbcheck"
)

// jupyterLabPath is the pinned JupyterLab that scripts/deps/jupyter.sh installs in
// ganbook's cache; Chromium comes from internal/browsertest.
func jupyterLabPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(filepath.Dir(venvJupyter(t)), "jupyter-lab")
}

// TestJupyterLabInBrowser opens notebooks 01 and 06 in JupyterLab (the pinned one in
// ganbook's venv-jupyter) with the ganbook kernel installed in a fresh Jupyter data
// directory, from headless Chromium. In 01 it runs all cells, moves the angle slider and
// sees the picture change; in 06 it runs all cells and sees the live training display
// redrawn at several steps before the last. Both saved notebooks must pass
// internal/nbcheck. With GANBOOK_SCREENSHOTS=docs it writes docs/jupyterlab.png (01's
// slider) and docs/jupyterlab-train.png (06's display).
func TestJupyterLabInBrowser(t *testing.T) {
	lab := jupyterLabPath(t)
	needTool(t, lab)
	chromium := browsertest.Require(t)
	repo := repoRoot(t)
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "jupyter-data")
	root := filepath.Join(tmp, "notebooks") // served from here, so the repository's copies are never saved over
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	const crossProduct, training = "01-cross-product.ipynb", "06-train-mnist.ipynb"
	for _, name := range []string{crossProduct, training} {
		src, err := os.ReadFile(filepath.Join(repo, "notebooks", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Install(context.Background(), Config{
		DataDir: dataDir, BinDir: pinnedTools(t), Repo: repo, DB: filepath.Join(tmp, "ganbook.db"), Backend: "go",
	}); err != nil {
		t.Fatal(err)
	}
	server := startJupyterLab(t, lab, root, scratchJupyterEnv(t, tmp, dataDir))

	page := startChromium(t, chromium)
	// JupyterLab's commands act on the focused notebook; a headless page has no focus
	// unless told to behave as if it had.
	if err := chromedp.Do(page.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	page.navigate(server.url("/lab"))
	page.waitFor("JupyterLab started", 2*time.Minute, `!!(window.jupyterapp && jupyterapp.shell && jupyterapp.commands.hasCommand("notebook:run-all-cells"))`)

	// 01: run all cells, then move the slider.
	nb01 := openInLab(page, crossProduct)
	start := time.Now()
	nb01.runAll(3 * time.Minute)
	t.Logf("%s: all cells ran in %.1f s", crossProduct, time.Since(start).Seconds())
	outputs := nb01.outputText()
	for _, want := range []string{
		"ganbook packages from " + repo, // the check cell, in the ganbook kernel
		"a = [1 2 3], b = [4 5 6], a×b = [-3 6 -3]",
		"✓ (a×b)_1 = det[e_1; a; b]",
		"✓ area |a×b| = |a||b| sin 60°",
	} {
		if !strings.Contains(outputs, want) {
			t.Errorf("%s: the page's outputs lack %q", crossProduct, want)
		}
	}
	nb01.checkNoErrors()

	// The slider's frames are all in the output; its script shows the one for its value.
	slider := nb01.js(`w.content.node.querySelector(".ganbook-frame-slider")`)
	shown := slider + `.querySelector('.ganbook-frame:not([style*="none"])')`
	shownValue := `((` + shown + `) || {dataset: {}}).dataset.value || ""`
	shownPicture := `((` + shown + `) || {innerHTML: ""}).innerHTML`
	if v := page.eval("the slider's picture", shownValue); v != "60" {
		t.Fatalf("the slider shows the picture for %q, want 60", v)
	}
	before := page.eval("the picture at 60°", shownPicture)
	page.eval("scroll the slider into view", `(`+slider+`.scrollIntoView({block: "center"}), "ok")`)
	page.eval("move the slider to 120°", `(() => {
		const s = `+slider+`.querySelector("input[type=range]");
		s.value = "120";
		s.dispatchEvent(new Event("input", {bubbles: true}));
		return s.value;
	})()`)
	page.waitFor("the picture redrawn for 120°", 30*time.Second, `(`+shownValue+`) === "120" && (`+shownPicture+`) !== `+strconv.Quote(before)+
		` && `+slider+`.querySelector("output").textContent === "120"`+
		` && (`+shown+`).querySelector("svg").getBoundingClientRect().height > 100`)
	if busy := nb01.js(`w.sessionContext.session.kernel.status`); page.eval("kernel status", busy) != "idle" {
		t.Errorf("%s: the kernel is not idle while the slider is used", crossProduct)
	}
	page.screenshot("jupyterlab.png")
	nb01.saveAndCheck(filepath.Join(root, crossProduct), 2)

	// 06: run all cells and watch the training display change while it trains.
	nb06 := openInLab(page, training)
	nb06.clearAndRunAll()
	stepShown := nb06.js(`(() => {
		const m = w.content.node.textContent.match(/MNIST MLP GAN, step (\d+) of (\d+)/);
		return m ? m[1] + "/" + m[2] : "";
	})()`)
	seen := map[string]bool{}
	var order []string
	deadline := time.Now().Add(5 * time.Minute)
	for !nb06.done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not finish in 5 minutes; display steps seen %v", training, order)
		}
		if s := page.eval("the training display", stepShown); s != "" && !seen[s] {
			seen[s] = true
			order = append(order, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s: the display showed steps %v", training, order)
	var partial int
	for _, s := range order {
		if s != "300/300" {
			partial++
		}
	}
	if partial < 2 || !seen["300/300"] {
		t.Errorf("%s: the live display showed steps %v; want at least two before the last and 300/300", training, order)
	}
	if out := nb06.outputText(); !strings.Contains(out, "✓ the trainer ran all 300 steps") {
		t.Errorf("%s: outputs lack the trainer's check", training)
	}
	nb06.checkNoErrors()
	page.eval("scroll the display into view", nb06.js(`(() => {
		// The display's title at the top of the view: scroll it there, then back a little.
		const svg = w.content.node.querySelector(".jp-OutputArea-output svg");
		svg.scrollIntoView({block: "start"});
		let el = svg.parentElement;
		while (el && !(el.scrollHeight > el.clientHeight && getComputedStyle(el).overflowY !== "visible")) el = el.parentElement;
		if (el) el.scrollTop -= 40;
		return "ok";
	})()`))
	page.screenshot("jupyterlab-train.png")
	nb06.saveAndCheck(filepath.Join(root, training), 2)
}

// scratchJupyterEnv gives Jupyter and its kernels a HOME and Jupyter directories of
// their own under tmp, keeping Go's caches where they are (a kernel builds every cell).
func scratchJupyterEnv(t *testing.T, tmp, dataDir string) []string {
	t.Helper()
	env := []string{
		"HOME=" + filepath.Join(tmp, "home"),
		"JUPYTER_DATA_DIR=" + dataDir,
		"JUPYTER_CONFIG_DIR=" + filepath.Join(tmp, "jupyter-config"),
		"JUPYTER_RUNTIME_DIR=" + filepath.Join(tmp, "jupyter-runtime"),
		"JUPYTERLAB_SETTINGS_DIR=" + filepath.Join(tmp, "jupyterlab-settings"),
		"JUPYTERLAB_WORKSPACES_DIR=" + filepath.Join(tmp, "jupyterlab-workspaces"),
		"IPYTHONDIR=" + filepath.Join(tmp, "ipython"),
		"TMPDIR=" + filepath.Join(tmp, "tmp"), // notebook 06's tracker database goes there
	}
	for _, dir := range []string{"home", "tmp", "jupyter-config/labconfig"} {
		if err := os.MkdirAll(filepath.Join(tmp, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// No "official Jupyter news?" question over the notebook (nor a fetch of the news).
	pageConfig := `{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}`
	if err := os.WriteFile(filepath.Join(tmp, "jupyter-config", "labconfig", "page_config.json"), []byte(pageConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOENV"} {
		v, err := exec.Command("go", "env", key).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", key, err)
		}
		env = append(env, key+"="+strings.TrimSpace(string(v)))
	}
	return env
}

// labNotebook is one notebook open in JupyterLab.
type labNotebook struct {
	page *browserPage
	path string
}

// js wraps body, an expression that may use w (the notebook's panel), into one that
// finds the panel first.
func (n *labNotebook) js(body string) string {
	return `(() => { const w = [...jupyterapp.shell.widgets("main")].find(w => w.context && w.context.path === ` +
		strconv.Quote(n.path) + `); return ` + body + `; })()`
}

// openInLab opens path and waits for its ganbook kernel.
func openInLab(page *browserPage, path string) *labNotebook {
	page.t.Helper()
	n := &labNotebook{page: page, path: path}
	page.eval("open "+path, `(jupyterapp.commands.execute("docmanager:open", {path: `+strconv.Quote(path)+`}), "ok")`)
	page.waitFor(path+" open with a connected ganbook kernel", 2*time.Minute, n.js(`!!(w && w.context.isReady && w.content.widgets.length > 0
		&& w.sessionContext.session && w.sessionContext.session.kernel
		&& w.sessionContext.session.kernel.name === "ganbook"
		&& w.sessionContext.session.kernel.connectionStatus === "connected")`))
	return n
}

// done reports whether every code cell ran and the kernel is idle.
func (n *labNotebook) done() bool {
	n.page.t.Helper()
	return n.page.eval("cells executed", n.js(`String(w.content.widgets.filter(c => c.model.type === "code").every(c => typeof c.model.executionCount === "number")
		&& w.sessionContext.session.kernel.status === "idle")`)) == "true"
}

// clearAndRunAll clears the outputs and starts Run → Run All Cells in this notebook.
func (n *labNotebook) clearAndRunAll() {
	n.page.t.Helper()
	n.page.eval("activate "+n.path, n.js(`(jupyterapp.shell.activateById(w.id), w.content.activate(), "ok")`))
	n.page.waitFor(n.path+" active", 10*time.Second, n.js(`jupyterapp.shell.currentWidget === w`))
	n.page.eval("clear outputs", `(jupyterapp.commands.execute("notebook:clear-all-cell-outputs"), "ok")`)
	n.page.waitFor("outputs cleared", 10*time.Second, n.js(`w.content.widgets.every(c => c.model.type !== "code" || c.model.executionCount === null)`))
	n.page.eval("Run All", `(jupyterapp.commands.execute("notebook:run-all-cells"), "ok")`)
}

// runAll runs every cell and waits until all have run.
func (n *labNotebook) runAll(limit time.Duration) {
	n.page.t.Helper()
	n.clearAndRunAll()
	n.page.waitFor("every cell of "+n.path+" executed", limit, n.js(`w.content.widgets.filter(c => c.model.type === "code").every(c => typeof c.model.executionCount === "number")
		&& w.sessionContext.session.kernel.status === "idle"`))
}

func (n *labNotebook) outputText() string {
	n.page.t.Helper()
	return n.page.eval("output text", n.js(`[...w.content.node.querySelectorAll(".jp-OutputArea-output")].map(o => o.textContent).join("\n")`))
}

// checkNoErrors fails the test on error outputs, GoNB's error reports or failed checks.
func (n *labNotebook) checkNoErrors() {
	t := n.page.t
	t.Helper()
	outputs := n.outputText()
	for _, bad := range []string{"ASSERTION FAILED", "panic:", "This notebook needs the ganbook kernel"} {
		if strings.Contains(outputs, bad) {
			t.Errorf("%s: the page's outputs contain %q", n.path, bad)
		}
	}
	if c := n.page.eval("error outputs", n.js(`String(w.content.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"], .gonb-err-location').length)`)); c != "0" {
		t.Errorf("%s: %s error output(s) on the page", n.path, c)
	}
}

// saveAndCheck saves the notebook and runs internal/nbcheck on the saved file, as CI
// does on headless runs; it must hold at least minPictures pictures.
func (n *labNotebook) saveAndCheck(file string, minPictures int) {
	t := n.page.t
	t.Helper()
	n.page.eval("save "+n.path, n.js(`(w.context.save(), "ok")`))
	n.page.waitFor(n.path+" saved", time.Minute, n.js(`!w.context.model.dirty`))
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved, err := nbcheck.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if report := nbcheck.Check(saved); !report.OK() || report.Pictures < minPictures {
		t.Errorf("saved %s: %d picture(s) (want ≥ %d), problems %v", n.path, report.Pictures, minPictures, report.Problems)
	}
}

// labServer is a running JupyterLab.
type labServer struct {
	port  int
	token string
}

func (s *labServer) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s?token=%s", s.port, path, s.token)
}

// startJupyterLab starts JupyterLab on a free loopback port with a random token, serving
// root, with window.jupyterapp exposed for the test to drive, and stops it, its kernels
// and everything they started when the test ends.
func startJupyterLab(t *testing.T, lab, root string, env []string) *labServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tokenBytes := make([]byte, 16)
	rand.Read(tokenBytes)
	s := &labServer{port: port, token: hex.EncodeToString(tokenBytes)}

	logPath := filepath.Join(t.TempDir(), "jupyter-lab.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-browser", "--ip=127.0.0.1", "--port=" + strconv.Itoa(port), "--port-retries=0",
		"--IdentityProvider.token=" + s.token, "--ServerApp.password=", "--ServerApp.root_dir=" + root,
		"--LabApp.expose_app_in_browser=True",
		"--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root") // CI containers run as root
	}
	cmd := exec.Command(lab, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(exited) }()
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("jupyter-lab log (last 3000 bytes):\n%s", tail(string(b), 3000))
			}
		}
		// The kernels run in sessions of their own (jupyter_client starts them so), so
		// they are found by parentage, not by process group.
		procs := descendants(cmd.Process.Pid)
		// Ask the server to stop: it shuts its kernels down first.
		if resp, err := http.Post(s.url("/api/shutdown"), "", nil); err == nil {
			resp.Body.Close()
		}
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			t.Errorf("jupyter-lab did not stop on /api/shutdown; killing it")
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		killAll(t, procs, "JupyterLab's")
	})

	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.url("/api/status"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("jupyter-lab exited before serving")
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("jupyter-lab not serving on port %d after 2 minutes", port)
		}
	}
}

// browserPage drives one tab of a headless Chromium.
type browserPage struct {
	t   *testing.T
	ctx context.Context
}

func startChromium(t *testing.T, path string) *browserPage {
	t.Helper()
	ctx := browsertest.Start(t, path, 1280, 1000)
	var procs []int
	if p := chromedp.FromContext(ctx).Browser.Process(); p != nil {
		procs = []int{p.Pid}
	}
	t.Cleanup(func() {
		if len(procs) > 0 {
			procs = append(procs, descendants(procs[0])...)
		}
		chromedp.Cancel(ctx) // close the browser first, then make sure all of it has gone
		killAll(t, procs, "Chromium's")
	})
	go func() {
		// Script errors are Jupyter's own page's business; they are logged, not judged.
		for ev, err := range chromedp.Events(ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			t.Logf("page script exception: %s", ev.ExceptionDetails.Text)
		}
	}()
	return &browserPage{t: t, ctx: ctx}
}

func (p *browserPage) navigate(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatalf("opening %s: %v", url, err)
	}
}

// eval evaluates a JavaScript expression whose value is a string.
func (p *browserPage) eval(what, js string) string {
	p.t.Helper()
	var err error
	for try := 0; try < 50; try++ { // an evaluation racing a page load fails; retry
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		var v string
		v, err = chromedp.Run(ctx, chromedp.Evaluate[string](js))
		cancel()
		if err == nil {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("%s: %v", what, err)
	return ""
}

// waitFor polls a JavaScript condition until it holds.
func (p *browserPage) waitFor(what string, limit time.Duration, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(250 * time.Millisecond)
	}
	state := p.eval("diagnostics", `(() => {
		const app = window.jupyterapp;
		const w = app && app.shell.currentWidget;
		if (!w || !w.content || !w.content.widgets) return "no notebook open";
		return w.context.path + ": execution counts " + w.content.widgets.filter(c => c.model.type === "code").map(c => String(c.model.executionCount)).join(",")
			+ "\n" + [...w.content.node.querySelectorAll(".jp-OutputArea-output")].map(o => o.textContent).join("\n").slice(-2000);
	})()`)
	p.t.Fatalf("%s: not so after %v (last error %v)\n%s", what, limit, lastErr, state)
}

// screenshot saves the visible page as name in $GANBOOK_SCREENSHOTS (relative to the
// repository root), when that is set; otherwise it still takes it, to check it can.
func (p *browserPage) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("GANBOOK_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(p.t), dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("wrote %s", filepath.Join(dir, name))
}

// descendants lists the processes below pid, children first, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// parentPID reads the parent of pid from /proc/PID/stat.
func parentPID(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// alive reports whether pid runs (a zombie, dead but not yet reaped, does not count).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// killAll makes sure every process in procs has ended: it waits a little for those
// still running, then kills them, and fails the test if one survives.
func killAll(t *testing.T, procs []int, whose string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range procs {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			t.Logf("%s process %d outlived its parent; killing it", whose, pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// A killed process may take a moment to go on a loaded machine.
	deadline = time.Now().Add(10 * time.Second)
	for _, pid := range procs {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("%s process %d is still running", whose, pid)
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
