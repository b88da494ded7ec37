// Package nb holds the helpers ganbook's notebooks share: assertions that a notebook checker
// recognises, and display of gonum/plot figures in a GoNB cell.
//
// Assertion convention: a failed check panics with a message that starts with
// "ASSERTION FAILED: ". The cell's program then exits with a panic on stderr, which
// internal/nbcheck reports (it looks for that prefix as well as for any panic), so a
// notebook whose claim stops being true fails CI even though nbconvert itself does not stop.
// A passing check prints one line starting with "✓ ", so the reader sees what was verified.
package nb
