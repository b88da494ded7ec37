package kernel

// CheckCellSource is the first code cell of a notebook that runs in the ganbook kernel.
//
// In the ganbook kernel, GoNB's --go_work has already made the checkout a workspace
// module and added the replace rule for it, so `go list -m` finds the module, and the
// cell prints where it comes from. The cell then makes the repository a requirement of
// the cell module: GoNB runs `go get` before every cell, and `go get` ignores go.work
// (GoNB's %goworkfix help says so), so without the requirement it would look up gonbui,
// GoMLX and every other third-party import on the network and pick their latest versions
// instead of the ones the repository's go.mod pins. With it, they resolve offline, at the
// pinned versions. The require names no path: where the checkout is comes from the
// kernel. In any other GoNB kernel `go list -m` fails and the cell prints one line
// saying what to do.
const CheckCellSource = `!*go list -m -f 'ganbook packages from {{.Dir}}' ` + RepoModule + ` 2>/dev/null \
  && go mod edit -require=` + RepoModule + `@v0.0.0 \
  || echo 'This notebook needs the ganbook kernel: run ` + "`ganbook kernel install`" + ` in your ganbook checkout, then choose the kernel "` + DefaultDisplayName + `".'`
