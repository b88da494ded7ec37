package data

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// idxFile is a verified IDX file: its decompressed bytes (header included)
// and its record.
type idxFile struct {
	payload []byte
	info    FileInfo
}

// readIDXFile opens path and verifies it against spec.
func readIDXFile(path string, spec fileSpec) (*idxFile, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &FileError{Path: path, Err: ErrNotFound, Detail: "expected the IDX file " + spec.base + " (raw or .gz)"}
		}
		return nil, &FileError{Path: path, Err: err}
	}
	defer f.Close()
	file, err := parseIDX(f, path, spec)
	if err != nil {
		return nil, err
	}
	file.info.Path = path
	return file, nil
}

// parseIDX reads an IDX stream, gzip-compressed or raw (the gzip magic
// decides), and checks it against spec. name (a path or URL) is used in
// errors. The checks run from the most telling to the least: corrupt
// compression, magic, header dimensions, length, and last the hash, which
// alone would catch all of them but would not say what is wrong.
func parseIDX(r io.Reader, name string, spec fileSpec) (*idxFile, error) {
	fail := func(sentinel error, format string, args ...any) error {
		return &FileError{Path: name, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	isGzip := false
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		isGzip = true
	}
	var src io.Reader = br
	if isGzip {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fail(ErrTruncated, "gzip header ends early")
			}
			return nil, fail(ErrCorrupt, "%v", err)
		}
		defer zr.Close()
		src = zr
	}

	headerLen := 4 + 4*len(spec.dims)
	want := headerLen + product(spec.dims)
	buf := make([]byte, want)
	n, readErr := io.ReadFull(src, buf)
	truncatedRead := errors.Is(readErr, io.ErrUnexpectedEOF) || errors.Is(readErr, io.EOF)
	if readErr != nil && !truncatedRead {
		return nil, fail(ErrCorrupt, "%v", readErr)
	}
	what := "bytes"
	if isGzip {
		what = "bytes after decompression"
	}
	if n < 4 {
		return nil, fail(ErrTruncated, "%d %s, expected %d (%s)", n, what, want, describe(spec))
	}
	if magic := binary.BigEndian.Uint32(buf); magic != spec.magic {
		return nil, fail(ErrBadMagic, "magic 0x%08x, expected 0x%08x (%s)", magic, spec.magic, describe(spec))
	}
	if n < headerLen {
		return nil, fail(ErrTruncated, "%d %s, expected %d (%s)", n, what, want, describe(spec))
	}
	got := make([]int, len(spec.dims))
	for i := range got {
		got[i] = int(binary.BigEndian.Uint32(buf[4+4*i:]))
	}
	if !equalInts(got, spec.dims) {
		return nil, fail(ErrHeader, "header says %s, expected %s (%s)", dimString(got), dimString(spec.dims), spec.base)
	}
	if n < want {
		return nil, fail(ErrTruncated, "%d %s, expected %d (%s)", n, what, want, describe(spec))
	}
	// Read on to the end: this is where gzip checks its CRC, and where data
	// beyond what the header announces shows up.
	extra, err := io.Copy(io.Discard, src)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fail(ErrTruncated, "gzip stream ends early")
		}
		return nil, fail(ErrCorrupt, "%v", err)
	}
	if extra > 0 {
		return nil, fail(ErrSize, "%d %s, expected %d (%s)", int64(want)+extra, what, want, describe(spec))
	}
	sum := sha256.Sum256(buf)
	hexSum := hex.EncodeToString(sum[:])
	if hexSum != spec.sha256 {
		detail := fmt.Sprintf("decompressed bytes have SHA-256 %s, expected %s (%s)", hexSum, spec.sha256, describe(spec))
		if other := knownFile(hexSum); other != "" {
			detail += "; this is " + other
		}
		return nil, &FileError{Path: name, Err: ErrChecksum, Detail: detail}
	}
	return &idxFile{payload: buf, info: FileInfo{Path: name, SHA256: hexSum, Size: int64(len(buf)), Gzip: isGzip}}, nil
}

func product(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dimString(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "×")
}

// describe says in words which file spec is, for error messages.
func describe(spec fileSpec) string {
	kind := "labels"
	if spec.magic == imagesMagic {
		kind = "images"
	}
	return fmt.Sprintf("%s: %s %s", spec.base, dimString(spec.dims), kind)
}

// knownFile names the dataset file with the given hash, if any: a file of the
// other dataset or split put where this one was expected.
func knownFile(hexSum string) string {
	for _, ds := range specs {
		for split, pair := range ds.files {
			for _, fs := range pair {
				if fs.sha256 == hexSum {
					return fmt.Sprintf("the %s %s file %s", ds.name, split, fs.base)
				}
			}
		}
	}
	return ""
}
