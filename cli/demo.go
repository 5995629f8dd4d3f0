package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/demo"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
)

type demoFlags struct {
	now     string
	clients int
	days    int
	seed    uint64
	reset   bool
	json    bool
}

// demoOutcomes is the file, beside the embedded database (in the working
// directory for PostgreSQL), where demo writes what became of its clients
// and deals.
const demoOutcomes = "demo-outcomes.csv"

func (a *app) demoCommand() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build the embedded database with realistic sample data and run a scan",
		Long: `Create ptd-proactive.db (or --db), fill the source tables with a realistic
fortnight of business data — a few hundred clients with daily health readings, their
coaches and package values, a pipeline across all stages with owners and contacts,
sync errors from HubSpot, Stripe and Meta, inbound leads; mostly healthy, with every
kind of anomaly of the eight checks at every severity — then run a scan with all eight
checks and print the report.

Without --config, demo writes ` + DefaultConfig + ` in the working directory (when it is
not there yet): all eight checks, the owner and value columns the data fills (coach,
owner, package_value) and the inhibit rule that lets failing HubSpot syncs explain,
rather than multiply, the stalled-deal alerts. scan and serve read that file from the
same directory, so they see what the demo saw.

demo also writes ` + demoOutcomes + ` beside the database: what became of the clients and
deals (header key,at; a client's email or deal-<id>, and the day it churned or was lost,
sometimes after --now) — the ground truth to score the checks against.

Run it again: the data is kept, and the second scan stores no duplicates. --reset
rebuilds the embedded database.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDemo(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.now, "now", "", "build the data and scan at this time: "+timeForms+" (env PTD_NOW)")
	fl.IntVar(&f.clients, "clients", demo.DefaultClients, "number of clients to generate (env PTD_CLIENTS)")
	fl.IntVar(&f.days, "days", demo.DefaultDays, "days of health history to generate, one reading per client a day (env PTD_DAYS)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed; the same seed and --now give the same data (env PTD_SEED)")
	fl.BoolVar(&f.reset, "reset", false, "delete the embedded database file first (env PTD_RESET)")
	fl.BoolVar(&f.json, "json", false, "print the scan's response object as JSON (env PTD_JSON)")
	return cmd
}

// demoConfig returns cfg with the demo's settings: every check, the owner
// and value columns the demo fills where cfg names none, and the HubSpot
// inhibit rule when cfg has no rules.
func demoConfig(cfg config.Config) config.Config {
	cfg.Checks = rules.Registry().Types()
	cols := demo.Columns()
	if cfg.Columns.ClientOwner == "" {
		cfg.Columns.ClientOwner = cols.ClientOwner
	}
	if cfg.Columns.DealOwner == "" {
		cfg.Columns.DealOwner = cols.DealOwner
	}
	if cfg.Columns.ClientValue == "" {
		cfg.Columns.ClientValue = cols.ClientValue
	}
	if len(cfg.Inhibit) == 0 {
		cfg.Inhibit = demo.Inhibit()
	}
	return cfg
}

// demoSettingsYAML is the configuration file demo writes: the settings
// its scan used.
func demoSettingsYAML(cfg config.Config) []byte {
	var b strings.Builder
	b.WriteString("# Written by 'ptd-proactive demo': the settings of its scan. scan and serve read\n")
	b.WriteString("# this file from this directory when --config names no other.\n")
	names := make([]string, len(cfg.Checks))
	for i, c := range cfg.Checks {
		names[i] = string(c)
	}
	fmt.Fprintf(&b, "checks: [%s]\n", strings.Join(names, ", "))
	b.WriteString("columns:\n")
	fmt.Fprintf(&b, "  client_owner: %q\n  deal_owner: %q\n  client_value: %q\n", cfg.Columns.ClientOwner, cfg.Columns.DealOwner, cfg.Columns.ClientValue)
	b.WriteString("inhibit:\n")
	for _, r := range cfg.Inhibit {
		fmt.Fprintf(&b, "  - {source_type: %s, source_match: %q, target_type: %s}\n", r.SourceType, r.SourceMatch, r.TargetType)
	}
	return []byte(b.String())
}

func (a *app) runDemo(ctx context.Context, f demoFlags) error {
	if f.clients < demo.MinClients || f.clients > 1_000_000 {
		return usageError{fmt.Errorf("--clients %d: use %d to 1000000 (fewer clients cannot hold every kind of anomaly at every severity)", f.clients, demo.MinClients)}
	}
	if f.days < demo.DefaultDays || f.days > 3660 {
		return usageError{fmt.Errorf("--days %d: use %d to 3660 (the checks read a fortnight of readings)", f.days, demo.DefaultDays)}
	}
	now, err := parseNow(f.now)
	if err != nil {
		return err
	}
	cfgFile := a.configFile()
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	cfg = demoConfig(cfg)
	if f.reset {
		if postgres.IsURL(a.dbURL) {
			return usageError{errors.New("--reset only deletes an embedded (SQLite) database file; it never drops PostgreSQL data")}
		}
		path := sqlitePath(a.dbURL)
		if err := checkDatabaseURL(a.dbURL); err != nil {
			return err
		}
		if err := checkResettable(path); err != nil {
			return err
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("reset: %w", err)
			}
		}
	}
	st, err := a.openMigrated(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()

	// A PostgreSQL database keeps its own columns: the demo fills only the
	// configured columns its tables have, and runs coach_workload only
	// when the owner column is there.
	var notes []string
	if ci, ok := st.(proactive.ColumnInspector); ok {
		missing, err := ci.MissingColumns(ctx, cfg.Columns)
		if err != nil {
			return fmt.Errorf("inspect the database: %w", err)
		}
		for _, m := range missing {
			notes = append(notes, m.MissingMessage())
			switch m.Key {
			case "columns.client_owner":
				cfg.Columns.ClientOwner = ""
				cfg.Checks = slices.DeleteFunc(cfg.Checks, func(t proactive.AnomalyType) bool { return t == proactive.CoachWorkload })
			case "columns.deal_owner":
				cfg.Columns.DealOwner = ""
			case "columns.client_value":
				cfg.Columns.ClientValue = ""
			}
		}
	}

	rep, err := st.Doctor(ctx, now)
	if err != nil {
		return fmt.Errorf("inspect the database: %w", err)
	}
	var existing int64
	for _, t := range rep.Tables {
		if t.Table != proactive.TableInsights {
			existing += t.Rows
		}
	}
	out := a.io.Stdout
	if existing == 0 {
		ds := demo.Generate(demo.Options{Now: now, Clients: f.clients, Days: f.days, Seed: f.seed, Columns: cfg.Columns})
		if err := demo.Load(ctx, st, ds); err != nil {
			return err
		}
		outcomes := demoOutcomes
		if !postgres.IsURL(a.dbURL) {
			outcomes = filepath.Join(filepath.Dir(sqlitePath(a.dbURL)), demoOutcomes)
		}
		if err := writeOutcomes(outcomes, ds.Outcomes); err != nil {
			return err
		}
		c := ds.Counts()
		if !f.json {
			termtext.Fprintf(out, "Built %s with sample data: %s (%s), %s, %s, %s, %s.\n",
				rep.Database, termtext.Count(f.clients, "client"), termtext.Count(c[proactive.TableHealthScores], "health reading"),
				termtext.Count(c[proactive.TableDeals], "deal"), termtext.Count(c[proactive.TableSyncErrors], "sync error"),
				termtext.Count(c[proactive.TableLeads], "lead"), termtext.Count(c[proactive.TableContacts], "contact"))
			churned, lostDeals := 0, 0
			for _, o := range ds.Outcomes {
				if strings.HasPrefix(o.Key, "deal-") {
					lostDeals++
				} else {
					churned++
				}
			}
			termtext.Fprintf(out, "What became of them is in %s: %s and %s, the ground truth to score the checks against.\n",
				outcomes, termtext.Count(churned, "churned client"), termtext.Count(lostDeals, "lost deal"))
		}
	} else if !f.json {
		termtext.Fprintf(out, "Using the %s already in %s (--reset rebuilds it).\n", termtext.Count(int(existing), "source row"), rep.Database)
	}
	if cfgFile == "" {
		// A directory the demo cannot write costs scan and serve the demo's
		// settings, not the demo its report.
		err := writeNewFile(DefaultConfig, demoSettingsYAML(cfg))
		switch {
		case err != nil:
			a.log.WarnContext(ctx, "demo: "+err.Error()+": scan and serve here will run with their defaults; pass them the demo's settings with --config")
		case !f.json:
			termtext.Fprintf(out, "Wrote %s: %s, the owner and value columns, the HubSpot inhibit rule; scan and serve read it here.\n", DefaultConfig, termtext.Count(len(cfg.Checks), "check"))
		}
	} else if !f.json {
		termtext.Fprintf(out, "Settings: %s, with %s.\n", cfgFile, termtext.Count(len(cfg.Checks), "check"))
	}
	if !f.json {
		for _, n := range notes {
			termtext.Fprintf(out, "Note: %s.\n", n)
		}
		termtext.Fprintln(out)
	}

	notifier, err := a.newNotifier(cfg, st, nil)
	if err != nil {
		return err
	}
	sc, err := a.newScanner(cfg, st, nil, notifier.scanRouter())
	if err != nil {
		return err
	}
	at, err := scanNow(f.now) // the present unless --now: the data leads up to moments before
	if err != nil {
		return err
	}
	res, err := sc.Run(ctx, scan.Params{Now: at, Trigger: scan.TriggerDemo})
	if err != nil {
		return exitError{code: ExitFailure, err: fmt.Errorf("the scan could not run: %s", errorText(err))}
	}
	notifier.drain(ctx, defaultNotifyTimeout)
	if f.json {
		return writeJSON(out, res)
	}
	renderScan(out, res, reportOptions{TopEntities: 3, Registry: a.reg, Style: a.style})
	renderDemoContext(out, res, a.style)
	termtext.Fprintln(out)
	switch {
	case res.AlertsSaved == 0 && res.DuplicatesSkipped > 0:
		what := "all " + termtext.Count(res.DuplicatesSkipped, "alert group") + " were"
		if res.DuplicatesSkipped == 1 {
			what = "the one alert group was"
		}
		termtext.Fprintf(out, "No duplicates stored: %s already alerted within the dedup window.\n", what)
	default:
		termtext.Fprintln(out, "Run the demo again: the second scan stores no duplicates.")
	}
	termtext.Fprintln(out, "See the alerts with 'ptd-proactive alerts' (one in full: 'ptd-proactive alerts show ID'), the cases they track with\n'ptd-proactive cases', or the dashboard with 'ptd-proactive serve'.")
	return nil
}

// renderDemoContext prints what the demo's columns and inhibit rule add
// to the report: each group's revenue at risk and its members' owners,
// and the anomalies an inhibit rule holds back.
func renderDemoContext(w io.Writer, res proactive.ScanResult, st termtext.Style) {
	if len(res.Groups) == 0 {
		return
	}
	termtext.Fprintf(w, "\n%s\n", st.Bold("Revenue at risk and owners"))
	var rows [][]string
	total := 0.0
	for i, g := range res.Groups {
		title := string(g.Type)
		if i < len(res.AlertGroups) {
			title = res.AlertGroups[i].Title
		}
		total += g.RevenueAtRisk
		counts := map[string]int{}
		var owners []string
		for _, m := range g.Members() {
			if m.Owner == "" {
				continue
			}
			if counts[m.Owner] == 0 {
				owners = append(owners, m.Owner)
			}
			counts[m.Owner]++
		}
		slices.SortStableFunc(owners, func(a, b string) int { return counts[b] - counts[a] })
		who := ""
		if len(owners) > 0 {
			parts := make([]string, 0, 3)
			for _, o := range owners[:min(3, len(owners))] {
				parts = append(parts, fmt.Sprintf("%s %d", o, counts[o]))
			}
			who = strings.Join(parts, ", ")
			if len(owners) > 3 {
				who += ", " + termtext.Count(len(owners)-3, "other")
			}
		}
		rows = append(rows, []string{title, notify.FormatAmount(g.RevenueAtRisk), who})
	}
	rows = append(rows, []string{"In all (a client in several groups counts in each)", notify.FormatAmount(total), ""})
	widths := make([]int, 2)
	for _, r := range rows {
		for k := range widths {
			widths[k] = max(widths[k], utf8.RuneCountInString(r[k]))
		}
	}
	for _, r := range rows {
		line := "  " + r[0] + strings.Repeat(" ", widths[0]-utf8.RuneCountInString(r[0])) + "  " +
			strings.Repeat(" ", widths[1]-utf8.RuneCountInString(r[1])) + r[1]
		if r[2] != "" {
			line += "  " + r[2]
		}
		termtext.Fprintln(w, strings.TrimRight(line, " "))
	}
	if n := res.Suppressed.Inhibited; n > 0 {
		termtext.Fprintf(w, "  %s held back by an inhibit rule (an unresolved sync failure explains them): alerted, not notified.\n",
			termtext.Count(n, "anomaly", "anomalies"))
	}
}

// writeOutcomes writes the demo's outcomes file at path, replacing any.
func writeOutcomes(path string, outcomes []demo.Outcome) error {
	var b strings.Builder
	if err := demo.WriteOutcomes(&b, outcomes); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write the outcomes file: %w", err)
	}
	return nil
}

// writeNewFile writes data to a file that must not exist yet.
func writeNewFile(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// checkResettable refuses to let --reset delete anything but a SQLite
// database file (or an empty file): a mistyped --db must not delete a
// document or a directory.
func checkResettable(path string) error {
	if err := checkSQLitePath(path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	if n == 0 || (err == nil && string(head) == sqliteHeader) {
		return nil
	}
	return fmt.Errorf("--reset: %s is not a SQLite database, so it is not deleted: point --db at the demo's database file (default %s)", path, DefaultDatabase)
}
