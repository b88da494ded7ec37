// Package thirdparty holds the test that third_party/compute is upstream
// github.com/gomlx/compute plus compute.patch, nothing else.
package thirdparty

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestComputeIsUpstreamPlusPatch(t *testing.T) {
	want := filepath.Join(t.TempDir(), "compute")
	out, err := exec.Command("bash", "update-compute.sh", want).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("update-compute.sh: %v\n%s", err, out)
		}
		t.Skipf("cannot rebuild the fork here (no module proxy or patch?): %v\n%s", err, out)
	}
	files := func(root string) map[string][]byte {
		m := map[string][]byte{}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			rel, _ := filepath.Rel(root, path)
			m[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	got, rebuilt := files("compute"), files(want)
	for name, data := range rebuilt {
		if g, ok := got[name]; !ok {
			t.Errorf("third_party/compute lacks %s", name)
		} else if !bytes.Equal(g, data) {
			t.Errorf("third_party/compute/%s differs from upstream + compute.patch (rerun third_party/update-compute.sh)", name)
		}
	}
	for name := range got {
		if _, ok := rebuilt[name]; !ok {
			t.Errorf("third_party/compute/%s is not in upstream + compute.patch", name)
		}
	}
}
