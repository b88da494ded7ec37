package web

import (
	"html/template"
	"regexp"
	"strings"
	"time"

	"github.com/ganbook/ganbook/tracker"
)

// parsePages parses each page template together with the layout.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"statusClass": func(s string) string { return "status-" + strings.ToLower(s) },
		"inc":         func(i int) int { return i + 1 },
		"dec":         func(i int) int { return i - 1 },
		"breakable":   breakable,
		"sweepURL":    sweepURL,
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"runs", "run", "compare", "sweeps", "sweep", "error"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html"))
	}
	return pages
}

// formatFloat writes a metric value as the CLI does (tracker.FormatMetric).
func formatFloat(v float64) string { return tracker.FormatMetric(v) }

const timeLayout = "2006-01-02 15:04:05"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(timeLayout)
}

// formatDuration writes a duration as the CLI does (tracker.FormatDuration).
var formatDuration = tracker.FormatDuration

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fieldName writes a params/metrics/tags field in the filter syntax,
// backquoting keys that are not plain identifiers. ok is false for a key
// the syntax cannot name (one holding a backquote).
func fieldName(prefix, key string) (string, bool) {
	if plainKey.MatchString(key) {
		return prefix + "." + key, true
	}
	if strings.Contains(key, "`") {
		return "", false
	}
	return prefix + ".`" + key + "`", true
}

// breakable escapes a column label and lets it wrap after its underscores,
// dots and slashes (images_per_sec), so that long keys do not widen the
// runs table.
func breakable(s string) template.HTML {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '_' || r == '.' || r == '/' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}
