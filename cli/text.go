package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// What human output shares: aligned tables that may hold coloured cells,
// and durations for people. Counts go through termtext.Count ("1 row",
// "2 rows") everywhere.

// table writes aligned columns: a header in bold, then rows. Every cell is
// painted (termtext.Style), plain ones too, so that with colour on each
// cell carries the same invisible bytes and the columns stay aligned.
type table struct {
	tw     *tabwriter.Writer
	style  termtext.Style
	indent string
}

// newTable starts a table on w, each line after indent.
func newTable(w io.Writer, style termtext.Style, indent string) *table {
	return &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0), style: style, indent: indent}
}

// header writes the column names, in bold.
func (t *table) header(names ...string) {
	cells := make([]any, len(names))
	for i, n := range names {
		cells[i] = t.style.Bold(n)
	}
	t.row(cells...)
}

// row writes one row. A cell is a termtext.Styled (written as it is), a
// string (escaped to one line) or any other value (as fmt.Sprint writes
// it).
func (t *table) row(cells ...any) {
	termtext.Fprintf(t.tw, "%s", t.indent)
	for i, c := range cells {
		var s termtext.Styled
		switch v := c.(type) {
		case termtext.Styled:
			s = v
		case string:
			s = t.style.Paint(termtext.Plain, v)
		default:
			s = t.style.Paint(termtext.Plain, fmt.Sprint(v))
		}
		sep := "\t"
		if i == len(cells)-1 {
			sep = "\n"
		}
		termtext.Fprintf(t.tw, "%s%s", s, sep)
	}
}

// flush writes the table out.
func (t *table) flush() error { return t.tw.Flush() }

// humanAge renders an age coarsely for a table column: 40m, 5h, 3d; "in
// 3d" for a time after now.
func humanAge(d time.Duration) string {
	if d < 0 {
		return "in " + humanAge(-d)
	}
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// humanDuration renders a duration for a sentence: "less than a minute",
// "1 minute", "40 minutes", "5 hours" (under two days), "3 days". A
// negative duration is rendered as its length.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return termtext.Count(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return termtext.Count(int(d/time.Hour), "hour")
	}
	return termtext.Count(int(d/(24*time.Hour)), "day")
}

// futureRows says that rows rows are dated after now, the latest by ahead,
// and what that costs: "2 rows are dated in the future, up to 3 hours
// ahead: the checks skip them until then" (doctor's warning, import's
// summary).
func futureRows(rows int, ahead time.Duration) string {
	return fmt.Sprintf("%s dated in the future, up to %s ahead: the checks skip %s until then",
		termtext.Count(rows, "row is", "rows are"), humanDuration(ahead), termtext.Noun(rows, "it", "them"))
}
