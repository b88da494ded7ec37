package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data string
		perm os.FileMode
	}{
		{"new file", "first", 0o644},
		{"replaces", "second, longer", 0o600},
		{"empty", "", 0o640},
	} {
		path := filepath.Join(dir, "f.json")
		if err := WriteFileAtomic(path, []byte(tc.data), tc.perm); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != tc.data {
			t.Errorf("%s: read %q, %v; want %q", tc.name, got, err, tc.data)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != tc.perm {
			t.Errorf("%s: mode %v, %v; want %v", tc.name, st.Mode().Perm(), err, tc.perm)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: %d entries in the directory, want the file alone (no temporary left)", tc.name, len(entries))
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), nil, 0o644); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
