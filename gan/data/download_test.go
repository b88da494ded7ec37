package data

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// withoutPackagedSource takes the Go module and Debian copies out of the
// search, so that Load must use the cache or download.
func withoutPackagedSource(t *testing.T) {
	t.Helper()
	saved := packagedSource
	packagedSource = func(context.Context, string, bool) (string, string, error) {
		return "", "packaged copy", errors.New("disabled by the test")
	}
	t.Cleanup(func() { packagedSource = saved })
}

// mirror is an httptest server that serves files by path and counts requests.
type mirror struct {
	*httptest.Server
	files    map[string][]byte
	requests atomic.Int64
}

func newMirror(t *testing.T, files map[string][]byte) *mirror {
	m := &mirror{files: files}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		b, ok := m.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(m.Close)
	return m
}

func TestDownload(t *testing.T) {
	want := loadShared(t, "mnist", Test, UnitRange)
	src := goMNISTDataDir(t)
	withoutPackagedSource(t)
	gzImages := readFile(t, filepath.Join(src, "t10k-images-idx3-ubyte.gz"))
	gzLabels := readFile(t, filepath.Join(src, "t10k-labels-idx1-ubyte.gz"))
	badLabels := gunzip(t, gzLabels)
	badLabels[100] ^= 1 // valid gzip, valid IDX header, wrong content

	good := map[string][]byte{"/mnist/t10k-images-idx3-ubyte.gz": gzImages, "/mnist/t10k-labels-idx1-ubyte.gz": gzLabels}
	wrongHash := map[string][]byte{"/mnist/t10k-images-idx3-ubyte.gz": gzImages, "/mnist/t10k-labels-idx1-ubyte.gz": gzipBytes(t, badLabels)}

	tests := []struct {
		name       string
		mirrors    []map[string][]byte // one server each, tried in order
		noDownload bool
		sentinels  []error // nil: must load
		contains   []string
	}{
		{"good mirror", []map[string][]byte{good}, false, nil, nil},
		{"first mirror 404, second good", []map[string][]byte{{}, good}, false, nil, nil},
		{"wrong-hash file refused", []map[string][]byte{wrongHash}, false, []error{ErrNotFound, ErrChecksum},
			[]string{"/mnist/t10k-labels-idx1-ubyte.gz", "expected " + specOf(t, "mnist", Test)[1].sha256}},
		{"all mirrors 404", []map[string][]byte{{}, {}}, false, []error{ErrNotFound}, []string{"404 Not Found"}},
		{"downloads off", []map[string][]byte{good}, true, []error{ErrNotFound}, []string{"download: disabled"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var servers []*mirror
			var bases []string
			for _, files := range tc.mirrors {
				m := newMirror(t, files)
				servers = append(servers, m)
				bases = append(bases, m.URL+"/mnist/")
			}
			cache := t.TempDir()
			opts := Options{CacheDir: cache, Mirrors: bases, NoDownload: tc.noDownload}
			ds, err := Load("mnist", Test, opts)
			if tc.sentinels != nil {
				if err == nil {
					t.Fatal("loaded")
				}
				for _, s := range tc.sentinels {
					if !errors.Is(err, s) {
						t.Errorf("error %q is not %v", err, s)
					}
				}
				for _, s := range tc.contains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				// Nothing unverified stays in the cache.
				entries, _ := os.ReadDir(filepath.Join(cache, "mnist"))
				for _, e := range entries {
					if e.Name() != "t10k-images-idx3-ubyte.gz" {
						t.Errorf("cache holds %s after a failed download", e.Name())
					}
				}
				if tc.noDownload {
					for _, m := range servers {
						if m.requests.Load() != 0 {
							t.Error("a request was made with NoDownload")
						}
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ds.Images, want.Images) || !slices.Equal(ds.Labels, want.Labels) {
				t.Error("downloaded data differ from the shipped copy")
			}
			if !strings.HasPrefix(ds.Source, "downloaded from "+servers[len(servers)-1].URL) {
				t.Errorf("Source %q", ds.Source)
			}
			for _, f := range ds.Files {
				if filepath.Dir(f.Path) != filepath.Join(cache, "mnist") {
					t.Errorf("file %s is not in the cache", f.Path)
				}
			}
			// Once cached, no network is needed.
			for _, m := range servers {
				m.Close()
			}
			again, err := Load("mnist", Test, Options{CacheDir: cache, Mirrors: bases, NoDownload: true})
			if err != nil {
				t.Fatal(err)
			}
			if again.Source != "download cache "+filepath.Join(cache, "mnist") || !slices.Equal(again.Images, want.Images) {
				t.Errorf("second load: Source %q", again.Source)
			}
		})
	}
}

// A cached file that went bad is refused, not silently replaced.
func TestCorruptCacheRefused(t *testing.T) {
	src := goMNISTDataDir(t)
	withoutPackagedSource(t)
	cache := t.TempDir()
	dir := filepath.Join(cache, "mnist")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), readFile(t, filepath.Join(src, "t10k-images-idx3-ubyte.gz")))
	labels := gunzip(t, readFile(t, filepath.Join(src, "t10k-labels-idx1-ubyte.gz")))
	path := filepath.Join(dir, "t10k-labels-idx1-ubyte")
	writeFile(t, path, labels[:len(labels)-1])
	_, err := Load("mnist", Test, Options{CacheDir: cache, NoDownload: true})
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v: want ErrTruncated naming %s", err, path)
	}
}

// With the module absent from the module cache, Load fetches it with
// `go mod download`. The module proxy is the local module cache's download
// directory (a file:// GOPROXY), so the test needs no network.
func TestGoModDownload(t *testing.T) {
	want := loadShared(t, "mnist", Test, UnitRange)
	ctx := context.Background()
	realCache, err := goModCache(ctx)
	if err != nil {
		t.Fatal(err)
	}
	zip := filepath.Join(realCache, "cache", "download", escapeModulePath(goMNISTModule), "@v", goMNISTVersion+".zip")
	if _, err := os.Stat(zip); err != nil {
		skipOrFail(t, "module zip not in the local cache to act as a proxy: %v", err)
	}
	emptyCache := t.TempDir()
	t.Setenv("GOMODCACHE", emptyCache)
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(filepath.Join(realCache, "cache", "download")))
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOFLAGS", os.Getenv("GOFLAGS")+" -modcacherw") // lets t.TempDir remove it

	if _, err := goModuleDir(ctx, false); err == nil {
		t.Fatal("module found in an empty module cache")
	}
	ds, err := Load("mnist", Test, Options{CacheDir: t.TempDir(), Mirrors: []string{"http://127.0.0.1:1/"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ds.Files[0].Path, emptyCache) || !strings.HasPrefix(ds.Source, "Go module") {
		t.Errorf("loaded from %s (%s), want the fresh module cache %s", ds.Files[0].Path, ds.Source, emptyCache)
	}
	if !slices.Equal(ds.Labels, want.Labels) || !slices.Equal(ds.Images, want.Images) {
		t.Error("data differ from the shipped copy's")
	}
}
