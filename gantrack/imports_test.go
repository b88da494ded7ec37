package gantrack

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	module      = "github.com/ganbook/ganbook"
	bindingPath = module + "/gantrack"
)

// goList returns, for each package the patterns match, its dependencies
// (go list -test: the packages' tests and their imports count too).
func goList(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range patterns {
		cmd := exec.Command("go", "list", "-test", "-f", `{{.ImportPath}}{{"\t"}}{{join .Deps " "}}`, p)
		cmd.Dir = ".."
		b, err := cmd.Output()
		if err != nil {
			var stderr string
			if e, ok := err.(*exec.ExitError); ok {
				stderr = string(e.Stderr)
			}
			t.Fatalf("go list %s: %v\n%s", p, err, stderr)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			pkg, deps, _ := strings.Cut(line, "\t")
			out[pkg] = strings.Fields(deps)
		}
	}
	return out
}

// TestBindingIsTheOnlyBridge checks the import graph: the CLI, the notebooks'
// helper and the quality benchmark depend on this package; no package of gan
// imports tracker, and no package of tracker imports gan.
func TestBindingIsTheOnlyBridge(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("no go command to list the imports: %v", err)
	}
	users := goList(t, "./cmd/ganbook", "./tutorials/tracked", "./bench/quality")
	for _, pkg := range []string{module + "/cmd/ganbook", module + "/tutorials/tracked", module + "/bench/quality"} {
		if deps, ok := users[pkg]; !ok {
			t.Errorf("go list did not list %s", pkg)
		} else if !slices.Contains(deps, bindingPath) {
			t.Errorf("%s does not depend on %s", pkg, bindingPath)
		}
	}
	for _, c := range []struct{ pattern, forbidden string }{
		{"./gan/...", module + "/tracker"},
		{"./tracker/...", module + "/gan"},
	} {
		pkgs := goList(t, c.pattern)
		if len(pkgs) == 0 {
			t.Fatalf("go list %s: no packages", c.pattern)
		}
		for pkg, deps := range pkgs {
			for _, d := range deps {
				if d == c.forbidden || strings.HasPrefix(d, c.forbidden+"/") {
					t.Errorf("%s imports %s", pkg, d)
				}
			}
		}
	}
}
