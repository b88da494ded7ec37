//go:build !unix

package sqlite

// dirWritable assumes dir is writable where access(2) is not available; a
// read-only handle then needs a writable directory, as SQLite's WAL does.
func dirWritable(string) bool { return true }
