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

type alertsFlags struct {
	priority string
	typ      string
	limit    int
	json     bool
	csv      bool
	now      string
}

func (a *app) alertsCommand() *cobra.Command {
	var f alertsFlags
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List active alerts (not dismissed, not expired), most urgent first",
		Long: `List active alerts, ordered critical > high > medium > low, then newest first.
--json prints an array of proactive_insights rows (column names as keys); --csv the
same rows as CSV (JSON columns as JSON text).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unexpected argument %q: alerts takes flags only, or the command show ID", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAlerts(cmd.Context(), f) },
	}
	cmd.AddCommand(a.alertShowCommand())
	fl := cmd.Flags()
	fl.StringVar(&f.priority, "priority", "", "only this priority: critical, high, medium or low (env PTD_PRIORITY)")
	fl.StringVar(&f.typ, "type", "", "only this check's alerts: "+a.reg.TypeList()+" (env PTD_TYPE)")
	fl.IntVar(&f.limit, "limit", 0, "at most this many alerts; 0 for all (env PTD_LIMIT)")
	fl.BoolVar(&f.json, "json", false, "print JSON (env PTD_JSON)")
	fl.BoolVar(&f.csv, "csv", false, "print CSV with the JSON keys as header (env PTD_CSV)")
	fl.StringVar(&f.now, "now", "", "judge expiry at this time instead of the current time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

func (a *app) runAlerts(ctx context.Context, f alertsFlags) error {
	if err := jsonCSV(f.json, f.csv); err != nil {
		return err
	}
	filter := proactive.AlertFilter{Limit: f.limit}
	if f.limit < 0 {
		return usageError{fmt.Errorf("--limit %d: use 0 (all) or a positive number", f.limit)}
	}
	if f.priority != "" {
		p, err := proactive.ParseSeverity(strings.ToLower(f.priority))
		if err != nil {
			return usageError{fmt.Errorf("--priority: %s", proactive.ErrorMessage(err))}
		}
		filter.Priority = p
	}
	if f.typ != "" {
		t, err := a.reg.ParseType(strings.ToLower(f.typ))
		if err != nil {
			return usageError{fmt.Errorf("--type: %s", proactive.ErrorMessage(err))}
		}
		filter.Type = t
	}
	now, err := parseNow(f.now)
	if err != nil {
		return err
	}
	filter.Now = now
	_, st, err := a.session(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	alerts, err := st.ListAlerts(ctx, filter)
	if err != nil {
		return fmt.Errorf("list alerts: %w", err)
	}
	if alerts == nil {
		alerts = []proactive.Alert{}
	}
	switch {
	case f.json:
		return writeJSON(a.io.Stdout, alerts)
	case f.csv:
		return writeAlertsCSV(a.io.Stdout, alerts)
	}
	if len(alerts) == 0 {
		termtext.Fprintln(a.io.Stdout, "No active alerts.")
		return nil
	}
	t := newTable(a.io.Stdout, a.style, "")
	t.header("ID", "PRIORITY", "URGENCY", "TYPE", "AFFECTED", "AGE", "TITLE")
	for _, al := range alerts {
		t.row(al.ID, a.style.Severity(string(al.Priority), string(al.Priority)), fmt.Sprintf("%d/100", al.AffectedEntities.UrgencyScore),
			string(al.AffectedEntities.Type), al.AffectedEntities.Count, humanAge(now.Sub(al.CreatedAt)), al.Title)
	}
	return t.flush()
}

// writeAlertsCSV writes alerts as CSV, the JSON keys as header.
func writeAlertsCSV(w io.Writer, alerts []proactive.Alert) error {
	cols, err := csvout.Keys(proactive.Alert{})
	if err != nil {
		return err
	}
	return csvout.Write(w, cols, alerts)
}

func (a *app) dismissCommand() *cobra.Command {
	var (
		asJSON    bool
		by, nowAt string
	)
	cmd := &cobra.Command{
		Use:   "dismiss ID",
		Short: "Dismiss one alert and acknowledge the cases it holds",
		Long: `Dismiss an alert: it leaves the active list, and the unresolved cases it holds that
are open or snoozed are acknowledged (by --by, default cli). Dismissing again
succeeds and changes nothing.`,
		Args: exactlyArgs("dismiss", "exactly one alert id (see 'ptd-proactive alerts')", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDesk(cmd.Context(), nowAt, func(ctx context.Context, svc *desk.Service, now time.Time) error {
				al, acked, err := svc.Dismiss(ctx, args[0], by, now)
				if err != nil {
					return fmt.Errorf("dismiss alert %s: %w", args[0], err)
				}
				if asJSON {
					return writeJSON(a.io.Stdout, desk.NewDismissResult(al, acked))
				}
				termtext.Fprintf(a.io.Stdout, "Dismissed alert %s.\n", al.ID)
				if len(acked) > 0 {
					termtext.Fprintf(a.io.Stdout, "Acknowledged %s it holds:\n", termtext.Count(len(acked), "case"))
					for _, c := range acked {
						termtext.Fprintf(a.io.Stdout, "  %s  %s\n", shortID(c.ID), termtext.Line(c.Key))
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: {id, dismissed, acknowledged} (env PTD_JSON)")
	cmd.Flags().StringVar(&by, "by", "", "who dismisses, recorded on the acknowledged cases; default cli (env PTD_BY)")
	cmd.Flags().StringVar(&nowAt, "now", "", "act at this time instead of the current time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

func (a *app) migrateCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create whatever tables and indexes are missing; never drops or rewrites data",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			_, st, err := a.session(ctx, false)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := st.Migrate(ctx)
			if err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			if rep.Created == nil {
				rep.Created = []string{}
			}
			if rep.Warnings == nil {
				rep.Warnings = []string{}
			}
			if asJSON {
				return writeJSON(a.io.Stdout, rep)
			}
			if len(rep.Created) == 0 {
				termtext.Fprintln(a.io.Stdout, "Nothing to do: every table and index exists.")
			}
			for _, c := range rep.Created {
				termtext.Fprintln(a.io.Stdout, "created", c)
			}
			for _, w := range rep.Warnings {
				termtext.Fprintln(a.io.Stdout, "warning:", w)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	return cmd
}
