// Package tutorials is ganbook's learning path: Markdown tutorials (NN-*.md) with figures in img/,
// each tied to the notebook of the same number in ../notebooks.
//
// The package holds no code of its own; its tests keep the tutorials honest. Every number a
// tutorial states is marked as <!--check:NAME-->VALUE<!--/check--> and re-derived by a test, and
// every figure is regenerated and compared with the committed file, so a tutorial that goes
// stale fails `go test ./tutorials/...`. After an intended change, regenerate the figures with
//
//	go test ./tutorials -run Figures -update
//
// The math lives in tutorials/mathx, the figures in tutorials/plots, and the notebooks' helpers
// in tutorials/nb.
package tutorials
