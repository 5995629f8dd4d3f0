package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/internal/redact"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// Finding is one line of the doctor's diagnosis (`doctor --json` prints
// them under "findings").
type Finding struct {
	// Level is ok, warning or problem; a problem stops a check from running
	// and makes doctor exit 1.
	Level string `json:"level"`
	// Table is the table the finding is about; "" for the database as a whole.
	Table string `json:"table,omitempty"`
	// Message says what was found.
	Message string `json:"message"`
	// Fix says what to do about it; "" when nothing needs doing.
	Fix string `json:"fix,omitempty"`
}

// diagnosis is the doctor's answer (--json prints it).
type diagnosis struct {
	Database string                  `json:"database"`
	Tables   []proactive.TableReport `json:"tables"`
	Findings []Finding               `json:"findings"`
	Problems int                     `json:"problems"`
	Warnings int                     `json:"warnings"`
}

func (a *app) doctorCommand() *cobra.Command {
	var asJSON bool
	var nowFlag string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the connection, tables, columns and data recency; say what is wrong",
		Long: `Check what a scan needs, the seed's "No anomalies detected" troubleshooting list
automated: the database answers, the four source tables and proactive_insights exist
with the columns the checks read, each check's window holds rows, and the newest row
of each table is recent. Exit status 1 when a problem stops a check from running.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			now, err := parseNow(nowFlag)
			if err != nil {
				return err
			}
			nowGiven := strings.TrimSpace(nowFlag) != ""
			cfg, st, err := a.session(ctx, false)
			if err != nil {
				return err
			}
			defer st.Close()
			d, err := a.diagnose(ctx, st, cfg, now, nowGiven)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(a.io.Stdout, d); err != nil {
					return err
				}
			} else {
				printDiagnosis(a, d)
			}
			if d.Problems > 0 {
				return exitError{code: ExitFailure}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	cmd.Flags().StringVar(&nowFlag, "now", "", "judge recency at this time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

// freshness is how old the newest row of a table may be before the doctor
// warns that data stopped arriving: what the table's checks say, 0 (never)
// for proactive_insights.
func (a *app) freshness(table string) time.Duration {
	n, _ := a.reg.TableNeed(table)
	return n.Freshness
}

// windowName says which rows of a table its checks read.
func (a *app) windowName(table string) string {
	if n, ok := a.reg.TableNeed(table); ok && n.Window != "" {
		return n.Window
	}
	if table == proactive.TableInsights {
		return "active alerts"
	}
	return "rows in the checks' window"
}

// diagnose checks the store at now; nowGiven says now came from --now:
// rows dated after it are counted on the table's line, not a warning (they
// had not been written then).
func (a *app) diagnose(ctx context.Context, st proactive.Store, cfg config.Config, now time.Time, nowGiven bool) (diagnosis, error) {
	d := diagnosis{Findings: []Finding{}}
	add := func(f Finding) {
		switch f.Level {
		case "problem":
			d.Problems++
		case "warning":
			d.Warnings++
		}
		d.Findings = append(d.Findings, f)
	}
	if err := st.Ping(ctx); err != nil {
		return d, fmt.Errorf("connect: %w", err)
	}
	rep, err := st.Doctor(ctx, now)
	if err != nil {
		return d, fmt.Errorf("inspect the database: %w", err)
	}
	d.Database, d.Tables = redact.Text(rep.Database, redact.Secrets(a.dbURL)...), rep.Tables
	add(Finding{Level: "ok", Message: "connected to " + d.Database})
	for _, t := range rep.Tables {
		isSource := t.Table != proactive.TableInsights
		switch {
		case !t.Exists && isSource:
			add(Finding{Level: "problem", Table: t.Table, Message: "table is missing: its check cannot run",
				Fix: "run 'ptd-proactive migrate' to create it, then load data ('ptd-proactive import " + t.Table + " FILE') or point --db at the database that has it"})
			continue
		case !t.Exists:
			add(Finding{Level: "warning", Table: t.Table, Message: "table is missing: alerts cannot be stored yet", Fix: "run 'ptd-proactive migrate' (scan does it too)"})
			continue
		case len(t.MissingColumns) > 0:
			lvl, fix := "problem", "add the columns or map them in a view named "+t.Table
			if !isSource {
				lvl, fix = "warning", "run 'ptd-proactive migrate': it adds the missing columns"
			}
			add(Finding{Level: lvl, Table: t.Table, Message: "missing columns: " + strings.Join(t.MissingColumns, ", "), Fix: fix})
			continue
		}
		msg := fmt.Sprintf("%s; %s: %d", termtext.Count(int(t.Rows), "row"), a.windowName(t.Table), t.WindowRows)
		if t.NewestPast != nil {
			msg += "; newest " + newestAge(*t.NewestPast, now)
		}
		if t.Future > 0 && nowGiven && isSource {
			msg += fmt.Sprintf("; %s dated after --now", termtext.Count(int(t.Future), "row"))
		}
		level, fix := "ok", ""
		if limit := a.freshness(t.Table); limit > 0 {
			switch {
			case t.Rows == 0:
				level, fix = "warning", "the table is empty: load data or check the sync that fills it"
			case t.NewestPast != nil && now.Sub(*t.NewestPast) > limit:
				level, fix = "warning", fmt.Sprintf("no new rows for more than %s: check that the job filling %s is running", humanDuration(limit), t.Table)
			case t.WindowRows == 0:
				level, fix = "warning", "nothing in the check's window, so it cannot find anomalies: check that data is recent"
			}
		}
		add(Finding{Level: level, Table: t.Table, Message: msg, Fix: fix})
		if t.Future > 0 && !nowGiven && isSource && t.Newest != nil {
			add(futureFinding(t.Table, t.Future, t.Newest.Sub(now), st.Kind()))
		}
		if t.RowSecurity {
			add(rowSecurityFinding(t.Table, rep.User))
		}
	}
	if err := a.diagnoseColumns(ctx, st, cfg, add); err != nil {
		return d, err
	}
	th := cfg.Thresholds
	add(Finding{Level: "ok", Message: fmt.Sprintf("thresholds: health drop %g/%g/%g points, deal stall %d/%d/%d days, sync failures %d/%d/%d in 24 h, lead wait %g/%g/%g h, dedup window %g h (critical/high/medium)",
		th.HealthDropCritical, th.HealthDropHigh, th.HealthDropMedium, th.DealStallDaysCritical, th.DealStallDaysHigh, th.DealStallDaysMedium,
		th.SyncFailCritical, th.SyncFailHigh, th.SyncFailMedium, th.ResponseDelayCritical, th.ResponseDelayHigh, th.ResponseDelayMedium, th.DedupWindowHours)})
	if alerts, err := st.ListAlerts(ctx, proactive.AlertFilter{Now: now}); err == nil {
		add(Finding{Level: "ok", Message: fmt.Sprintf("%s; a group already alerted within %g h is skipped as a duplicate unless its severity rose", termtext.Count(len(alerts), "active alert"), th.DedupWindowHours)})
	}
	return d, nil
}

// rowSecurityFinding is the warning for a table whose rows row-level
// security filters for the database user.
func rowSecurityFinding(table, user string) Finding {
	msg := fmt.Sprintf("row-level security filters the rows database user %q reads here: the counts above and the check see only what its policies let through", user)
	if table == proactive.TableInsights {
		msg = fmt.Sprintf("row-level security filters the rows database user %q reads and writes here: %s", user, proactive.RowSecurityAlertsCost)
	}
	return Finding{Level: "warning", Table: table, Message: msg, Fix: proactive.RowSecurityFix}
}

// diagnoseColumns reports the configured owner and value columns (CONTRACT
// §11.1): one the database lacks is a warning (the checks run as if it
// were unset), a problem for client_owner when coach_workload is enabled
// (it cannot run).
func (a *app) diagnoseColumns(ctx context.Context, st proactive.Store, cfg config.Config, add func(Finding)) error {
	configured := cfg.Columns.Configured()
	ci, ok := st.(proactive.ColumnInspector)
	if !ok || len(configured) == 0 {
		return nil
	}
	missing, err := ci.MissingColumns(ctx, cfg.Columns)
	if err != nil {
		return fmt.Errorf("look up the configured columns: %w", err)
	}
	var found []string
	for _, c := range configured {
		if !slices.Contains(missing, c) {
			found = append(found, c.Key+": "+c.Table+"."+c.Column)
		}
	}
	if len(found) > 0 {
		add(Finding{Level: "ok", Message: "configured columns found: " + strings.Join(found, ", ")})
	}
	for _, m := range missing {
		level := "warning"
		if m.Key == "columns.client_owner" && slices.Contains(cfg.Checks, proactive.CoachWorkload) {
			level = "problem"
		}
		fix := fmt.Sprintf("add the column to %s (ALTER TABLE %s ADD COLUMN %s …), or correct %s in the configuration", m.Table, m.Table, m.Column, m.Key)
		if st.Kind() == "sqlite" {
			fix = fmt.Sprintf("run 'ptd-proactive migrate' with this configuration (the embedded store adds the configured columns), then import the data into it, or correct %s", m.Key)
		}
		add(Finding{Level: level, Table: m.Table, Message: m.MissingMessage(), Fix: fix})
	}
	return nil
}

// newestAge says how old the newest row is at now ("10 hours old").
func newestAge(newest, now time.Time) string {
	if d := now.Sub(newest); d >= time.Minute {
		return humanDuration(d) + " old"
	}
	return "less than a minute old"
}

// futureFinding is the warning for rows of a source table dated after now
// (the newest by ahead) in a store of kind ("postgres", "sqlite"): a live
// scan skips them, so readings, deals, errors or leads written with a
// clock or time zone ahead of UTC stay invisible until their time comes.
func futureFinding(table string, rows int64, ahead time.Duration, kind string) Finding {
	fix := fmt.Sprintf("check the clock and time zone of whatever writes %s: a timestamp without time zone must hold UTC (or make the column timestamptz)", table)
	if kind == "sqlite" {
		fix = fmt.Sprintf("check the clock and time zone of whatever writes %s: a timestamp without an offset is read as UTC (write UTC, or add the offset: 2025-12-10T09:30:00+02:00)", table)
	}
	return Finding{Level: "warning", Table: table,
		Message: futureRows(int(rows), ahead),
		Fix:     fix}
}

// printDiagnosis prints the findings, then a summary that counts the
// problems and warnings above.
func printDiagnosis(a *app, d diagnosis) {
	st := a.style
	marks := map[string]termtext.Styled{"ok": st.Paint(termtext.Green, "✓"), "warning": st.Paint(termtext.Yellow, "!"), "problem": st.Paint(termtext.Red, "✗")}
	for _, f := range d.Findings {
		prefix := ""
		if f.Table != "" {
			prefix = f.Table + ": "
		}
		termtext.Fprintf(a.io.Stdout, "%s %s%s\n", marks[f.Level], prefix, f.Message)
		if f.Fix != "" {
			termtext.Fprintf(a.io.Stdout, "    fix: %s\n", f.Fix)
		}
	}
	warnings := termtext.Count(d.Warnings, "warning")
	switch {
	case d.Problems > 0 && d.Warnings > 0:
		termtext.Fprintf(a.io.Stdout, "\n%s and %s found (above): fix the %s first.\n", st.Paint(termtext.Red, termtext.Count(d.Problems, "problem")),
			warnings, termtext.Noun(d.Problems, "problem"))
	case d.Problems > 0:
		termtext.Fprintf(a.io.Stdout, "\n%s found (above).\n", st.Paint(termtext.Red, termtext.Count(d.Problems, "problem")))
	case d.Warnings > 0:
		termtext.Fprintf(a.io.Stdout, "\n%s; %s above.\n", st.Bold("No problems found"), warnings)
	default:
		termtext.Fprintf(a.io.Stdout, "\n%s.\n", st.Bold("No problems found"))
	}
}
