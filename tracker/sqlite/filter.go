package sqlite

import (
	"strings"

	"github.com/ganbook/ganbook/tracker"
)

// sqlWriter translates filter and order trees into SQL over runSelect's
// tables (r: runs, e: experiments). Every value and key becomes a bound
// parameter; the SQL text comes only from the constants below.
type sqlWriter struct {
	b    strings.Builder
	args []any
	now  int64 // for statuses and end times of runs with a stale heartbeat
}

var sqlOps = map[tracker.CompareOp]string{
	tracker.Eq: "=", tracker.Ne: "!=", tracker.Lt: "<", tracker.Le: "<=", tracker.Gt: ">", tracker.Ge: ">=",
}

func (w *sqlWriter) arg(v any) {
	w.b.WriteByte('?')
	w.args = append(w.args, v)
}

// statusExpr is a run's status as of w.now: RUNNING with a stale heartbeat
// reads as KILLED.
func (w *sqlWriter) statusExpr() {
	w.b.WriteString("(CASE WHEN r.status = 'RUNNING' AND r.heartbeat_ms + r.heartbeat_timeout_ms < ")
	w.arg(w.now)
	w.b.WriteString(" THEN 'KILLED' ELSE r.status END)")
}

// endExpr is a run's end time as of w.now: a stale run ended at its last heartbeat.
func (w *sqlWriter) endExpr() {
	w.b.WriteString("(CASE WHEN r.status = 'RUNNING' AND r.heartbeat_ms + r.heartbeat_timeout_ms < ")
	w.arg(w.now)
	w.b.WriteString(" THEN r.heartbeat_ms ELSE r.end_ms END)")
}

// attribute writes the column expression of an attribute.
func (w *sqlWriter) attribute(name string) {
	switch name {
	case tracker.AttrStatus:
		w.statusExpr()
	case tracker.AttrName:
		w.b.WriteString("r.name")
	case tracker.AttrID:
		w.b.WriteString("r.id")
	case tracker.AttrExperiment:
		w.b.WriteString("e.name")
	case tracker.AttrStartTime:
		w.b.WriteString("r.start_ms")
	case tracker.AttrEndTime:
		w.endExpr()
	default: // ParseFilter admits no other attribute
		panic("tracker/sqlite: unknown attribute " + name)
	}
}

func (w *sqlWriter) expr(e tracker.Expr) {
	switch e := e.(type) {
	case *tracker.Logical:
		w.b.WriteByte('(')
		w.expr(e.Left)
		if e.Op == tracker.And {
			w.b.WriteString(" AND ")
		} else {
			w.b.WriteString(" OR ")
		}
		w.expr(e.Right)
		w.b.WriteByte(')')
	case *tracker.Condition:
		w.comparison(e)
	default:
		panic("tracker/sqlite: unknown filter node")
	}
}

func (w *sqlWriter) comparison(c *tracker.Condition) {
	op := sqlOps[c.Op]
	var value any = c.Value.Text
	if c.Value.IsNumber {
		value = c.Value.Number
	}
	switch c.Field.Kind {
	case tracker.FieldAttribute:
		w.b.WriteByte('(')
		w.attribute(c.Field.Key)
		w.b.WriteString(" " + op + " ")
		w.arg(value)
		w.b.WriteByte(')')
	case tracker.FieldParam:
		w.b.WriteString("EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.pk AND p.key = ")
		w.arg(c.Field.Key)
		if c.Value.IsNumber {
			w.b.WriteString(" AND p.num " + op + " ") // non-numeric values have num NULL: no match
		} else {
			w.b.WriteString(" AND p.value " + op + " ")
		}
		w.arg(value)
		w.b.WriteByte(')')
	case tracker.FieldMetric:
		w.b.WriteString("EXISTS (SELECT 1 FROM metric_summary m WHERE m.run_pk = r.pk AND m.key = ")
		w.arg(c.Field.Key)
		if c.Op == tracker.Ne {
			// NaN (stored as NULL) differs from every number, as in IEEE 754.
			w.b.WriteString(" AND (m.kind = 1 OR m.value != ")
			w.arg(value)
			w.b.WriteString("))")
			return
		}
		w.b.WriteString(" AND m.value " + op + " ")
		w.arg(value)
		w.b.WriteByte(')')
	case tracker.FieldTag:
		w.b.WriteString("EXISTS (SELECT 1 FROM tags t WHERE t.run_pk = r.pk AND t.key = ")
		w.arg(c.Field.Key)
		w.b.WriteString(" AND t.value " + op + " ")
		w.arg(value)
		w.b.WriteByte(')')
	}
}

// order writes one ORDER BY term; runs lacking the field come last either way.
func (w *sqlWriter) order(t tracker.OrderTerm) {
	dir := " ASC"
	if t.Desc {
		dir = " DESC"
	}
	sub := func(expr string) {
		w.b.WriteString(expr)
		w.arg(t.Field.Key)
		w.b.WriteString(")")
	}
	switch t.Field.Kind {
	case tracker.FieldAttribute:
		w.attribute(t.Field.Key)
		w.b.WriteString(" IS NULL, ")
		w.attribute(t.Field.Key)
		w.b.WriteString(dir)
	case tracker.FieldParam:
		// Numeric values first, in numeric order, then the others as text.
		sub("(SELECT p.value FROM params p WHERE p.run_pk = r.pk AND p.key = ")
		w.b.WriteString(" IS NULL, ")
		sub("(SELECT p.num FROM params p WHERE p.run_pk = r.pk AND p.key = ")
		w.b.WriteString(" IS NULL, ")
		sub("(SELECT p.num FROM params p WHERE p.run_pk = r.pk AND p.key = ")
		w.b.WriteString(dir + ", ")
		sub("(SELECT p.value FROM params p WHERE p.run_pk = r.pk AND p.key = ")
		w.b.WriteString(dir)
	case tracker.FieldMetric:
		// Missing and NaN (NULL) last.
		sub("(SELECT m.value FROM metric_summary m WHERE m.run_pk = r.pk AND m.key = ")
		w.b.WriteString(" IS NULL, ")
		sub("(SELECT m.value FROM metric_summary m WHERE m.run_pk = r.pk AND m.key = ")
		w.b.WriteString(dir)
	case tracker.FieldTag:
		sub("(SELECT t.value FROM tags t WHERE t.run_pk = r.pk AND t.key = ")
		w.b.WriteString(" IS NULL, ")
		sub("(SELECT t.value FROM tags t WHERE t.run_pk = r.pk AND t.key = ")
		w.b.WriteString(dir)
	}
}
