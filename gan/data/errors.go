package data

import (
	"errors"
	"fmt"
)

// Sentinel errors, found with errors.Is in what Load returns.
var (
	// ErrUnknownDataset: a dataset name that is not one of Names().
	ErrUnknownDataset = errors.New("unknown dataset")
	// ErrNotFound: a data directory or file that does not exist, or no
	// source that has the files.
	ErrNotFound = errors.New("not found")
	// ErrTruncated: the (decompressed) file ends before the data its header
	// announces, or the gzip stream ends early.
	ErrTruncated = errors.New("truncated file")
	// ErrCorrupt: the gzip stream does not decompress (bad header, bad
	// deflate data or bad CRC).
	ErrCorrupt = errors.New("corrupt compressed data")
	// ErrBadMagic: the IDX magic number is not the expected one (not an IDX
	// file, or images where labels were expected, or the reverse).
	ErrBadMagic = errors.New("bad IDX magic number")
	// ErrHeader: the IDX header gives dimensions other than the expected ones.
	ErrHeader = errors.New("wrong dimensions in IDX header")
	// ErrSize: the file holds more bytes than its header announces.
	ErrSize = errors.New("wrong file size")
	// ErrChecksum: the decompressed bytes do not have the expected SHA-256.
	ErrChecksum = errors.New("SHA-256 mismatch")
)

// FileError reports a file (or URL) that was refused and why.
type FileError struct {
	Path   string // file path or URL
	Err    error  // one of the sentinel errors above
	Detail string // what was found and what was expected
}

func (e *FileError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("data: %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("data: %s: %v: %s", e.Path, e.Err, e.Detail)
}

// Unwrap lets errors.Is find the sentinel error.
func (e *FileError) Unwrap() error { return e.Err }
