package tracker

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// render prints a filter tree fully parenthesised, so that a test states
// the precedence it expects.
func render(e Expr) string {
	switch e := e.(type) {
	case *Logical:
		op := "and"
		if e.Op == Or {
			op = "or"
		}
		return "(" + render(e.Left) + " " + op + " " + render(e.Right) + ")"
	case *Condition:
		kind := [...]string{"attr", "params", "metrics", "tags"}[e.Field.Kind]
		v := fmt.Sprintf("%q", e.Value.Text)
		if e.Value.IsNumber {
			v = fmt.Sprint(e.Value.Number)
		}
		return kind + "." + e.Field.Key + " " + e.Op.String() + " " + v
	}
	return "?"
}

func TestParseFilter(t *testing.T) {
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.Local).UnixMilli()
	tests := []struct {
		in, want string
	}{
		{"params.lr_d = 0.0002", "params.lr_d = 0.0002"},
		{"params.lr_d = 0.0002 and metrics.d_loss < 0.7 and status = 'FINISHED'",
			`((params.lr_d = 0.0002 and metrics.d_loss < 0.7) and attr.status = "FINISHED")`},
		// and binds tighter than or; parentheses override.
		{"name = 'a' or name = 'b' and tags.x = 'y'", `(attr.name = "a" or (attr.name = "b" and tags.x = "y"))`},
		{"(name = 'a' or name = 'b') and tags.x = 'y'", `((attr.name = "a" or attr.name = "b") and tags.x = "y")`},
		{"metrics.g_loss >= -1.5e-3 OR metrics.g_loss <= 2", "(metrics.g_loss >= -0.0015 or metrics.g_loss <= 2)"},
		{"metrics.x != 1 and metrics.x == 2 and metrics.x <> 3 and metrics.x > .5",
			"(((metrics.x != 1 and metrics.x = 2) and metrics.x != 3) and metrics.x > 0.5)"},
		// Status is case-insensitive and normalised.
		{`status = "killed"`, `attr.status = "KILLED"`},
		// Attribute spellings, prefixes and aliases.
		{"attributes.run_name = 'x' and attr.run_id = 'ab'", `(attr.name = "x" and attr.id = "ab")`},
		{"experiment = 'mnist' and param.seed = 7 and metric.fid < 30 and tag.best = 'yes'",
			`(((attr.experiment = "mnist" and params.seed = 7) and metrics.fid < 30) and tags.best = "yes")`},
		// Dotted and backquoted keys; keywords stay usable as keys.
		{"metrics.layer1.norm > 2 and params.`beta-1` = 0.5 and params.desc = 'x' and params.and = 'y'",
			`(((metrics.layer1.norm > 2 and params.beta-1 = 0.5) and params.desc = "x") and params.and = "y")`},
		// Tags and text attributes compare as text, even with a bare number.
		{"tags.epoch = 3 and name = 12", `(tags.epoch = "3" and attr.name = "12")`},
		// Times: milliseconds or a date.
		{"start_time > 1700000000000", "attr.start_time > 1.7e+12"},
		{"start_time >= '2025-03-01'", fmt.Sprintf("attr.start_time >= %v", float64(day))},
		// A quoted param value compares as text.
		{"params.lr = '0.0002'", `params.lr = "0.0002"`},
		{"params.note = 'it\\'s'", `params.note = "it's"`},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.in, err)
			continue
		}
		if got := render(f.Root); got != tt.want {
			t.Errorf("ParseFilter(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
	if f, err := ParseFilter("  "); f != nil || err != nil {
		t.Errorf("ParseFilter(blank) = %v, %v; want nil, nil", f, err)
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		in        string
		line, col int
		msg       string // a fragment of the message
	}{
		{"params.lr = ", 1, 13, "unexpected token \"end of filter\" (expected a quoted string or a number)"},
		{"params.lr = 0.1 and < 3", 1, 21, `expected a condition or "("`},
		{"params.lr 0.1", 1, 11, "expected an operator"},
		{"(status = 'FINISHED'", 1, 21, "unexpected"},
		{"status = 'FINISHED')", 1, 20, "unexpected"},
		{"name = 'unterminated", 1, 8, "unterminated string"},
		{"name = 'a' &&  name = 'b'", 1, 12, "unexpected character '&'"},
		{"foo = 1", 1, 1, `unknown field "foo"`},
		{"bogus.x = 1", 1, 1, `unknown field prefix "bogus"`},
		{"attributes.colour = 'red'", 1, 1, `unknown attribute "colour"`},
		{"metrics.d_loss < 'low'", 1, 18, "compares with a number"},
		{"status = 'DONE'", 1, 10, "unknown status"},
		{"status < 'FINISHED'", 1, 10, "status takes = or !="},
		{"status = 1", 1, 10, "quoted status"},
		{"start_time > 'yesterday'", 1, 14, "start_time compares with"},
		// Multi-line filters report the line.
		{"params.a = 1 and\n  params.b = ", 2, 14, "unexpected"},
		{"params.a = 1 and\n  nope = 2", 2, 3, `unknown field "nope"`},
	}
	for _, tt := range tests {
		_, err := ParseFilter(tt.in)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("ParseFilter(%q) error = %v; want a *FilterError", tt.in, err)
			continue
		}
		if fe.Pos.Line != tt.line || fe.Pos.Column != tt.col || !strings.Contains(fe.Msg, tt.msg) {
			t.Errorf("ParseFilter(%q) = %d:%d %q; want %d:%d containing %q", tt.in, fe.Pos.Line, fe.Pos.Column, fe.Msg, tt.line, tt.col, tt.msg)
		}
		if want := fmt.Sprintf("%d:%d", tt.line, tt.col); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks the position %s", err, want)
		}
	}
}

