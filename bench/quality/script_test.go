package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestQualityVsTorchScript runs bench/quality-vs-torch end to end on a tiny
// budget (a few steps of the MLP GAN on each side, a few hundred samples)
// and checks the lines it must print. It proves the script, the PyTorch
// trainer and the scorer work together; the figures themselves need the full
// budgets (tutorials/08-quality-vs-pytorch.md).
func TestQualityVsTorchScript(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains two GANs")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch, numpy").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: /usr/bin/python3 cannot import torch and numpy (scripts/install-test-deps.sh installs python3-torch): %v", err)
		}
		t.Skipf("no PyTorch in /usr/bin/python3 (apt-get install python3-torch); the test fails instead when CI=true: %v", err)
	}
	cmd := exec.Command("../quality-vs-torch", "--quick")
	cmd.Env = append(os.Environ(), "MODEL=mlp", "BATCH=32", "STEPS=5", "SAMPLES=300", "THREADS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench/quality-vs-torch failed: %v\n%s", err, out)
	}
	number := `([0-9]+(?:\.[0-9]+)?)`
	for _, line := range []struct {
		name    string
		pattern string
		check   func(a, b float64) bool
	}{
		{"fid", `(?m)^fid ganbook ` + number + ` torch ` + number + `$`, func(a, b float64) bool { return a > 0 && b > 0 }},
		{"coverage", `(?m)^coverage ganbook ` + number + ` torch ` + number + `$`, func(a, b float64) bool { return a <= 10 && b <= 10 }},
		{"wall", `(?m)^wall ganbook ` + number + `s torch ` + number + `s`, func(a, b float64) bool { return a > 0 && b > 0 }},
	} {
		m := regexp.MustCompile(line.pattern).FindSubmatch(out)
		if m == nil {
			t.Errorf("no %q line in the output:\n%s", line.name, out)
			continue
		}
		a, errA := strconv.ParseFloat(string(m[1]), 64)
		b, errB := strconv.ParseFloat(string(m[2]), 64)
		if errA != nil || errB != nil || !line.check(a, b) {
			t.Errorf("implausible %s line %q", line.name, m[0])
		}
	}
}
