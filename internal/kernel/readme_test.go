package kernel

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ganbook/ganbook/internal/nbcheck"
)

// readmeSteps returns the lines of the first ```sh block under the README's heading.
func readmeSteps(readme, heading string) ([]string, error) {
	_, section, ok := strings.Cut("\n"+readme, "\n"+heading+"\n")
	if !ok {
		return nil, fmt.Errorf("no section %q", heading)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		return nil, fmt.Errorf("section %q has no ```sh block", heading)
	}
	block, _, ok = strings.Cut(block, "```")
	if !ok {
		return nil, fmt.Errorf("section %q: the ```sh block does not end", heading)
	}
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func TestReadmeSteps(t *testing.T) {
	tests := []struct {
		name, readme string
		want         []string
		wantErr      string
	}{
		{"block", "# x\n## A\ntext\n```sh\na b\n\nc # d\n```\n## B\n```sh\ne\n```\n", []string{"a b", "c # d"}, ""},
		{"no section", "## B\n```sh\ne\n```\n", nil, `no section "## A"`},
		{"block in the next section only", "## A\ntext\n## B\n```sh\ne\n```\n", nil, "has no ```sh block"},
		{"unterminated", "## A\n```sh\ne\n", nil, "does not end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readmeSteps(tt.readme, "## A")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestReadmeJupyterLabSteps runs the README's "Notebooks in JupyterLab" lines as written,
// as one shell script, in an empty HOME: a venv with the pinned JupyterLab, ganbook
// installed, the kernel registered, `jupyter lab notebooks/` started. It then checks that
// the JupyterLab it started offers the ganbook kernel, and executes notebook 01 with
// that environment's nbconvert in that kernel. Go's caches, ganbook's tool cache (so the
// tools are not rebuilt) and pip's download cache stay where they are.
func TestReadmeJupyterLabSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("installs JupyterLab into a fresh venv (a minute or two)")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		if inCI() {
			t.Fatal("python3 not found (CI=true: a missing tool is a failure)")
		}
		t.Skip("python3 not found")
	}
	out, err := exec.Command(python, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatalf("%s: %v", python, err)
	}
	pythonDir := filepath.Dir(strings.TrimSpace(string(out))) // pyenv's shims need the real HOME
	repo := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := readmeSteps(string(readme), "## Notebooks in JupyterLab")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 || steps[len(steps)-1] != "jupyter lab notebooks/" {
		t.Fatalf("the README's steps %q do not end with `jupyter lab notebooks/`", steps)
	}
	cache, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	// The tools must be built at least once; the README's `ganbook kernel install` then reuses them.
	if dir := pinnedTools(t); dir != filepath.Join(cache, "bin") {
		t.Fatalf("tools in %s, not in the cache %s", dir, cache)
	}

	tmp := t.TempDir()
	home, gobin := filepath.Join(tmp, "home"), filepath.Join(tmp, "gobin")
	for _, d := range []string{home, gobin, filepath.Join(home, ".jupyter")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Setup a user would not need: a root user (CI) must allow JupyterLab to run as root,
	// and a test opens no browser.
	serverConfig := "c.ServerApp.open_browser = False\n"
	if os.Geteuid() == 0 {
		serverConfig += "c.ServerApp.allow_root = True\n"
	}
	if err := os.WriteFile(filepath.Join(home, ".jupyter", "jupyter_server_config.py"), []byte(serverConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + home,
		"PATH=" + gobin + string(os.PathListSeparator) + pythonDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"GOBIN=" + gobin,
		"GANBOOK_CACHE=" + cache,
		"PIP_CACHE_DIR=" + filepath.Join(cache, "pip"),
		"TMPDIR=" + tmp,
	}
	for _, key := range []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOENV"} {
		v, err := exec.Command("go", "env", key).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", key, err)
		}
		env = append(env, key+"="+strings.TrimSpace(string(v)))
	}
	var kept []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "PATH", "GOBIN", "VIRTUAL_ENV", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
			"JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_PATH", "PYTHONPATH":
			continue
		}
		kept = append(kept, kv)
	}
	env = append(kept, env...)

	script := "set -ex\n" + strings.Join(steps, "\n") + "\n"
	t.Logf("running, in %s with HOME=%s:\n%s", repo, home, script)
	logPath := filepath.Join(tmp, "steps.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir, cmd.Env = repo, env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed once the steps end, so every waiter below sees it.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); logFile.Close(); close(exited) }()
	showLog := func() {
		b, _ := os.ReadFile(logPath)
		t.Logf("the steps' output (last 4000 bytes):\n%s", tail(string(b), 4000))
	}

	// `jupyter lab` prints its address with the token once it serves.
	urlRE := regexp.MustCompile(`http://(?:localhost|127\.0\.0\.1):(\d+)/lab\?token=([0-9a-f]+)`)
	var port, token string
	for port == "" {
		select {
		case <-exited:
			showLog()
			t.Fatalf("the README's steps ended (%v) before JupyterLab served", waitErr)
		case <-time.After(500 * time.Millisecond):
		}
		if time.Since(start) > 10*time.Minute {
			showLog()
			t.Fatal("JupyterLab not serving 10 minutes after the README's steps started")
		}
		b, _ := os.ReadFile(logPath)
		if m := urlRE.FindStringSubmatch(string(b)); m != nil {
			port, token = m[1], m[2]
		}
	}
	t.Logf("the README's steps had JupyterLab serving on port %s after %.0f s", port, time.Since(start).Seconds())
	base := "http://127.0.0.1:" + port
	t.Cleanup(func() {
		procs := descendants(cmd.Process.Pid)
		if resp, err := http.Post(base+"/api/shutdown?token="+token, "", nil); err == nil {
			resp.Body.Close()
		}
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			t.Errorf("jupyter lab did not stop on /api/shutdown; killing it")
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		killAll(t, procs, "the README's JupyterLab")
		if t.Failed() {
			showLog()
		}
	})

	// jupyter_server prints its address before its event loop binds the
	// port, so a request right after the line can be refused: poll first.
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(base + "/api/status?token=" + token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("JupyterLab printed port %s but did not answer /api/status within a minute (last error: %v)", port, err)
		}
		select {
		case <-exited:
			t.Fatalf("the README's JupyterLab exited (%v) before answering", waitErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Logf("JupyterLab answered after %.0f s", time.Since(start).Seconds())

	resp, err := http.Get(base + "/api/kernelspecs?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var specs struct {
		Kernelspecs map[string]struct {
			Spec struct {
				DisplayName string `json:"display_name"`
			} `json:"spec"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(body, &specs); err != nil {
		t.Fatalf("/api/kernelspecs: %v: %s", err, tail(string(body), 500))
	}
	if got := specs.Kernelspecs[DefaultName].Spec.DisplayName; got != DefaultDisplayName {
		t.Fatalf("the JupyterLab the README starts offers kernel %q as %q, want %q (kernels: %s)", DefaultName, got, DefaultDisplayName, tail(string(body), 500))
	}

	// One notebook, executed by that environment in that kernel.
	venvBin := filepath.Join(home, ".venvs", "jupyter", "bin")
	outDir := filepath.Join(tmp, "executed")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, filepath.Join(venvBin, "jupyter"), "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.timeout=600", "--output-dir", outDir, "notebooks/01-cross-product.ipynb")
	run.Dir, run.Env = repo, env
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --execute: %v\n%s", err, tail(string(b), 3000))
	}
	f, err := os.Open(filepath.Join(outDir, "01-cross-product.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	nb, err := nbcheck.Parse(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if report := nbcheck.Check(nb); !report.OK() || report.Pictures < 2 {
		t.Errorf("notebook 01 run by the README's environment: %d picture(s), problems %v", report.Pictures, report.Problems)
	}
	t.Logf("README steps and one notebook: %.0f s", time.Since(start).Seconds())
}
