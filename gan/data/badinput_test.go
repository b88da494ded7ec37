package data

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each bad file is refused with a *FileError naming it, the right sentinel,
// and what was expected.
func TestBadFilesRefused(t *testing.T) {
	src := goMNISTDataDir(t)
	gzImages := readFile(t, filepath.Join(src, "t10k-images-idx3-ubyte.gz"))
	gzLabels := readFile(t, filepath.Join(src, "t10k-labels-idx1-ubyte.gz"))
	rawImages, rawLabels := gunzip(t, gzImages), gunzip(t, gzLabels)
	const (
		imagesName = "t10k-images-idx3-ubyte"
		labelsName = "t10k-labels-idx1-ubyte"
	)
	labelsSHA := specOf(t, "mnist", Test)[1].sha256
	imagesSHA := specOf(t, "mnist", Test)[0].sha256

	clone := func(b []byte) []byte { return append([]byte(nil), b...) }
	flip := func(b []byte, at int) []byte { b = clone(b); b[at] ^= 0xff; return b }
	putU32 := func(b []byte, at int, v uint32) []byte {
		b = clone(b)
		binary.BigEndian.PutUint32(b[at:], v)
		return b
	}

	tests := []struct {
		name     string
		dataset  string
		file     string // the bad file's name; the other file is a good gzip copy
		data     []byte
		sentinel error
		contains []string // besides the file's path
	}{
		{"flipped byte in raw labels", "mnist", labelsName, flip(rawLabels, 5000), ErrChecksum, []string{"expected " + labelsSHA}},
		{"flipped byte in raw images", "mnist", imagesName, flip(rawImages, 16+784*5000+400), ErrChecksum, []string{"expected " + imagesSHA}},
		{"flipped byte in gzip data", "mnist", labelsName + ".gz", flip(gzLabels, len(gzLabels)/2), ErrCorrupt, nil},
		{"flipped byte in gzip CRC", "mnist", labelsName + ".gz", flip(gzLabels, len(gzLabels)-6), ErrCorrupt, []string{"checksum"}},
		{"corrupt gzip header (compression method)", "mnist", labelsName + ".gz", flip(gzLabels, 2), ErrCorrupt, []string{"invalid header"}},
		{"truncated raw labels", "mnist", labelsName, rawLabels[:5000], ErrTruncated, []string{"5000 bytes, expected 10008", labelsName}},
		{"truncated raw images", "mnist", imagesName, rawImages[:16+784*9999], ErrTruncated, []string{"7839232 bytes, expected 7840016"}},
		{"truncated gzip", "mnist", labelsName + ".gz", gzLabels[:len(gzLabels)/2], ErrTruncated, nil},
		{"truncated within header", "mnist", labelsName, rawLabels[:6], ErrTruncated, []string{"6 bytes, expected 10008"}},
		{"empty file", "mnist", labelsName, nil, ErrTruncated, []string{"0 bytes"}},
		{"wrong magic", "mnist", labelsName, putU32(rawLabels, 0, 0x00000802), ErrBadMagic, []string{"magic 0x00000802, expected 0x00000801"}},
		{"images where labels belong", "mnist", labelsName, rawImages, ErrBadMagic, []string{"magic 0x00000803, expected 0x00000801"}},
		{"not an IDX file", "mnist", imagesName, []byte("<html>404 not found</html>\n"), ErrBadMagic, []string{"expected 0x00000803"}},
		{"wrong count in header", "mnist", labelsName, putU32(rawLabels, 4, 9999), ErrHeader, []string{"header says 9999, expected 10000"}},
		{"wrong rows in header", "mnist", imagesName + ".gz", gzipBytes(t, putU32(rawImages, 8, 27)), ErrHeader, []string{"header says 10000×27×28, expected 10000×28×28"}},
		{"trailing data", "mnist", labelsName, append(clone(rawLabels), 1, 2, 3), ErrSize, []string{"10011 bytes, expected 10008"}},
		{"trailing data in gzip", "mnist", labelsName + ".gz", gzipBytes(t, append(clone(rawLabels), 0)), ErrSize, []string{"10009 bytes after decompression, expected 10008"}},
		{"MNIST file given as Fashion-MNIST", "fashion", labelsName, rawLabels, ErrChecksum,
			[]string{"expected " + specOf(t, "fashion", Test)[1].sha256, "this is the mnist test file " + labelsName}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			good := map[string][]byte{imagesName: gzImages, labelsName: gzLabels}
			if tc.dataset == "fashion" {
				// Start from valid Fashion files when Debian has them, so the
				// bad file is the only one that can be refused; else the MNIST
				// images are refused first, which the test also accepts.
				if isDir(debianFashionDir) {
					good[imagesName] = readFile(t, filepath.Join(debianFashionDir, imagesName+".gz"))
				}
			}
			bad := strings.TrimSuffix(tc.file, ".gz")
			for base, b := range good {
				if base != bad {
					writeFile(t, filepath.Join(dir, base+".gz"), b)
				}
			}
			path := filepath.Join(dir, tc.file)
			writeFile(t, path, tc.data)

			_, err := Load(tc.dataset, Test, Options{DataDir: dir})
			if err == nil {
				t.Fatal("bad file accepted")
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("error %q is not %v", err, tc.sentinel)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %q is not a *FileError", err)
			}
			if tc.dataset == "fashion" && !isDir(debianFashionDir) && fe.Path != path {
				return // refused on the images, as explained above
			}
			if fe.Path != path || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestMissingData(t *testing.T) {
	src := goMNISTDataDir(t)
	tmp := t.TempDir()
	onlyImages := filepath.Join(tmp, "only-images")
	if err := os.Mkdir(onlyImages, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(onlyImages, "t10k-images-idx3-ubyte.gz"), readFile(t, filepath.Join(src, "t10k-images-idx3-ubyte.gz")))
	aFile := filepath.Join(tmp, "a-file")
	writeFile(t, aFile, []byte("x"))

	tests := []struct {
		name     string
		dir      string
		path     string // the path the error must name
		contains string
	}{
		{"missing data dir", filepath.Join(tmp, "nope"), filepath.Join(tmp, "nope"), "data directory does not exist"},
		{"data dir is a file", aFile, aFile, "not a directory"},
		{"empty data dir", tmp, filepath.Join(tmp, "t10k-images-idx3-ubyte.gz"), "expected t10k-images-idx3-ubyte.gz or t10k-images-idx3-ubyte"},
		{"labels missing", onlyImages, filepath.Join(onlyImages, "t10k-labels-idx1-ubyte.gz"), "10000 labels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("mnist", Test, Options{DataDir: tc.dir})
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("error %v is not ErrNotFound", err)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != tc.path {
				t.Errorf("error %q does not name %s", err, tc.path)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q lacks %q", err, tc.contains)
			}
		})
	}
}
