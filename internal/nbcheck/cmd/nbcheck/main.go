// Command nbcheck checks executed Jupyter notebooks and exits with status 1 if any of them
// holds an error, a panic, a non-zero exit status, a failed assertion or no picture
// (see package github.com/ganbook/ganbook/internal/nbcheck).
//
// Usage:
//
//	nbcheck EXECUTED.ipynb...
//	nbcheck -expect 'panic,assertion failed' EXECUTED.ipynb
//
// With -expect, nbcheck succeeds only if the problems found are of exactly the listed kinds,
// each at least once: the run script's self-test uses it on a deliberately broken notebook.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ganbook/ganbook/internal/nbcheck"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("nbcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	expect := fs.String("expect", "", "comma-separated problem kinds that must be found, and no others")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: nbcheck [-expect KINDS] EXECUTED.ipynb...")
		return 2
	}
	var want []nbcheck.Kind
	for _, k := range strings.Split(*expect, ",") {
		if k = strings.TrimSpace(k); k != "" {
			want = append(want, nbcheck.Kind(k))
		}
	}
	status := 0
	for _, path := range fs.Args() {
		r, err := nbcheck.CheckFile(path)
		if err != nil {
			fmt.Fprintf(stdout, "FAIL %s: %v\n", path, err)
			status = 1
			continue
		}
		if want != nil {
			if !reportExpected(stdout, path, r, want) {
				status = 1
			}
			continue
		}
		if !r.OK() {
			status = 1
			fmt.Fprintf(stdout, "FAIL %s: %d problem(s)\n", path, len(r.Problems))
			for _, p := range r.Problems {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
			continue
		}
		fmt.Fprintf(stdout, "ok   %s: %d picture(s), %d cell(s) skipped by tag\n", path, r.Pictures, r.Skipped)
	}
	return status
}

// reportExpected prints the problems of r and whether they are exactly of the kinds in want.
func reportExpected(w io.Writer, path string, r nbcheck.Report, want []nbcheck.Kind) bool {
	var found []nbcheck.Kind
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  found: %s\n", p)
		if !slices.Contains(found, p.Kind) {
			found = append(found, p.Kind)
		}
	}
	ok := true
	for _, k := range want {
		if !slices.Contains(found, k) {
			fmt.Fprintf(w, "  missing: no %q problem was found\n", k)
			ok = false
		}
	}
	for _, k := range found {
		if !slices.Contains(want, k) {
			fmt.Fprintf(w, "  unexpected: %q\n", k)
			ok = false
		}
	}
	if ok {
		fmt.Fprintf(w, "ok   %s: found exactly the expected problem kinds\n", path)
	} else {
		fmt.Fprintf(w, "FAIL %s: problems differ from -expect\n", path)
	}
	return ok
}
