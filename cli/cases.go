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
	"github.com/ptd-agents/ptd-proactive/internal/csvout"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

type casesFlags struct {
	state, typ, owner, search, now string
	json, csv                      bool
}

func (a *app) casesCommand() *cobra.Command {
	var f casesFlags
	cmd := &cobra.Command{
		Use:   "cases",
		Short: "List the risk desk's cases, most urgent first",
		Long: `List cases: one tracked risk per client, deal, integration, lead or coach.
By default the unresolved ones (open, acknowledged, snoozed), ordered by urgency
(highest first), then when they opened, then key. --state selects one state, or
silenced (unresolved cases an active silence matches) or all. --search matches the
key or the label, ignoring case.

--json prints an array of ptd_cases rows (column names as keys) with "silenced";
--csv prints the same as CSV, one case per row.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runCases(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.state, "state", "", "open, acknowledged, snoozed, resolved, silenced or all; default: unresolved (env PTD_STATE)")
	fl.StringVar(&f.typ, "type", "", "only this check's cases, e.g. health_drop (env PTD_TYPE)")
	fl.StringVar(&f.owner, "owner", "", "only this owner's cases, ignoring case (env PTD_OWNER)")
	fl.StringVar(&f.search, "search", "", "only cases whose key or label contains this, ignoring case (env PTD_SEARCH)")
	fl.BoolVar(&f.json, "json", false, "print JSON (env PTD_JSON)")
	fl.BoolVar(&f.csv, "csv", false, "print CSV with the JSON keys as header (env PTD_CSV)")
	fl.StringVar(&f.now, "now", "", "judge silences at this time instead of the current time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

func (a *app) runCases(ctx context.Context, f casesFlags) error {
	if err := jsonCSV(f.json, f.csv); err != nil {
		return err
	}
	var cs []proactive.CaseView
	err := a.withDesk(ctx, f.now, func(ctx context.Context, svc *desk.Service, now time.Time) error {
		var err error
		if cs, err = svc.ListCases(ctx, desk.CaseFilter{State: f.state, Type: f.typ, Owner: f.owner, Search: f.search}, now); err != nil {
			return fmt.Errorf("list cases: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []proactive.CaseView{}
	}
	switch {
	case f.json:
		return writeJSON(a.io.Stdout, cs)
	case f.csv:
		return csvout.Write(a.io.Stdout, caseCSVColumns(), cs)
	}
	if len(cs) == 0 {
		what := "unresolved cases"
		switch st := strings.ToLower(strings.TrimSpace(f.state)); st {
		case "":
		case "all":
			what = "cases"
		default:
			what = st + " cases"
		}
		if f.typ != "" || f.owner != "" || f.search != "" {
			what += " match the filters"
		}
		termtext.Fprintf(a.io.Stdout, "No %s.\n", what)
		return nil
	}
	t := newTable(a.io.Stdout, a.style, "")
	t.header("ID", "STATE", "SEVERITY", "URGENCY", "TYPE", "KEY", "LABEL", "OWNER", "OPENED")
	byState := map[string]int{}
	for _, c := range cs {
		state := string(c.State)
		if c.Silenced {
			state += ", silenced"
		}
		byState[string(c.State)]++
		t.row(shortID(c.ID), state, a.style.Severity(string(c.Severity), string(c.Severity)), c.Urgency,
			string(c.Type), c.Key, c.Label, orDash(c.Owner), clock(c.OpenedAt))
	}
	if err := t.flush(); err != nil {
		return err
	}
	var parts []string
	for _, s := range proactive.CaseStates() {
		if n := byState[string(s)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	termtext.Fprintf(a.io.Stdout, "\n%s (%s).\n", termtext.Count(len(cs), "case"), strings.Join(parts, ", "))
	return nil
}

// caseCSVColumns is the CSV header of cases: the JSON keys.
func caseCSVColumns() []string { return append(proactive.CaseColumns(), "silenced") }

func (a *app) caseCommand() *cobra.Command {
	var (
		asJSON bool
		now    string
	)
	cmd := &cobra.Command{
		Use:   "case ID|KEY",
		Short: "Show one case and its history",
		Long: `Show one case: its fields and its history, oldest event first. Name it by its id,
a unique id prefix of 6 or more characters, or its key (health_drop:jane@example.com),
which shows the key's unresolved case, else its newest.

--json prints the case as in 'cases --json' with "events".`,
		Args: exactlyArgs("case", "one case id, id prefix or key", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDesk(cmd.Context(), now, func(ctx context.Context, svc *desk.Service, t time.Time) error {
				d, err := svc.GetCase(ctx, args[0], t)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.io.Stdout, d)
				}
				return writeCase(a.io.Stdout, a.style, d)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	cmd.Flags().StringVar(&now, "now", "", "judge silences at this time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

// writeCase prints a case and its history for people.
func writeCase(w io.Writer, st termtext.Style, d desk.CaseDetail) error {
	c := d.Case
	t := newTable(w, st, "")
	row := func(k string, v any) { t.row(k, v) }
	row("Case", c.ID)
	row("Key", c.Key)
	row("Label", c.Label)
	state := string(c.State)
	switch c.State {
	case proactive.CaseAcknowledged:
		state += " by " + orDash(c.AcknowledgedBy) + " at " + clockPtr(c.AcknowledgedAt) + " (at " + orDash(c.AckSeverity) + ")"
	case proactive.CaseSnoozed:
		state += " until " + clockPtr(c.SnoozedUntil)
		if c.SnoozeReason != "" {
			state += ": " + c.SnoozeReason
		}
	case proactive.CaseResolved:
		state += " at " + clockPtr(c.ResolvedAt) + " (" + orDash(c.ResolveReason) + ")"
	}
	if d.Silenced {
		state += "; silenced"
	}
	row("State", state)
	row("Severity", termtext.Styled(fmt.Sprintf("%s (peak %s), urgency %d", st.Severity(string(c.Severity), string(c.Severity)),
		st.Severity(string(c.PeakSeverity), string(c.PeakSeverity)), c.Urgency)))
	row("Opened", clock(c.OpenedAt))
	row("Last seen", clock(c.LastSeenAt))
	row("Owner", orDash(c.Owner))
	if c.InhibitedBy != "" {
		row("Inhibited by", c.InhibitedBy)
	}
	if c.Note != "" {
		row("Note", c.Note)
	}
	if c.PreviousCaseID != "" {
		row("Previous case", c.PreviousCaseID)
	}
	if len(c.Details) > 0 {
		row("Details", string(c.Details))
	}
	if err := t.flush(); err != nil {
		return err
	}
	termtext.Fprintf(w, "\n%s (%s, oldest first):\n", st.Bold("History"), termtext.Count(len(d.Events), "event"))
	return writeEvents(w, st, d.Events, "")
}

// writeEvents prints events as a table, each line after indent.
func writeEvents(w io.Writer, st termtext.Style, evs []proactive.CaseEvent, indent string) error {
	t := newTable(w, st, indent)
	t.header("SEQ", "AT", "EVENT", "ACTOR", "SEVERITY", "NOTE")
	for _, e := range evs {
		t.row(e.Seq, clock(e.At), string(e.Kind), orDash(e.Actor), st.Severity(string(e.Severity), orDash(e.Severity)), e.Note)
	}
	return t.flush()
}
