package nb

import (
	"fmt"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
)

// Table formats a Markdown table with the given header and rows.
func Table(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// DisplayTable shows a Markdown table in the cell's output (and prints it outside a notebook).
func DisplayTable(header []string, rows [][]string) {
	t := Table(header, rows)
	if !gonbui.IsNotebook {
		fmt.Fprint(Out, t)
		return
	}
	gonbui.DisplayMarkdown(t)
}
