// Command nbkernel moves notebooks to the ganbook kernel (see kernel.ConvertNotebook):
// kernelspec "ganbook", and a first code cell that checks for the kernel instead of wiring
// the repository with `go mod edit`. It rewrites each file in place, only when it changes,
// and names the markdown cells that still describe the old wiring cell.
//
// Usage:
//
//	go run ./internal/kernel/cmd/nbkernel notebooks/04-*.ipynb
//	go run ./internal/kernel/cmd/nbkernel -check notebooks/*.ipynb   # exit 1 if any is not converted
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ganbook/ganbook/internal/kernel"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("nbkernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "change nothing; exit 1 if a notebook is not converted")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: nbkernel [-check] NOTEBOOK.ipynb...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	for _, path := range fs.Args() {
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, "nbkernel:", err)
			status = 1
			continue
		}
		out, conv, err := kernel.ConvertNotebook(src)
		if err != nil {
			fmt.Fprintf(stderr, "nbkernel: %s: %v\n", path, err)
			status = 1
			continue
		}
		switch {
		case !conv.Changed:
			fmt.Fprintf(stdout, "%s: already uses the ganbook kernel\n", path)
		case *check:
			fmt.Fprintf(stdout, "%s: not converted (%v)\n", path, conv.Actions)
			status = 1
		default:
			fi, err := os.Stat(path)
			if err == nil {
				err = os.WriteFile(path, out, fi.Mode().Perm())
			}
			if err != nil {
				fmt.Fprintln(stderr, "nbkernel:", err)
				status = 1
				continue
			}
			fmt.Fprintf(stdout, "%s: converted: %v\n", path, conv.Actions)
		}
		if len(conv.ProseCells) > 0 {
			fmt.Fprintf(stdout, "%s: review markdown cell(s) %v: they still describe the old wiring cell\n", path, conv.ProseCells)
		}
	}
	return status
}
