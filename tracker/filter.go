package tracker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Filter is a parsed, checked filter expression. Backends translate Root
// into their query language; every value in it is data, never query text.
type Filter struct {
	Text string
	Root Expr
}

// Expr is a node of a filter: *Logical or *Condition.
type Expr interface{ isExpr() }

// LogicalOp joins two filter expressions.
type LogicalOp int

// The logical operators; And binds tighter than Or.
const (
	And LogicalOp = iota
	Or
)

// Logical is "Left and Right" or "Left or Right".
type Logical struct {
	Op          LogicalOp
	Left, Right Expr
}

// CompareOp is a comparison operator.
type CompareOp int

// The comparison operators.
const (
	Eq CompareOp = iota // =  (also ==)
	Ne                  // != (also <>)
	Lt                  // <
	Le                  // <=
	Gt                  // >
	Ge                  // >=
)

// String returns the operator's canonical spelling.
func (op CompareOp) String() string {
	return [...]string{"=", "!=", "<", "<=", ">", ">="}[op]
}

// FieldKind tells which part of a run a field names.
type FieldKind int

// The field kinds.
const (
	FieldAttribute FieldKind = iota // status, name, id, experiment, start_time, end_time
	FieldParam                      // params.KEY
	FieldMetric                     // metrics.KEY: the latest value
	FieldTag                        // tags.KEY
)

// The attribute names a Field of kind FieldAttribute may carry.
const (
	AttrStatus     = "status"
	AttrName       = "name"
	AttrID         = "id"
	AttrExperiment = "experiment"
	AttrStartTime  = "start_time"
	AttrEndTime    = "end_time"
)

// attributeAliases maps accepted spellings (MLflow's included) to attributes.
var attributeAliases = map[string]string{
	"status": AttrStatus, "name": AttrName, "run_name": AttrName,
	"id": AttrID, "run_id": AttrID, "experiment": AttrExperiment,
	"start_time": AttrStartTime, "end_time": AttrEndTime,
}

// Field names what a comparison or an order term looks at.
type Field struct {
	Kind FieldKind
	// Key is the param, metric or tag key, or the attribute name.
	Key string
	Pos Position
}

// IsTime reports whether the field is a time attribute, whose values are
// milliseconds since the Unix epoch.
func (f Field) IsTime() bool {
	return f.Kind == FieldAttribute && (f.Key == AttrStartTime || f.Key == AttrEndTime)
}

// Value is a literal of a comparison.
type Value struct {
	// Text is the string's contents, or the number as written.
	Text string
	// IsNumber is true for an unquoted number, and for a time attribute's
	// value, which is converted to milliseconds since the Unix epoch.
	IsNumber bool
	Number   float64
	Pos      Position
}

// Condition is "Field Op Value", a comparison of one field with a literal.
type Condition struct {
	Field Field
	Op    CompareOp
	Value Value
}

func (*Logical) isExpr()   {}
func (*Condition) isExpr() {}

// OrderTerm is one key of an ordering.
type OrderTerm struct {
	Field Field
	Desc  bool
}

// Position locates a character of a filter: Offset in bytes from 0, Line and
// Column from 1.
type Position struct {
	Offset, Line, Column int
}

// FilterError is a malformed filter or order expression. Its Error method
// gives the line and column; Caret shows the text with a caret under the fault.
type FilterError struct {
	Text string
	Pos  Position
	Msg  string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("tracker: bad filter at %d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg)
}

// Caret returns the offending line of the text and, below it, a caret under
// the position of the error.
func (e *FilterError) Caret() string {
	lines := strings.Split(e.Text, "\n")
	line := ""
	if e.Pos.Line >= 1 && e.Pos.Line <= len(lines) {
		line = lines[e.Pos.Line-1]
	}
	// Column counts bytes; pad with the line's own tabs so the caret lines up.
	pad := make([]byte, 0, e.Pos.Column)
	for i := 0; i < e.Pos.Column-1 && i < len(line); i++ {
		if line[i] == '\t' {
			pad = append(pad, '\t')
		} else if line[i]&0xC0 != 0x80 { // one space per rune, not per byte
			pad = append(pad, ' ')
		}
	}
	for i := len(line); i < e.Pos.Column-1; i++ {
		pad = append(pad, ' ')
	}
	return line + "\n" + string(pad) + "^"
}

// The grammar, as participle structs. "and", "or", "asc" and "desc" are
// matched as case-insensitive identifiers rather than reserved words, so
// they remain usable as keys (params.desc).
type filterGrammar struct {
	Or *orNode `parser:"@@"`
}

type orNode struct {
	Terms []*andNode `parser:"@@ ( 'or' @@ )*"`
}

type andNode struct {
	Terms []*termNode `parser:"@@ ( 'and' @@ )*"`
}

type termNode struct {
	Group *orNode  `parser:"  '(' @@ ')'"`
	Cmp   *cmpNode `parser:"| @@"`
}

type cmpNode struct {
	Field *fieldNode `parser:"@@"`
	Op    string     `parser:"@Operator"`
	Value *valueNode `parser:"@@"`
}

type fieldNode struct {
	Pos   lexer.Position
	Parts []string `parser:"@(Ident | Backtick) ( '.' @(Ident | Backtick) )*"`
}

type valueNode struct {
	Pos    lexer.Position
	String *string `parser:"  @String"`
	Number *string `parser:"| @Number"`
}

type orderGrammar struct {
	Terms []*orderNode `parser:"@@ ( ',' @@ )*"`
}

type orderNode struct {
	Field *fieldNode `parser:"@@"`
	Dir   string     `parser:"@( 'asc' | 'desc' )?"`
}

var filterLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Whitespace", Pattern: `\s+`},
	{Name: "Number", Pattern: `[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`},
	{Name: "String", Pattern: `'(\\.|[^'\\])*'|"(\\.|[^"\\])*"`},
	{Name: "Backtick", Pattern: "`[^`]*`"},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Operator", Pattern: `!=|<>|<=|>=|==|=|<|>`},
	{Name: "Punct", Pattern: `[().,]`},
})

