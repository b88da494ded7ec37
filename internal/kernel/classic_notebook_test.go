package kernel

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Debian's classic Jupyter Notebook (package jupyter-notebook, 6.4) serves notebook 03's game
// explorer in TestGameExplorerInBrowser; TestGameExplorerInJupyterLab drives it in JupyterLab 4.
const (
	notebookServerPath = "/usr/bin/jupyter-notebook"
)

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
