// Package kernel installs, removes and checks ganbook's Jupyter kernel: a GoNB kernel
// (github.com/janpfeifer/gonb, pinned) set up so that a notebook, wherever it is, imports
// this repository's packages from the checkout, with no wiring code in the notebook, and
// runs with the environment GoMLX and the tracker need.
//
// Install builds the pinned GoNB, goimports and gopls (GoNB's source of completion and
// contextual help in the editor) into a directory of ganbook's (never GOPATH/bin unless
// asked) and writes a kernel spec (kernel.json) whose
//
//   - argv starts GoNB with --go_work=REPO, GoNB's own start-up option: every new kernel
//     creates a go.work that uses the repository, and adds the matching replace rule to the
//     cell module's go.mod (what the %goworkfix magic does), so
//     `import "github.com/ganbook/ganbook/…"` resolves to the checkout Install ran in, and
//     builds use the module versions the repository's go.mod asks for;
//   - env carries GOEXPERIMENT=simd, GOMLX_NO_AUTO_INSTALL=1, the default tracker database
//     (GANBOOK_DB), GANBOOK_REPO, GOMLX_BACKEND when one was chosen, and a PATH that starts
//     with the tools and go (Jupyter ≥ 7's client expands ${PATH} in a kernel spec's env).
//
// GoNB runs `go get` before every cell, and `go get` ignores go.work: it would look up
// third-party imports (gonbui, GoMLX, …) on the network at their latest versions. So a
// notebook's first cell (CheckCellSource) adds the repository as a requirement of the cell
// module, without any path, which pins those imports to the repository's go.mod; in a
// kernel without the ganbook wiring the same cell prints one line: run
// `ganbook kernel install`.
//
// Uninstall removes what Install added. Doctor checks, one line each, what a notebook needs.
package kernel