var (
	filterParser = participle.MustBuild[filterGrammar](
		participle.Lexer(filterLexer),
		participle.Elide("Whitespace"),
		participle.Unquote("String"),
		participle.CaseInsensitive("Ident"),
		participle.UseLookahead(2),
	)
	orderParser = participle.MustBuild[orderGrammar](
		participle.Lexer(filterLexer),
		participle.Elide("Whitespace"),
		participle.CaseInsensitive("Ident"),
		participle.UseLookahead(2),
	)
)

// ParseFilter parses and checks a filter expression such as
//
//	params.lr_d = 0.0002 and (metrics.d_loss < 0.7 or tags.note = 'best') and status = 'FINISHED'
//
// A malformed expression gives a *FilterError holding the position of the
// fault. An empty or all-blank text gives a nil *Filter and no error.
func ParseFilter(text string) (*Filter, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	g, err := filterParser.ParseString("", text)
	if err != nil {
		return nil, parseError(text, err)
	}
	c := checker{text: text}
	root, err := c.or(g.Or)
	if err != nil {
		return nil, err
	}
	return &Filter{Text: text, Root: root}, nil
}

// ParseOrder parses an ordering such as "metrics.d_loss, start_time desc":
// fields as in filters, each optionally followed by asc (the default) or desc.
// An empty text gives no terms and no error.
func ParseOrder(text string) ([]OrderTerm, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	g, err := orderParser.ParseString("", text)
	if err != nil {
		return nil, parseError(text, err)
	}
	c := checker{text: text}
	terms := make([]OrderTerm, 0, len(g.Terms))
	for _, n := range g.Terms {
		f, err := c.field(n.Field)
		if err != nil {
			return nil, err
		}
		terms = append(terms, OrderTerm{Field: f, Desc: strings.EqualFold(n.Dir, "desc")})
	}
	return terms, nil
}

// parseError turns a participle error into a *FilterError.
func parseError(text string, err error) error {
	var perr participle.Error
	if !errors.As(err, &perr) {
		return &FilterError{Text: text, Pos: Position{Line: 1, Column: 1}, Msg: err.Error()}
	}
	p := perr.Position()
	pos := Position{Offset: p.Offset, Line: p.Line, Column: p.Column}
	if pos.Line == 0 { // participle leaves EOF errors without a position
		pos = positionAt(text, len(text))
	}
	return &FilterError{Text: text, Pos: pos, Msg: friendlier(text, pos, perr.Message())}
}

// grammarWords replaces the grammar's type names in participle's messages
// with words a user of the filter knows.
var grammarWords = strings.NewReplacer(
	"<EOF>", "end of filter",
	"<operator> ValueNode", "an operator (= != < <= > >=)",
	"ValueNode", "a quoted string or a number",
	"TermNode", `a condition or "("`,
	"OrderNode", "a field",
	"FieldNode", "a field",
)

func friendlier(text string, pos Position, msg string) string {
	if strings.Contains(msg, "invalid input text") && pos.Offset < len(text) {
		switch c := text[pos.Offset]; c {
		case '\'', '"':
			return "unterminated string"
		case '`':
			return "unterminated backquoted key"
		default:
			return fmt.Sprintf("unexpected character %q", c)
		}
	}
	return grammarWords.Replace(msg)
}

// positionAt computes the line and column of a byte offset.
func positionAt(text string, offset int) Position {
	line := 1 + strings.Count(text[:offset], "\n")
	col := offset - strings.LastIndexByte(text[:offset], '\n')
	return Position{Offset: offset, Line: line, Column: col}
}

// checker converts the grammar tree to the Expr tree, checking fields and
// value types so that errors point at the offending token.
type checker struct{ text string }

func (c checker) errorf(p lexer.Position, format string, args ...any) error {
	return &FilterError{Text: c.text, Pos: Position{Offset: p.Offset, Line: p.Line, Column: p.Column}, Msg: fmt.Sprintf(format, args...)}
}

