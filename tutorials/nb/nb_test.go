package nb

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func TestAssert(t *testing.T) {
	tests := []struct {
		name      string
		run       func()
		wantPanic string // "" means it must pass
		wantOut   string
	}{
		{"true", func() { Assert(true, "x = %d", 1) }, "", "✓ x = 1\n"},
		{"false", func() { Assert(false, "x = %d", 2) }, "ASSERTION FAILED: x = 2", ""},
		{"close", func() { AssertClose("pi", 3.14159, math.Pi, 1e-5) }, "", "✓ pi: got 3.14159"},
		{"not close", func() { AssertClose("pi", 3.14, math.Pi, 1e-5) }, "ASSERTION FAILED: pi: got 3.14", ""},
		{"NaN never passes", func() { AssertClose("nan", math.NaN(), 0, math.Inf(1)) }, "ASSERTION FAILED: nan", ""},
		{"exact", func() { AssertClose("zero", 0, 0, 0) }, "", "✓ zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			Out = &out
			defer func() {
				r := recover()
				switch {
				case tt.wantPanic == "" && r != nil:
					t.Fatalf("unexpected panic %v", r)
				case tt.wantPanic != "" && r == nil:
					t.Fatalf("no panic, want %q", tt.wantPanic)
				case tt.wantPanic != "":
					if s, _ := r.(string); !strings.HasPrefix(s, tt.wantPanic) {
						t.Fatalf("panic %q, want prefix %q", r, tt.wantPanic)
					}
				}
				if !strings.HasPrefix(out.String(), tt.wantOut) {
					t.Errorf("output %q, want prefix %q", out.String(), tt.wantOut)
				}
			}()
			tt.run()
		})
	}
}

func TestTable(t *testing.T) {
	got := Table([]string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}})
	want := "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |\n"
	if got != want {
		t.Errorf("Table = %q, want %q", got, want)
	}
}

func TestDisplayOutsideNotebook(t *testing.T) {
	// Outside GoNB, Display renders (and would panic on a render error) but shows nothing.
	p := plot.New()
	p.Title.Text = "empty"
	Display(p, 5, 5)
	if got := Must(42, nil); got != 42 {
		t.Errorf("Must = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("Must did not panic on an error")
		}
	}()
	Must(0, errTest)
}

var errTest = &testError{}

type testError struct{}

func (*testError) Error() string { return "test error" }
