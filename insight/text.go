package insight

import (
	"fmt"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// maxRelatedInContent is how many related issues Content lists by name.
const maxRelatedInContent = 5

// Title is the alert title of a group (CONTRACT §4, §11.10), as the group's
// check writes it.
func Title(c proactive.Check, g proactive.AlertGroup) string {
	return c.Text.Title(g.AffectedCount, &g.Primary)
}

// Summary is the one-line summary of an alert: "health drop: <entity>.
// Urgency 85/100" for one member, and for more, say, "5 clients with health
// score drops; most urgent: <entity> (dropped 27 points). Urgency 85/100".
// The urgency is the group's combined urgency.
func Summary(c proactive.Check, g proactive.AlertGroup) string {
	if g.AffectedCount <= 1 {
		return fmt.Sprintf("%s: %s. Urgency %d/100", c.Noun, g.Primary.Entity, g.Urgency)
	}
	return fmt.Sprintf("%s; most urgent: %s (%s). Urgency %d/100", c.Text.Many(g.AffectedCount), g.Primary.Entity, c.Text.Figure(&g.Primary), g.Urgency)
}

// Content is the body of an alert, markdown-ish sections separated by a
// blank line, each left out when empty: the primary alert, the related
// issues (the first 5, then "… and N more"), the analysis and predicted
// impact of the group's type from a, and the primary's recommended action.
func Content(c proactive.Check, g proactive.AlertGroup, a Analysis) string {
	var sections []string
	sections = append(sections, "**Primary Alert:**\n"+c.Text.Describe(&g.Primary))
	if n := g.RelatedCount(); n > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "**Related Issues (%d):**", n)
		for i := range g.Related[:min(len(g.Related), maxRelatedInContent)] {
			r := &g.Related[i]
			fmt.Fprintf(&b, "\n- %s (%s, urgency %d/100, %s)", r.Entity, r.Severity, r.UrgencyScore, c.Text.Figure(r))
		}
		if more := n - maxRelatedInContent; more > 0 {
			fmt.Fprintf(&b, "\n… and %d more", more)
		}
		sections = append(sections, b.String())
	}
	insights, predictions := a.For(g.Type)
	if s := bullets("**Analysis:**", insights); s != "" {
		sections = append(sections, s)
	}
	if s := bullets("**Predicted Impact:**", predictions); s != "" {
		sections = append(sections, s)
	}
	if action := strings.TrimSpace(g.Primary.RecommendedAction); action != "" {
		sections = append(sections, "**Recommended Action:**\n"+action)
	}
	return strings.Join(sections, "\n\n")
}

// bullets is a heading followed by one "- " line per item, or "" for none.
func bullets(heading string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return heading + "\n- " + strings.Join(items, "\n- ")
}