func (c checker) or(n *orNode) (Expr, error) {
	var out Expr
	for _, t := range n.Terms {
		e, err := c.and(t)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = e
		} else {
			out = &Logical{Op: Or, Left: out, Right: e}
		}
	}
	return out, nil
}

func (c checker) and(n *andNode) (Expr, error) {
	var out Expr
	for _, t := range n.Terms {
		var e Expr
		var err error
		if t.Group != nil {
			e, err = c.or(t.Group)
		} else {
			e, err = c.cmp(t.Cmp)
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = e
		} else {
			out = &Logical{Op: And, Left: out, Right: e}
		}
	}
	return out, nil
}

var compareOps = map[string]CompareOp{"=": Eq, "==": Eq, "!=": Ne, "<>": Ne, "<": Lt, "<=": Le, ">": Gt, ">=": Ge}

func (c checker) cmp(n *cmpNode) (Expr, error) {
	f, err := c.field(n.Field)
	if err != nil {
		return nil, err
	}
	op := compareOps[n.Op]
	v := Value{Pos: Position{Offset: n.Value.Pos.Offset, Line: n.Value.Pos.Line, Column: n.Value.Pos.Column}}
	if n.Value.Number != nil {
		v.Text = *n.Value.Number
		v.IsNumber = true
		v.Number, err = strconv.ParseFloat(v.Text, 64)
		if err != nil {
			return nil, c.errorf(n.Value.Pos, "bad number %s", v.Text)
		}
	} else {
		v.Text = *n.Value.String
	}
	switch {
	case f.Kind == FieldMetric && !v.IsNumber:
		return nil, c.errorf(n.Value.Pos, "metrics.%s compares with a number, not the string %q", f.Key, v.Text)
	case f.IsTime():
		if !v.IsNumber {
			t, ok := parseTime(v.Text)
			if !ok {
				return nil, c.errorf(n.Value.Pos, "%s compares with milliseconds since 1970 or a time such as '2006-01-02' or '2006-01-02T15:04:05Z', not %q", f.Key, v.Text)
			}
			v.IsNumber, v.Number = true, float64(t.UnixMilli())
		}
	case f.Kind == FieldAttribute && f.Key == AttrStatus:
		if v.IsNumber {
			return nil, c.errorf(n.Value.Pos, "status compares with a quoted status such as 'FINISHED'")
		}
		st, err := ParseRunStatus(v.Text)
		if err != nil {
			return nil, c.errorf(n.Value.Pos, "unknown status %q (want RUNNING, FINISHED, FAILED or KILLED)", v.Text)
		}
		if op != Eq && op != Ne {
			return nil, c.errorf(n.Value.Pos, "status takes = or !=, not %s", n.Op)
		}
		v.Text = string(st)
	case f.Kind == FieldAttribute || f.Kind == FieldTag:
		// Text attributes and tags compare as text; a bare number means its spelling.
		v.IsNumber = false
	}
	return &Condition{Field: f, Op: op, Value: v}, nil
}

// parseTime accepts the time layouts a person is likely to type.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var fieldPrefixes = map[string]FieldKind{
	"params": FieldParam, "param": FieldParam,
	"metrics": FieldMetric, "metric": FieldMetric,
	"tags": FieldTag, "tag": FieldTag,
	"attributes": FieldAttribute, "attribute": FieldAttribute, "attr": FieldAttribute,
}

func (c checker) field(n *fieldNode) (Field, error) {
	pos := Position{Offset: n.Pos.Offset, Line: n.Pos.Line, Column: n.Pos.Column}
	parts := make([]string, len(n.Parts))
	for i, p := range n.Parts {
		parts[i] = strings.Trim(p, "`")
	}
	if len(parts) == 1 {
		if a, ok := attributeAliases[strings.ToLower(parts[0])]; ok {
			return Field{Kind: FieldAttribute, Key: a, Pos: pos}, nil
		}
		return Field{}, c.errorf(n.Pos, "unknown field %q: use params.KEY, metrics.KEY, tags.KEY or one of status, name, id, experiment, start_time, end_time", parts[0])
	}
	kind, ok := fieldPrefixes[strings.ToLower(parts[0])]
	if !ok {
		return Field{}, c.errorf(n.Pos, "unknown field prefix %q: want params, metrics, tags or attributes", parts[0])
	}
	key := strings.Join(parts[1:], ".")
	if key == "" {
		return Field{}, c.errorf(n.Pos, "empty key after %q", parts[0])
	}
	if kind == FieldAttribute {
		a, ok := attributeAliases[strings.ToLower(key)]
		if !ok {
			return Field{}, c.errorf(n.Pos, "unknown attribute %q: want status, name, id, experiment, start_time or end_time", key)
		}
		key = a
	}
	return Field{Kind: kind, Key: key, Pos: pos}, nil
}

// FilterString quotes s as a string literal of the filter language, so a
// value holding quotes or backslashes can be compared safely.
func FilterString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
