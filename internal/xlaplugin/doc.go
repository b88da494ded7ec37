// Package xlaplugin finds XLA PJRT plugins where ganbook's provisioning
// (scripts/deps/xla.sh) and go-xla keep them, and vets a plugin file before
// go-xla loads it: go-xla dlopens whatever it is given and calls into it
// without looking at its PJRT C API version, so a corrupt file, one built for
// another architecture, or one of an incompatible PJRT version would fail
// obscurely (or crash) instead of giving one clear error naming the file.
package xlaplugin
