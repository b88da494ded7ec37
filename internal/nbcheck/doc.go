// Package nbcheck checks an executed Jupyter notebook (.ipynb) for failures that
// `jupyter nbconvert --execute` lets through.
//
// GoNB reports a compile error as an "error" output (which nbconvert notices), but a cell
// whose program panics or exits non-zero only writes to stderr and the notebook carries on.
// Check reads every output and reports:
//
//   - an output of type "error" (compile errors, failed `go get`, kernel errors);
//   - GoNB's HTML error block (class "gonb-err-…" or data-mime-type application/vnd.jupyter.stderr);
//   - stream text with a Go panic ("panic:"), a runtime fatal error ("fatal error:"), a non-zero
//     "exit status N", a test failure line ("FAIL" / "--- FAIL"), or a compiler error line
//     ("./main.go:12:3: …");
//   - a failed notebook assertion: text containing "ASSERTION FAILED: " (the convention of
//     github.com/ganbook/ganbook/tutorials/nb, whose Assert panics with that prefix);
//   - a code cell that was not executed (no execution_count), unless tagged "skip-execution";
//   - a notebook with no picture: no image/png, no image/svg+xml and no text/html that embeds
//     an <svg>, <img> or <canvas> (a GoNB error block does not count).
package nbcheck
