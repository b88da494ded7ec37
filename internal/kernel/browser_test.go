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

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ganbook/ganbook/internal/browsertest"
	"github.com/ganbook/ganbook/internal/nbcheck"
)

// Debian's classic Jupyter Notebook (package jupyter-notebook, 6.4); Chromium comes from internal/browsertest.
const (
	notebookServerPath = "/usr/bin/jupyter-notebook"
)

// TestJupyterNotebookInBrowser opens notebook 01 in Debian's classic Jupyter Notebook
// with the ganbook kernel installed in a fresh Jupyter data directory, runs all cells
// from headless Chromium (Cell → Run All), moves the angle slider of the interactive
// cell and presses its Done button, then checks the page: outputs, pictures, no errors.
// The saved notebook must pass internal/nbcheck. With GANBOOK_SCREENSHOTS=docs it
// writes docs/jupyter-notebook.png.
func TestJupyterNotebookInBrowser(t *testing.T) {
	needTool(t, notebookServerPath)
	chromium := browsertest.Require(t)
	repo := repoRoot(t)
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "jupyter-data")
	root := filepath.Join(tmp, "notebooks") // served from here, so the repository's copy is never saved over
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	const notebook = "01-cross-product.ipynb"
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

	start := time.Now()
	page.eval("Cell → Run All", `Jupyter.notebook.execute_all_cells(), "ok"`)

	// The interactive cell: a slider for θ and a Done button; moving the slider redraws
	// the picture through GoNB's websocket.
	page.waitFor("the angle slider", 3*time.Minute, `!!document.querySelector(".output_area input[type=range]")`)
	// GoNB shows the picture as a display it updates in place, in the slider's cell.
	const plotSVG = `((document.querySelector(".output_area input[type=range]").closest(".cell").querySelector(".output_area svg")) || {}).outerHTML || ""`
	page.waitFor("the slider's picture", time.Minute, "("+plotSVG+`) !== ""`)
	before := page.eval("picture at 60°", plotSVG)
	page.eval("move the slider to 120°", `(() => {
		const s = document.querySelector(".output_area input[type=range]");
		s.value = "120";
		s.dispatchEvent(new Event("input"));
		s.dispatchEvent(new Event("change"));
		return s.value;
	})()`)
	page.waitFor("the picture redrawn for 120°", time.Minute, "("+plotSVG+`) !== `+strconv.Quote(before)+` && (`+plotSVG+`) !== ""`)
	page.eval("scroll the widget into view", `document.querySelector(".output_area input[type=range]").closest(".cell").scrollIntoView({block: "end"}), "ok"`)
	page.screenshot("jupyter-notebook.png")
	page.eval("press Done", `(() => {
		const b = [...document.querySelectorAll(".output_area button")].find(b => b.textContent.trim() === "Done");
		b.click();
		return b.textContent;
	})()`)

	allDone := `Jupyter.notebook.get_cells().filter(c => c.cell_type === "code").every(c => typeof c.input_prompt_number === "number")
		&& !Jupyter.notebook.kernel_busy`
	page.waitFor("every cell executed", 3*time.Minute, allDone)
	t.Logf("all cells ran in %.1f s", time.Since(start).Seconds())

	outputs := page.eval("output text", `[...document.querySelectorAll(".output_area")].map(o => o.innerText).join("\n")`)
	for _, want := range []string{
		"ganbook packages from " + repo, // the check cell, in the ganbook kernel
		"a = [1 2 3], b = [4 5 6], a×b = [-3 6 -3]",
		"✓ (a×b)_1 = det[e_1; a; b]",
		"✓ area |a×b| = |a||b| sin 60°",
	} {
		if !strings.Contains(outputs, want) {
			t.Errorf("the page's outputs lack %q", want)
		}
	}
	for _, bad := range []string{"ASSERTION FAILED", "panic:", "This notebook needs the ganbook kernel"} {
		if strings.Contains(outputs, bad) {
			t.Errorf("the page's outputs contain %q", bad)
		}
	}
	if n := page.eval("error outputs", `String(document.querySelectorAll(".output_error, .gonb-err-location").length)`); n != "0" {
		t.Errorf("%s error output(s) on the page", n)
	}
	// Pictures: the static figure and the widget's last picture, as <svg> or <img>.
	if n, _ := strconv.Atoi(page.eval("pictures", `String(document.querySelectorAll(".output_area svg, .output_area img").length)`)); n < 2 {
		t.Errorf("%d picture(s) in the outputs, want at least 2", n)
	}

	// Saved, the notebook passes the same checker as CI's headless runs.
	page.eval("save", `Jupyter.notebook.save_notebook(), "ok"`)
	page.waitFor("the notebook saved", time.Minute, `!Jupyter.notebook.dirty`)
	f, err := os.Open(filepath.Join(root, notebook))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved, err := nbcheck.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range saved.Cells {
		saved.Cells[i].Metadata.Tags = nil // the widget cell ran here: judge it too
	}
	if report := nbcheck.Check(saved); !report.OK() || report.Pictures < 2 {
		t.Errorf("saved notebook: %d picture(s), problems %v", report.Pictures, report.Problems)
	}
}

// notebookServer is a running classic Jupyter Notebook server.
type notebookServer struct {
	port  int
	token string
}

func (s *notebookServer) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s?token=%s", s.port, path, s.token)
}

// startNotebookServer starts jupyter-notebook on a free loopback port with a random
// token, serving root, and stops it, its kernels and everything they started when the
// test ends.
func startNotebookServer(t *testing.T, root string, env []string) *notebookServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tokenBytes := make([]byte, 16)
	rand.Read(tokenBytes)
	s := &notebookServer{port: port, token: hex.EncodeToString(tokenBytes)}

	logPath := filepath.Join(t.TempDir(), "jupyter-notebook.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-browser", "--ip=127.0.0.1", "--port=" + strconv.Itoa(port), "--port-retries=0",
		"--NotebookApp.token=" + s.token, "--NotebookApp.password=", "--notebook-dir=" + root}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root") // CI containers run as root
	}
	cmd := exec.Command(notebookServerPath, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(exited) }()
	showLog := func() {
		if b, err := os.ReadFile(logPath); err == nil {
			t.Logf("jupyter-notebook log (last 3000 bytes):\n%s", tail(string(b), 3000))
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			showLog()
		}
		// The kernel runs in its own session (jupyter_client starts it so), so it is
		// found by parentage, not by process group.
		procs := descendants(cmd.Process.Pid)
		// Ask the server to stop: it shuts its kernels down first.
		if resp, err := http.Post(s.url("/api/shutdown"), "", nil); err == nil {
			resp.Body.Close()
		}
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			t.Errorf("jupyter-notebook did not stop on /api/shutdown; killing it")
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		killAll(t, procs, "the notebook server's")
	})

	deadline := time.Now().Add(time.Minute)
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
			t.Fatalf("jupyter-notebook exited before serving")
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("jupyter-notebook not serving on port %d after a minute", port)
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
		killAll(t, procs, "Chromium's") // browsertest.Start's cleanup then closes the context
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
		const cells = (window.Jupyter && Jupyter.notebook) ? Jupyter.notebook.get_cells() : [];
		return "prompts: " + cells.filter(c => c.cell_type === "code").map(c => String(c.input_prompt_number)).join(",")
			+ "\n" + [...document.querySelectorAll(".output_area")].map(o => o.innerText).join("\n").slice(-2000);
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
	time.Sleep(200 * time.Millisecond)
	for _, pid := range procs {
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
