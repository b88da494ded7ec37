package main

import "syscall"

// dieWithParent has the child started with attr killed when this process
// dies, even by SIGKILL.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
