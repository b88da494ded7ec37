package nb

import (
	"fmt"
	"io"
	"math"
	"os"
)

// AssertionPrefix starts the panic message of every failed check.
const AssertionPrefix = "ASSERTION FAILED: "

// Out is where passing checks are reported; notebooks leave it as os.Stdout.
var Out io.Writer = os.Stdout

// Assert panics with "ASSERTION FAILED: <what>" when ok is false, and prints "✓ <what>" otherwise.
func Assert(ok bool, format string, args ...any) {
	what := fmt.Sprintf(format, args...)
	if !ok {
		panic(AssertionPrefix + what)
	}
	fmt.Fprintf(Out, "✓ %s\n", what)
}

// AssertClose checks |got − want| ≤ tol (NaN never passes) and reports both values.
func AssertClose(what string, got, want, tol float64) {
	diff := math.Abs(got - want)
	Assert(diff <= tol, "%s: got %.10g, want %.10g (|diff| = %.2g ≤ %.2g)", what, got, want, diff, tol)
}
