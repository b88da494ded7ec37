// Package backendtest gives tests the GoMLX backends they run over: the
// pure-Go backend always, and XLA on CPU with the PJRT plugin ganbook
// installs (scripts/deps/xla.sh) when it is there. With CI=true a missing or
// unusable XLA plugin fails the test; locally the XLA half skips, saying why.
package backendtest
