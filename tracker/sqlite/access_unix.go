//go:build unix

package sqlite

import "syscall"

// dirWritable says whether this process may create files in dir.
func dirWritable(dir string) bool { return syscall.Access(dir, 0x2 /* W_OK */) == nil }
