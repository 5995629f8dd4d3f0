package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
	"github.com/ptd-agents/ptd-proactive/notify"
)

func (a *app) alertShowCommand() *cobra.Command {
	var (
		asJSON bool
		nowAt  string
	)
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one alert in full: texts, action items with their entities, cases, times",
		Long: `Show one alert, active or not (dismissed, expired, resolved): its title, priority
and urgency, summary, content, each action item with the entity it is about, the
affected entities, the cases it holds (with their state), and when it was created,
expires and was resolved. --json prints the row as 'alerts --json' does.`,
		Args: exactlyArgs("alerts show", "one alert id (see 'ptd-proactive alerts')", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDesk(cmd.Context(), nowAt, func(ctx context.Context, svc *desk.Service, now time.Time) error {
				al, cases, err := svc.Alert(ctx, strings.TrimSpace(args[0]))
				if err != nil {
					return fmt.Errorf("show alert %s: %w", args[0], err)
				}
				if asJSON {
					return writeJSON(a.io.Stdout, al)
				}
				return writeAlert(a.io.Stdout, a.style, al, cases, now)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the proactive_insights row as JSON (env PTD_JSON)")
	cmd.Flags().StringVar(&nowAt, "now", "", "judge whether it is active or expired at this time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

// alertStatus says where an alert stands at now: resolved, dismissed,
// expired or active.
func alertStatus(al proactive.Alert, now time.Time) string {
	switch {
	case al.ResolvedAt != nil:
		return "resolved: every case it holds is resolved"
	case al.IsDismissed:
		return "dismissed"
	case al.ExpiresAt != nil && !al.ExpiresAt.After(now):
		return "expired"
	}
	return "active"
}

// writeAlert prints one alert in full for people, with the cases it holds
// (cases, as the store has them).
func writeAlert(w io.Writer, st termtext.Style, al proactive.Alert, cases []proactive.Case, now time.Time) error {
	termtext.Fprintf(w, "%s\n\n", st.Bold(al.Title))
	t := newTable(w, st, "")
	t.row("Alert", al.ID)
	t.row("Priority", termtext.Styled(fmt.Sprintf("%s, urgency %d/100", st.Severity(string(al.Priority), string(al.Priority)), al.AffectedEntities.UrgencyScore)))
	ae := al.AffectedEntities
	t.row("Affected", fmt.Sprintf("%s (%s)", termtext.Count(ae.Count, "entity", "entities"), ae.Type))
	if v, ok := notify.RevenueAtRisk(al); ok {
		t.row("Revenue at risk", fmt.Sprintf("%.2f", v))
	}
	t.row("Status", alertStatus(al, now))
	t.row("Created", clock(al.CreatedAt)+" ("+relative(al.CreatedAt, now)+")")
	if al.ExpiresAt != nil {
		t.row("Expires", clock(*al.ExpiresAt)+" ("+relative(*al.ExpiresAt, now)+")")
	} else {
		t.row("Expires", "never")
	}
	t.row("Resolved", clockPtr(al.ResolvedAt))
	t.row("Dedup key", al.DedupKey)
	if err := t.flush(); err != nil {
		return err
	}

	if strings.TrimSpace(al.Summary) != "" {
		termtext.Fprintf(w, "\n%s\n  %s\n", st.Bold("Summary"), termtext.Line(al.Summary))
	}
	if strings.TrimSpace(al.Content) != "" {
		termtext.Fprintf(w, "\n%s\n", st.Bold("Content"))
		writeContent(w, st, al.Content, "  ")
	}

	if len(al.ActionItems) > 0 {
		termtext.Fprintf(w, "\n%s (%s, most urgent first)\n", st.Bold("Action items"), termtext.Count(len(al.ActionItems), "item"))
		for i, item := range al.ActionItems {
			who := al.ActionEntity(i)
			if who == "" {
				who = "(entity not listed)"
			}
			termtext.Fprintf(w, "  %d. %s  (%s, %d/100)\n", i+1, termtext.Line(who),
				st.Severity(string(item.Priority), string(item.Priority)), item.UrgencyScore)
			termtext.Fprintf(w, "     %s\n", termtext.Line(item.Action))
		}
	}
	// Entities beyond the action items (none in the alerts ptd-proactive
	// writes, which list the same first 10) and those the alert leaves out.
	if extra := ae.Entities[min(len(al.ActionItems), len(ae.Entities)):]; len(extra) > 0 {
		termtext.Fprintf(w, "\n%s\n", st.Bold("Other affected entities"))
		for _, e := range extra {
			termtext.Fprintf(w, "  - %s\n", termtext.Line(e))
		}
	}
	if more := ae.Count - len(ae.Entities); more > 0 {
		termtext.Fprintf(w, "  … and %d more %s not listed in the alert (see 'ptd-proactive cases --type %s')\n", more, termtext.Noun(more, "entity", "entities"), ae.Type)
	}

	held := lifecycle.CaseIDsOf(al)
	if len(held) > 0 {
		termtext.Fprintf(w, "\n%s (%s)\n", st.Bold("Cases held"), termtext.Count(len(held), "case"))
		found := map[string]bool{}
		ct := newTable(w, st, "  ")
		ct.header("ID", "STATE", "SEVERITY", "KEY", "LABEL")
		for _, c := range cases {
			found[c.ID] = true
			ct.row(c.ID, string(c.State), st.Severity(string(c.Severity), string(c.Severity)), c.Key, c.Label)
		}
		for _, id := range held {
			if !found[id] {
				ct.row(id, "-", st.Paint(termtext.Plain, "-"), "(no such case)", "-")
			}
		}
		if err := ct.flush(); err != nil {
			return err
		}
	}
	if ids := stringsOf(al.SourceData[lifecycle.SourceInhibitedCaseIDs]); len(ids) > 0 {
		termtext.Fprintf(w, "\n%s (%s, held back by an inhibit rule)\n", st.Bold("Inhibited cases"), termtext.Count(len(ids), "case"))
		for _, id := range ids {
			termtext.Fprintf(w, "  %s\n", termtext.Line(id))
		}
	}
	return nil
}

// stringsOf reads a JSON list of strings; nil for anything else.
func stringsOf(v any) []string {
	l, ok := v.([]any)
	if !ok {
		s, _ := v.([]string)
		return s
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// relative says when t is from now: "3 hours ago", "in 2 days", "now".
func relative(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d > -time.Minute && d < time.Minute:
		return "now"
	case d < 0:
		return humanDuration(d) + " ago"
	}
	return "in " + humanDuration(d)
}

// writeContent writes an alert's content for a terminal. The content is
// Markdown as the alert texts write it: "**Heading:**" lines, "- " items,
// plain lines. Headings lose their asterisks and are bold, items become
// bullets, everything is indented under indent.
func writeContent(w io.Writer, st termtext.Style, content, indent string) {
	for _, line := range strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			termtext.Fprintln(w)
		case strings.HasPrefix(trimmed, "**") && strings.HasSuffix(trimmed, "**") && len(trimmed) > 4:
			termtext.Fprintf(w, "%s%s\n", indent, st.Bold(strings.TrimSuffix(strings.TrimPrefix(trimmed, "**"), "**")))
		case strings.HasPrefix(trimmed, "- "), strings.HasPrefix(trimmed, "* "):
			termtext.Fprintf(w, "%s  • %s\n", indent, termtext.Line(strings.TrimSpace(trimmed[2:])))
		default:
			termtext.Fprintf(w, "%s  %s\n", indent, termtext.Line(trimmed))
		}
	}
}
