package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/backtest"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

type backtestFlags struct {
	from, to, step, checks, outcomes string
	json                             bool
}

func (a *app) backtestCommand() *cobra.Command {
	var f backtestFlags
	cmd := &cobra.Command{
		Use:   "backtest --from DATE --to DATE",
		Short: "Replay the scans over past data and measure the cases they would have opened",
		Long: `Replay the scans at --from, --from + --step, … up to --to over the data already in
the database, each scan seeing the data as it stood at its moment: rows created later
are invisible, and a resolution, contact or activity recorded later has not happened
yet. The risk desk of the replay (cases, their lifecycle, inhibition, group alerts)
lives in memory, starting empty: nothing is written and nobody is notified.

Per check it prints the group alerts the replay raised (inserted, escalated or updated),
the cases it opened, the distinct entities among them, those still open at the end and
the median time a case stayed open (to --to for one still open). With --outcomes, a CSV
of what really happened (header key,at: an email, deal-<id> or lead-<id>, and a date),
it also prints:
  precision         the share of cases with an outcome for their entity on the day they
                    opened or within 30 days after (hits ÷ cases opened)
  recall            the share of the outcomes dated from --from to 30 days after --to,
                    of the check's kind of entity, that a case of the check opened on
                    the outcome's day or up to 30 days before
  median lead time  the days from the earliest such case to the outcome
A figure without a denominator shows "—" (null in --json). Exit status 0 when the
replay ran, 1 when it could not (no database, unreadable outcomes), 2 for a wrong
command line.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runBacktest(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "first scan at this time: 2025-12-10 (00:00 UTC) or RFC 3339 (env PTD_FROM)")
	fl.StringVar(&f.to, "to", "", "last scan at or before this time: 2025-12-10 (00:00 UTC) or RFC 3339 (env PTD_TO)")
	fl.StringVar(&f.step, "step", "1d", "time between scans: a whole number of days (1d) or a Go duration (6h) (env PTD_STEP)")
	fl.StringVar(&f.checks, "checks", "", "comma-separated checks to replay; default the configuration's checks (env PTD_CHECKS)")
	fl.StringVar(&f.outcomes, "outcomes", "", "CSV of outcomes (header key,at) to measure precision, recall and lead time against (env PTD_OUTCOMES)")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON (env PTD_JSON)")
	return cmd
}

// backtestTime reads --from or --to: a date (00:00 UTC) or RFC 3339.
func backtestTime(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, usageError{fmt.Errorf("--%s is required: give a date such as 2025-12-10 or an RFC 3339 time", flag)}
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--%s %q is not a date: write it as 2025-12-10 (00:00 UTC) or RFC 3339 (2025-12-10T09:30:00Z)", flag, s)}
	}
	return t.UTC(), nil
}

// parseChecks reads --checks: a comma-separated list of check types; ""
// means the configuration's (nil).
func (a *app) parseChecks(s string) ([]proactive.AnomalyType, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []proactive.AnomalyType
	for _, name := range strings.Split(s, ",") {
		if strings.TrimSpace(name) == "" {
			continue
		}
		t, err := a.reg.ParseType(name)
		if err != nil {
			return nil, usageError{fmt.Errorf("--checks: %s", proactive.ErrorMessage(err))}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, usageError{errors.New("--checks names no check: give a comma-separated list such as health_drop,deal_stall, or leave it out for the configuration's")}
	}
	return out, nil
}

// readOutcomes reads the --outcomes file; nil when none is given.
func readOutcomes(name string) (*backtest.Outcomes, error) {
	if name == "" {
		return nil, nil
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--outcomes: file %s does not exist: check the path", name)
		}
		return nil, fmt.Errorf("--outcomes: open %s: %w", name, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("--outcomes: %s is a directory: give the path of a CSV file with the header key,at", name)
	}
	o, err := backtest.ParseOutcomes(f, name)
	if err != nil {
		return nil, fmt.Errorf("--outcomes: %s", proactive.ErrorMessage(err))
	}
	return &o, nil
}

func (a *app) runBacktest(ctx context.Context, f backtestFlags) error {
	from, err := backtestTime("from", f.from)
	if err != nil {
		return err
	}
	to, err := backtestTime("to", f.to)
	if err != nil {
		return err
	}
	if to.Before(from) {
		return usageError{fmt.Errorf("--to %s is before --from %s: give an end on or after the start", f.to, f.from)}
	}
	step, err := parseDurationFlag("step", f.step)
	if err != nil {
		return err
	}
	checks, err := a.parseChecks(f.checks)
	if err != nil {
		return err
	}
	outcomes, err := readOutcomes(f.outcomes)
	if err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	if checks == nil {
		checks = cfg.Checks
	} else if config.CoachOwnerMissing(checks, cfg.Columns) {
		return usageError{fmt.Errorf("--checks lists %s", config.CoachWithoutOwner)}
	}
	// Read only: the database must exist and is not migrated.
	st, err := a.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := backtest.Run(ctx, backtest.Options{
		Store:    st,
		Registry: a.reg,
		Checks:   checks,
		Settings: proactive.Settings{Thresholds: cfg.Thresholds, StallStages: cfg.StallStages, Columns: cfg.Columns, Inhibit: cfg.Inhibit},
		From:     from,
		To:       to,
		Step:     step,
		Outcomes: outcomes,
		Logger:   a.log,
	})
	if err != nil {
		return exitError{code: ExitFailure, err: fmt.Errorf("the backtest could not run: %s", errorText(err))}
	}
	for _, e := range rep.CheckErrors {
		a.log.WarnContext(ctx, fmt.Sprintf("%s could not run at %d of %s (first at %s): %s",
			e.Monitor, e.Steps, termtext.Count(rep.Steps, "scan"), e.First.Format(time.RFC3339), e.Error),
			"monitor", e.Monitor, "scans", e.Steps)
	}
	if f.json {
		return writeJSON(a.io.Stdout, rep)
	}
	return renderBacktest(a.io.Stdout, rep, outcomes != nil, a)
}

// renderBacktest writes the human report: a heading, then a table per
// check.
func renderBacktest(w io.Writer, rep backtest.Report, withOutcomes bool, a *app) error {
	termtext.Fprintf(w, "Backtest from %s to %s, a scan every %s: %s.\n",
		rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339), backtest.FormatStep(rep.Step), termtext.Count(rep.Steps, "scan"))
	if !withOutcomes {
		termtext.Fprintf(w, "No --outcomes file: precision, recall and lead time need one.\n")
	}
	for _, c := range rep.Checks {
		label := string(c.Type)
		if chk, ok := a.reg.Lookup(c.Type); ok {
			label = chk.Label + " (" + string(c.Type) + ")"
		}
		termtext.Fprintf(w, "\n%s\n", a.style.Bold(label))
		t := newTable(w, a.style, "  ")
		t.row("Alerts", strconv.Itoa(c.Alerts))
		t.row("Cases opened", strconv.Itoa(c.CasesOpened))
		t.row("Entities", strconv.Itoa(c.Entities))
		t.row("Still open", strconv.Itoa(c.StillOpen))
		t.row("Median open time", figure(c.MedianOpenHours, func(v float64) string { return oneDecimal(v) + " h" }))
		t.row("Precision", figure(c.Precision, percent))
		t.row("Hits", figureInt(c.Hits))
		t.row("Recall", figure(c.Recall, percent))
		t.row("Outcomes considered", figureInt(c.OutcomesConsidered))
		t.row("Median lead time", figure(c.MedianLeadDays, func(v float64) string { return oneDecimal(v) + " d" }))
		if err := t.flush(); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	return nil
}

// dash stands for a figure without a denominator (null in JSON).
const noFigure = "—"

func figure(v *float64, format func(float64) string) string {
	if v == nil {
		return noFigure
	}
	return format(*v)
}

func figureInt(v *int) string {
	if v == nil {
		return noFigure
	}
	return strconv.Itoa(*v)
}

func oneDecimal(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func percent(v float64) string { return oneDecimal(v*100) + "%" }
