package nbcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Notebook is the part of an .ipynb document that Check reads.
type Notebook struct {
	Cells []Cell `json:"cells"`
}

// Cell is one notebook cell.
type Cell struct {
	CellType       string   `json:"cell_type"`
	Source         Text     `json:"source"`
	ExecutionCount *int     `json:"execution_count"`
	Outputs        []Output `json:"outputs"`
	Metadata       struct {
		Tags []string `json:"tags"`
	} `json:"metadata"`
}

// Output is one output of a code cell.
type Output struct {
	OutputType string          `json:"output_type"` // stream, display_data, execute_result, error
	Name       string          `json:"name"`        // stream name: stdout or stderr
	Text       Text            `json:"text"`        // stream text
	Data       map[string]Text `json:"data"`        // MIME type → content
	Ename      string          `json:"ename"`
	Evalue     string          `json:"evalue"`
	Traceback  []string        `json:"traceback"`
}

// Text is notebook text, stored in .ipynb files either as one string or as a list of lines.
type Text string

// UnmarshalJSON accepts a string or a list of strings (joined without separator, as nbformat does).
// Anything else (a JSON object, e.g. application/json output data) is kept as its raw JSON.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	case len(b) > 0 && b[0] == '[':
		var parts []string
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		*t = Text(strings.Join(parts, ""))
	default:
		*t = Text(b)
	}
	return nil
}

// Kind classifies a Problem.
type Kind string

// The kinds of problem Check reports.
const (
	ErrorOutput     Kind = "error output"
	GoNBError       Kind = "GoNB error"
	Panic           Kind = "panic"
	ExitStatus      Kind = "non-zero exit status"
	TestFailure     Kind = "test failure"
	CompileError    Kind = "compile error"
	AssertionFailed Kind = "assertion failed"
	NotExecuted     Kind = "cell not executed"
	NoPicture       Kind = "no picture"
)

// Problem is one failure found in a notebook. Cell is the 0-based index among all cells, or −1
// for a problem of the whole notebook.
type Problem struct {
	Cell   int
	Kind   Kind
	Detail string
}

func (p Problem) String() string {
	if p.Cell < 0 {
		return fmt.Sprintf("%s: %s", p.Kind, p.Detail)
	}
	return fmt.Sprintf("cell %d: %s: %s", p.Cell, p.Kind, p.Detail)
}

// Report is the result of checking one notebook.
type Report struct {
	Problems []Problem
	Pictures int // outputs that count as pictures
	Skipped  int // code cells tagged skip-execution
}

// OK reports whether the notebook passed.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// SkipTag is the cell tag nbconvert (nbclient) honours to leave a cell unexecuted; notebooks use it
// for interactive widgets, which wait for a browser.
const SkipTag = "skip-execution"

// AssertionPrefix is the start of a failed notebook assertion's message (see package tutorials/nb).
const AssertionPrefix = "ASSERTION FAILED: "

var (
	panicRe   = regexp.MustCompile(`(?m)^(panic: |fatal error: )`)
	exitRe    = regexp.MustCompile(`(?m)^exit status ([1-9][0-9]*)\s*$`)
	failRe    = regexp.MustCompile(`(?m)^(--- )?FAIL\b`)
	compileRe = regexp.MustCompile(`(?m)^\S*\.go:\d+:\d+: `)
	pictureRe = regexp.MustCompile(`(?i)<(svg|img|canvas)\b`)
	gonbErrRe = regexp.MustCompile(`gonb-err-|application/vnd\.jupyter\.stderr`)
)

// Parse decodes an .ipynb document.
func Parse(r io.Reader) (*Notebook, error) {
	var nb Notebook
	if err := json.NewDecoder(r).Decode(&nb); err != nil {
		return nil, fmt.Errorf("nbcheck: parse notebook: %w", err)
	}
	return &nb, nil
}

// CheckFile parses and checks the executed notebook at path.
func CheckFile(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	nb, err := Parse(f)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", path, err)
	}
	return Check(nb), nil
}

// Check inspects every output of an executed notebook.
func Check(nb *Notebook) Report {
	var r Report
	add := func(cell int, k Kind, detail string) {
		r.Problems = append(r.Problems, Problem{Cell: cell, Kind: k, Detail: firstLine(detail)})
	}
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		if hasTag(c, SkipTag) {
			r.Skipped++
			continue
		}
		if c.ExecutionCount == nil && strings.TrimSpace(string(c.Source)) != "" {
			add(i, NotExecuted, "no execution_count: was the notebook executed?")
		}
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				add(i, ErrorOutput, o.Ename+": "+o.Evalue)
			case "stream":
				checkText(i, string(o.Text), add)
			case "display_data", "execute_result", "update_display_data":
				if isPicture(o) {
					r.Pictures++
				}
				for mime, content := range o.Data {
					if mime == "text/html" && gonbErrRe.MatchString(string(content)) {
						add(i, GoNBError, htmlText(string(content)))
						continue
					}
					if strings.HasPrefix(mime, "text/") {
						checkText(i, string(content), add)
					}
				}
			}
		}
	}
	if r.Pictures == 0 {
		add(-1, NoPicture, "no image/png, image/svg+xml or picture-bearing text/html output")
	}
	return r
}

// checkText reports the failures visible in the text of a stream or a text output.
func checkText(cell int, s string, add func(int, Kind, string)) {
	if i := strings.Index(s, AssertionPrefix); i >= 0 {
		add(cell, AssertionFailed, s[i+len(AssertionPrefix):])
	} else if loc := panicRe.FindStringIndex(s); loc != nil {
		add(cell, Panic, s[loc[0]:])
	}
	if m := exitRe.FindStringSubmatch(s); m != nil {
		add(cell, ExitStatus, m[0])
	}
	if loc := failRe.FindStringIndex(s); loc != nil {
		add(cell, TestFailure, s[loc[0]:])
	}
	if loc := compileRe.FindStringIndex(s); loc != nil {
		add(cell, CompileError, s[loc[0]:])
	}
}

func isPicture(o Output) bool {
	for mime, content := range o.Data {
		switch {
		case mime == "image/png" || mime == "image/svg+xml":
			return len(content) > 0
		case mime == "text/html":
			if pictureRe.MatchString(string(content)) && !gonbErrRe.MatchString(string(content)) {
				return true
			}
		}
	}
	return false
}

func hasTag(c Cell, tag string) bool {
	for _, t := range c.Metadata.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

var (
	styleRe = regexp.MustCompile(`(?s)<style.*?</style>`)
	tagRe   = regexp.MustCompile(`<[^>]*>`)
	spaceRe = regexp.MustCompile(`\s+`)
)

// htmlText returns the visible text of an HTML fragment, squeezed to one line.
func htmlText(h string) string {
	h = styleRe.ReplaceAllString(h, " ")
	h = tagRe.ReplaceAllString(h, " ")
	h = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(h)
	return strings.TrimSpace(spaceRe.ReplaceAllString(h, " "))
}

// firstLine shortens s to its first non-empty line, at most 200 bytes, for a one-line report.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 200 {
				l = l[:200] + "…"
			}
			return l
		}
	}
	return ""
}
