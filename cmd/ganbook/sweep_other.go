//go:build !linux

package main

import "syscall"

// dieWithParent is Linux-only (Pdeathsig): elsewhere a trial outlives a
// worker killed outright, and the trial's run ends KILLED when the trial is
// claimed again.
func dieWithParent(*syscall.SysProcAttr) {}
