package cli

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// reportOptions shape the readable scan report.
type reportOptions struct {
	// TopEntities is how many members of each group to show.
	TopEntities int
	// HideDuration prints no timing (for golden files).
	HideDuration bool
	// Registry names the checks.
	Registry *proactive.Registry
	// Style colours severities and headings (off: plain text).
	Style termtext.Style
}

// renderScan writes a report a person reads at a glance: per group its
// severity, urgency, title and top entities with their recommended
// action, then the insights and predictions, skipped rows and errors.
func renderScan(w io.Writer, res proactive.ScanResult, o reportOptions) {
	p := func(format string, args ...any) { termtext.Fprintf(w, format, args...) }
	st := o.Style
	timing := ""
	if !o.HideDuration {
		timing = fmt.Sprintf(" in %d ms", res.DurationMS)
	}
	mode := ""
	if res.DryRun {
		mode = " (dry run: nothing stored)"
	}
	p("%s%s%s\n", st.Bold("Scan at "+res.Now), timing, mode)
	var tallies []string
	for _, e := range res.Breakdown {
		if c, ok := o.Registry.Lookup(e.Type); ok && c.Text.Tally != nil {
			tallies = append(tallies, c.Text.Tally(e.Count))
		} else {
			tallies = append(tallies, fmt.Sprintf("%d %s", e.Count, e.Key))
		}
	}
	if len(tallies) > 0 {
		p("  %s: %s\n", termtext.Count(res.AnomaliesDetected, "anomaly"), strings.Join(tallies, ", "))
	} else {
		p("  %s\n", termtext.Count(res.AnomaliesDetected, "anomaly"))
	}
	if !res.DryRun {
		p("  %s: %s saved (%d escalated), %s skipped\n", termtext.Count(res.AlertGroupsCount, "alert group"),
			termtext.Count(res.AlertsSaved, "alert"), res.AlertsEscalated, termtext.Count(res.DuplicatesSkipped, "duplicate"))
	} else {
		p("  %s\n", termtext.Count(res.AlertGroupsCount, "alert group"))
	}
	if res.ReadFrom != "" {
		p("  read from the %s\n", res.ReadFrom)
	}
	for _, w := range res.Warnings {
		p("  warning: %s\n", w)
	}
	switch {
	case len(res.Groups) > 0:
	case len(res.Errors) > 0:
		p("\nNo anomalies detected by the checks that ran; %s could not run (below). Run 'ptd-proactive doctor'.\n", termtext.Count(len(res.Errors), "check"))
	default:
		p("\nNo anomalies detected. If you expected some, run 'ptd-proactive doctor'.\n")
	}
	for i, g := range res.Groups {
		title := ""
		saved := ""
		if i < len(res.AlertGroups) {
			title = res.AlertGroups[i].Title
			if res.AlertGroups[i].Saved != "" {
				saved = "  [" + string(res.AlertGroups[i].Saved) + "]"
			}
		}
		p("\n%s  urgency %3d/100  %s%s\n", st.Severity(string(g.Severity), fmt.Sprintf("%-8s", strings.ToUpper(string(g.Severity)))), g.Urgency, st.Bold(title), saved)
		members := g.Members()
		n := min(o.TopEntities, len(members))
		for _, m := range members[:n] {
			p("  - %s  (%s, %d/100)\n", m.Entity, st.Severity(string(m.Severity), string(m.Severity)), m.UrgencyScore)
			p("    %s\n", m.RecommendedAction)
		}
		if len(members) > n {
			p("  … and %d more\n", len(members)-n)
		}
	}
	if len(res.Insights) > 0 {
		p("\n%s\n", st.Bold("Insights"))
		for _, s := range res.Insights {
			p("  • %s\n", s)
		}
	}
	if len(res.Predictions) > 0 {
		p("\n%s\n", st.Bold("Predictions"))
		for _, s := range res.Predictions {
			p("  • %s\n", s)
		}
	}
	if rows, total := proactive.SkippedPerTable(res.SkippedRows); total > 0 {
		// One bad row read by several checks is one row: counted per table.
		var parts []string
		prev := ""
		for _, s := range rows {
			if where := cmp.Or(s.Table, s.Monitor); where != prev {
				parts = append(parts, fmt.Sprintf("%s: %d %s", where, s.Count, s.Reason))
				prev = where
				continue
			}
			parts[len(parts)-1] += fmt.Sprintf(", %d %s", s.Count, s.Reason)
		}
		p("\nSkipped %s that make%s no sense (%s)\n", termtext.Count(total, "row"), termtext.Noun(total, "s", ""), strings.Join(parts, "; "))
	}
	if len(res.Errors) > 0 {
		p("\n%s\n", st.Paint(termtext.Red, "Checks that could not run:"))
		for _, e := range res.Errors {
			p("  ! %s: %s\n", e.Monitor, e.Error)
		}
	}
}
