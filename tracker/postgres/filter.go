package postgres

import (
	"strconv"
	"strings"

	"github.com/ganbook/ganbook/tracker"
)

// sqlWriter translates filter and order trees into SQL over runSelect's
// tables (r: runs, e: experiments). Every value and key becomes a bound
// parameter, typed by a cast; the SQL text comes only from the constants
// below.
type sqlWriter struct {
	b    strings.Builder
	args []any
	now  int64 // for statuses and end times of runs with a stale heartbeat
}

var sqlOps = map[tracker.CompareOp]string{
	tracker.Eq: "=", tracker.Ne: "<>", tracker.Lt: "<", tracker.Le: "<=", tracker.Gt: ">", tracker.Ge: ">=",
}

// arg writes the next parameter placeholder with a cast to its type.
func (w *sqlWriter) arg(v any, cast string) {
	w.args = append(w.args, v)
	w.b.WriteString("$" + strconv.Itoa(len(w.args)) + cast)
}

// value writes a filter value: a float8 for numbers, text otherwise.
func (w *sqlWriter) value(v tracker.Value) {
	if v.IsNumber {
		w.arg(v.Number, "::float8")
	} else {
		w.arg(v.Text, "::text")
	}
}

// statusExpr is a run's status as of w.now: RUNNING with a stale heartbeat
// reads as KILLED.
func (w *sqlWriter) statusExpr() {
	w.b.WriteString("(CASE WHEN r.status = 'RUNNING' AND r.heartbeat_ms + r.heartbeat_timeout_ms < ")
	w.arg(w.now, "::int8")
	w.b.WriteString(" THEN 'KILLED' ELSE r.status END)")
}

// endExpr is a run's end time as of w.now: a stale run ended at its last heartbeat.
func (w *sqlWriter) endExpr() {
	w.b.WriteString("(CASE WHEN r.status = 'RUNNING' AND r.heartbeat_ms + r.heartbeat_timeout_ms < ")
	w.arg(w.now, "::int8")
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
		panic("tracker/postgres: unknown attribute " + name)
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
		panic("tracker/postgres: unknown filter node")
	}
}

func (w *sqlWriter) comparison(c *tracker.Condition) {
	op := sqlOps[c.Op]
	switch c.Field.Kind {
	case tracker.FieldAttribute:
		w.b.WriteByte('(')
		w.attribute(c.Field.Key)
		w.b.WriteString(" " + op + " ")
		w.value(c.Value)
		w.b.WriteByte(')')
	case tracker.FieldParam:
		w.b.WriteString("EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.pk AND p.key = ")
		w.arg(c.Field.Key, "::text")
		if c.Value.IsNumber {
			w.b.WriteString(" AND p.num " + op + " ") // non-numeric values have num NULL: no match
		} else {
			w.b.WriteString(" AND p.value " + op + " ")
		}
		w.value(c.Value)
		w.b.WriteByte(')')
	case tracker.FieldMetric:
		w.b.WriteString("EXISTS (SELECT 1 FROM metric_summary m WHERE m.run_pk = r.pk AND m.key = ")
		w.arg(c.Field.Key, "::text")
		if c.Op == tracker.Ne {
			// NaN differs from every number, as in IEEE 754 (and in PostgreSQL).
			w.b.WriteString(" AND m.value <> ")
		} else {
			// PostgreSQL takes NaN as equal to itself and above every
			// number; IEEE 754, and the tracker, take it as unordered.
			w.b.WriteString(" AND m.value <> 'NaN' AND m.value " + op + " ")
		}
		w.value(c.Value)
		w.b.WriteByte(')')
	case tracker.FieldTag:
		w.b.WriteString("EXISTS (SELECT 1 FROM tags t WHERE t.run_pk = r.pk AND t.key = ")
		w.arg(c.Field.Key, "::text")
		w.b.WriteString(" AND t.value " + op + " ")
		w.value(c.Value)
		w.b.WriteByte(')')
	}
}

// order writes one ORDER BY term; runs lacking the field come last either
// way, and so do NaN metrics.
func (w *sqlWriter) order(t tracker.OrderTerm) {
	dir := " ASC"
	if t.Desc {
		dir = " DESC"
	}
	sub := func(expr string) {
		w.b.WriteString(expr)
		w.arg(t.Field.Key, "::text")
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
		// Missing and NaN last, NaN and missing alike.
		sub("(SELECT nullif(m.value, 'NaN') FROM metric_summary m WHERE m.run_pk = r.pk AND m.key = ")
		w.b.WriteString(" IS NULL, ")
		sub("(SELECT nullif(m.value, 'NaN') FROM metric_summary m WHERE m.run_pk = r.pk AND m.key = ")
		w.b.WriteString(dir)
	case tracker.FieldTag:
		sub("(SELECT t.value FROM tags t WHERE t.run_pk = r.pk AND t.key = ")
		w.b.WriteString(" IS NULL, ")
		sub("(SELECT t.value FROM tags t WHERE t.run_pk = r.pk AND t.key = ")
		w.b.WriteString(dir)
	}
}