func TestFilterErrorCaret(t *testing.T) {
	_, err := ParseFilter("params.lr = 0.1 and < 3")
	var fe *FilterError
	if !errors.As(err, &fe) {
		t.Fatalf("want *FilterError, got %v", err)
	}
	want := "params.lr = 0.1 and < 3\n" +
		"                    ^"
	if got := fe.Caret(); got != want {
		t.Errorf("Caret:\n%s\nwant:\n%s", got, want)
	}
	_, err = ParseFilter("a = 1 and\n\tparams.b < ")
	errors.As(err, &fe)
	if got, want := fe.Caret(), "\tparams.b < \n\t           ^"; got != want {
		t.Errorf("Caret:\n%q\nwant:\n%q", got, want)
	}
}

func TestParseOrder(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"metrics.d_loss", "metrics.d_loss asc"},
		{"metrics.d_loss DESC, start_time", "metrics.d_loss desc; attr.start_time asc"},
		{"params.lr asc,name desc", "params.lr asc; attr.name desc"},
	}
	for _, tt := range tests {
		terms, err := ParseOrder(tt.in)
		if err != nil {
			t.Errorf("ParseOrder(%q): %v", tt.in, err)
			continue
		}
		var parts []string
		for _, o := range terms {
			dir := "asc"
			if o.Desc {
				dir = "desc"
			}
			kind := [...]string{"attr", "params", "metrics", "tags"}[o.Field.Kind]
			parts = append(parts, kind+"."+o.Field.Key+" "+dir)
		}
		if got := strings.Join(parts, "; "); got != tt.want {
			t.Errorf("ParseOrder(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"metrics.x sideways", "colour", "metrics.x,"} {
		if _, err := ParseOrder(bad); err == nil {
			t.Errorf("ParseOrder(%q) gave no error", bad)
		} else if !strings.Contains(err.Error(), ":") {
			t.Errorf("ParseOrder(%q) error without position: %v", bad, err)
		}
	}
}

func TestFilterStringRoundTrips(t *testing.T) {
	for _, s := range []string{"", "a1b2c3d4", "it's", `say "hi"`, `back\slash`, `\'`, "both ' and \" and \\", "ünïcode ✓"} {
		f, err := ParseFilter("tags.sweep = " + FilterString(s))
		if err != nil {
			t.Errorf("FilterString(%q) = %s: %v", s, FilterString(s), err)
			continue
		}
		c, ok := f.Root.(*Condition)
		if !ok || c.Value.Text != s || c.Value.IsNumber {
			t.Errorf("FilterString(%q) parsed back as %+v", s, f.Root)
		}
	}
}
