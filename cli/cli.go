// Package cli is the ptd-proactive command line: one file per command, the
// wiring of stores, scanner, notifier and HTTP service in one place, and the
// exit status of CONTRACT §1 (0 ran, 1 could not run, 2 usage error).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/config"
	"github.com/ptd-agents/ptd-proactive/internal/redact"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

// Exit statuses.
const (
	ExitOK      = 0 // the command ran
	ExitFailure = 1 // it could not run: no database, bad config, bad input
	ExitUsage   = 2 // the command line itself is wrong
)

// DefaultDatabase is the embedded store used when no --db is given.
const DefaultDatabase = "ptd-proactive.db"

// IO is the process environment a command runs in; tests pass their own.
type IO struct {
	// Args are the command-line arguments after the program name.
	Args []string
	// Stdin is read by `import TABLE -`; nil reads nothing.
	Stdin io.Reader
	// Stdout receives results (reports, JSON).
	Stdout io.Writer
	// Stderr receives logs and error messages.
	Stderr io.Writer
	// Getenv reads an environment variable; nil means none are set.
	Getenv func(string) string
	// IsTerminal reports whether w is a terminal (the import progress bar
	// is drawn only on one, and --color auto colours only one); nil checks
	// whether w is an *os.File on a character device.
	IsTerminal func(w io.Writer) bool
	// SetMemoryLimit sets the Go runtime's soft memory limit and returns
	// the previous one (runtime/debug.SetMemoryLimit); nil leaves the
	// process's limit alone. `scan` sets ScanMemoryLimit while it runs,
	// unless GOMEMLIMIT is set.
	SetMemoryLimit func(int64) int64
}

// app is the state shared by the commands of one invocation.
type app struct {
	io         IO
	dbURL      string
	configPath string
	logFormat  string
	logLevel   string
	color      string
	log        *slog.Logger
	// style colours human output on stdout (setupStyle); off for JSON,
	// CSV, pipes and NO_COLOR.
	style termtext.Style
	// reg is the registry of checks every command iterates.
	reg *proactive.Registry
	// mayCreate says whether the running command may create a missing
	// SQLite database (createsDatabase).
	mayCreate bool
}

// createsDatabase reports whether a command (its path without the program
// name, "notifications retry") may create a missing SQLite database: the
// ones that set up or fill one. Every other command needs the database to
// exist, so that a mistyped --db is an error, not a new empty database
// reporting "No active alerts"; new commands are read-only unless listed
// here.
func createsDatabase(command string) bool {
	switch command {
	case "scan", "serve", "migrate", "demo", "import":
		return true
	}
	return false
}

// usageError marks a wrong command line (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitError carries an explicit exit status with an already printed message.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Main runs the command line and returns the process exit status. A panic
// is reported as the bug it is, with its stack, and exits 1 (not the
// runtime's 2, which would read as a usage error).
func Main(ctx context.Context, pio IO) (code int) {
	defer func() {
		if r := recover(); r != nil {
			if pio.Stderr != nil {
				termtext.Fprintf(pio.Stderr, "ptd-proactive: internal error (a bug; please report it with what follows): %v\n%s", r, debug.Stack())
			}
			code = ExitFailure
		}
	}()
	if pio.Getenv == nil {
		pio.Getenv = func(string) string { return "" }
	}
	if pio.Stdin == nil {
		pio.Stdin = strings.NewReader("")
	}
	a := &app{io: pio, reg: rules.Registry()}
	root := a.rootCommand()
	root.SetArgs(pio.Args)
	root.SetIn(pio.Stdin)
	root.SetOut(pio.Stdout)
	root.SetErr(pio.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	// Whatever a message quotes, the database's password never shows
	// (defence in depth: the stores redact their own messages).
	say := func(msg string) {
		termtext.Fprintln(pio.Stderr, "ptd-proactive:", redact.Text(msg, redact.Secrets(a.dbURL)...))
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			say(ee.err.Error())
		}
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		say(err.Error())
		// The usage line of the command at fault: "assign --owner X"
		// learns that the owner is an argument (assign ID|KEY OWNER).
		if cmd == nil {
			cmd = root
		}
		if cmd != root {
			termtext.Fprintln(pio.Stderr, "Usage: "+cmd.UseLine())
		}
		termtext.Fprintln(pio.Stderr, "Run '"+cmd.CommandPath()+" --help' for more.")
		return ExitUsage
	}
	say(errorText(err))
	return ExitFailure
}

// errorText renders an error for the terminal: the domain message first.
func errorText(err error) string {
	var pe *proactive.Error
	if errors.As(err, &pe) {
		// The wrapped context (what was being done) is useful; keep the
		// whole chain but make sure the user-facing message is in it.
		s := err.Error()
		if !strings.Contains(s, pe.Message) {
			return pe.Message + " (" + s + ")"
		}
		return s
	}
	return err.Error()
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ptd-proactive",
		Short: "Watch client health, deals, integrations and leads; raise alerts before it is too late",
		Long: `ptd-proactive scans a services business's data — daily client health scores,
the HubSpot deal pipeline, integration sync errors and inbound leads — and stores
deduplicated, prioritised alerts in proactive_insights.

Every flag can also be set with an environment variable: PTD_ and the flag's name in
upper case with dashes as underscores (--dry-run: PTD_DRY_RUN); --db is PTD_DATABASE_URL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// cobra applies its default distance of 2 only to its own
		// message; SuggestionsFor below reads this field (0: prefixes only).
		SuggestionsMinimumDistance: 2,
		// A word that names no command is a usage error (cobra's own
		// message otherwise), with cobra's suggestions.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.Name())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return usageError{errors.New(msg)} // Main adds which --help to read
		},
		// No command is a usage error: the help goes to stderr, exit 2.
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.io.Stderr)
			_ = cmd.Help()
			return exitError{code: ExitUsage, err: errors.New("no command given: run 'ptd-proactive demo' to try it, or one of the commands above")}
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.mayCreate = createsDatabase(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" "))
			if err := a.applyEnv(cmd); err != nil {
				return err
			}
			if err := a.setupStyle(); err != nil {
				return err
			}
			return a.setupLogger(cmd)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	// --version (root only): the build, as the version command prints it.
	root.Version = readVersion().String()
	root.SetVersionTemplate("{{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbURL, "db", DefaultDatabase, "database: postgres://… or postgresql://… for PostgreSQL, sqlite:PATH or a file path for the embedded store (env PTD_DATABASE_URL)")
	pf.StringVar(&a.configPath, "config", "", "YAML file with thresholds and settings; default "+DefaultConfig+" in the working directory when it exists (env PTD_CONFIG)")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format on stderr: text or json (env PTD_LOG_FORMAT)")
	pf.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn or error; default info for scan and serve, warn for the other commands (env PTD_LOG_LEVEL)")
	pf.StringVar(&a.color, "color", "auto", "colour human output: auto (on a terminal, unless NO_COLOR is set), always or never; never in JSON or CSV (env PTD_COLOR)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		// A value of the wrong kind: what the flag takes, not the parser's words.
		var ive *pflag.InvalidValueError
		if errors.As(err, &ive) {
			f := ive.GetFlag()
			return usageError{fmt.Errorf("--%s %q: %s", f.Name, ive.GetValue(), valueHint(f.Value.Type(), errors.Unwrap(err)))}
		}
		return usageError{err}
	})

	root.AddCommand(
		a.scanCommand(),
		a.serveCommand(),
		a.alertsCommand(),
		a.dismissCommand(),
		a.migrateCommand(),
		a.demoCommand(),
		a.doctorCommand(),
		a.importCommand(),
		a.notificationsCommand(),
		a.benchCommand(),
		a.casesCommand(),
		a.caseCommand(),
		a.ackCommand(),
		a.snoozeCommand(),
		a.assignCommand(),
		a.commentCommand(),
		a.resolveCommand(),
		a.silenceCommand(),
		a.clientCommand(),
		a.versionCommand(),
		a.backtestCommand(),
	)
	return root
}

// envName is the environment variable of a flag.
func envName(flag string) string {
	switch flag {
	case "db":
		return "PTD_DATABASE_URL"
	case "read-db":
		return config.EnvReadDatabaseURL
	}
	return "PTD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// valueHint says what a flag of type typ (pflag's names) takes, in place
// of the parser's error ("strconv.ParseBool: parsing …"); other types keep
// their own error, which says it.
func valueHint(typ string, err error) string {
	switch typ {
	case "bool":
		return "use true or false"
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return "use a whole number"
	case "float32", "float64":
		return "use a number"
	case "duration":
		return "use a duration such as 90s, 15m or 2h"
	}
	return err.Error()
}

// applyEnv sets every flag not given on the command line from its
// environment variable, when that is set.
func (a *app) applyEnv(cmd *cobra.Command) error {
	var firstErr error
	visit := func(f *pflag.Flag) {
		if f.Changed || firstErr != nil || f.Name == "help" || f.Name == "version" {
			return
		}
		v := a.io.Getenv(envName(f.Name))
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			firstErr = usageError{fmt.Errorf("environment variable %s=%q is not a valid value for --%s: %s", envName(f.Name), v, f.Name, valueHint(f.Value.Type(), err))}
			return
		}
		f.Changed = true
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return firstErr
}

// logsInfo reports whether a command (its path without the program name)
// logs at info by default: scan and serve, whose logs operators watch.
// The others, run by people at a terminal, log warnings and errors only
// unless --log-level (PTD_LOG_LEVEL) says otherwise.
func logsInfo(command string) bool {
	return command == "scan" || command == "serve"
}

// setupLogger builds the logger of the running command cmd at --log-level,
// or at its default level (logsInfo).
func (a *app) setupLogger(cmd *cobra.Command) error {
	name := a.logLevel
	if name == "" {
		name = "warn"
		if logsInfo(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")) {
			name = "info"
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(name)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", a.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch a.logFormat {
	case "text":
		h = slog.NewTextHandler(a.io.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(a.io.Stderr, opts)
	default:
		return usageError{fmt.Errorf("--log-format %q: use text or json", a.logFormat)}
	}
	// No log line shows the database's password, whoever writes it.
	a.log = slog.New(redact.NewHandler(h, redact.Secrets(a.dbURL)...))
	return nil
}

// setupStyle decides, from --color, whether human output on stdout is in
// colour: auto colours a terminal unless NO_COLOR is set (to anything) or
// TERM is dumb; always and never say so. JSON and CSV never are.
func (a *app) setupStyle() error {
	on := false
	switch strings.ToLower(strings.TrimSpace(a.color)) {
	case "auto", "":
		on = a.io.Getenv("NO_COLOR") == "" && a.io.Getenv("TERM") != "dumb" && a.isTerminal(a.io.Stdout)
	case "always":
		on = true
	case "never":
	default:
		return usageError{fmt.Errorf("--color %q: use auto, always or never", a.color)}
	}
	a.style = termtext.NewStyle(on)
	return nil
}

// DefaultConfig is the configuration file read from the working directory
// when --config names none: the one demo writes.
const DefaultConfig = "ptd-proactive.yaml"

// configFile returns the configuration file to read: --config, else
// DefaultConfig when the working directory holds it, else "" (none).
func (a *app) configFile() string {
	if a.configPath != "" {
		return a.configPath
	}
	if st, err := os.Stat(DefaultConfig); err == nil && st.Mode().IsRegular() {
		return DefaultConfig
	}
	return ""
}

// loadConfig reads the configuration; config.Load validates it.
func (a *app) loadConfig() (config.Config, error) {
	return config.Load(a.configFile(), a.io.Getenv)
}

// session loads the configuration and opens the store, migrated unless
// migrate is false. The caller closes the store.
func (a *app) session(ctx context.Context, migrate bool) (config.Config, proactive.Store, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return cfg, nil, err
	}
	var st proactive.Store
	if migrate {
		st, err = a.openMigrated(ctx, cfg, false)
	} else {
		st, err = a.openStore(ctx, cfg)
	}
	return cfg, st, err
}

// sqlitePath returns the file path of an embedded-store database URL.
func sqlitePath(u string) string {
	u = strings.TrimPrefix(u, "sqlite://")
	return strings.TrimPrefix(u, "sqlite:")
}

// checkDatabaseURL refuses a --db that selects no store: empty, or a URL
// with a scheme other than postgres, postgresql, sqlite or file (a SQLite
// URI), which would otherwise become a SQLite file of that odd name. The
// message never repeats the URL, which may hold a password.
func checkDatabaseURL(u string) error {
	if strings.TrimSpace(u) == "" {
		return usageError{errors.New("--db is empty: give a postgres:// URL or a SQLite file path (or unset PTD_DATABASE_URL for the default ptd-proactive.db)")}
	}
	if postgres.IsURL(u) || strings.HasPrefix(u, "sqlite:") || strings.HasPrefix(u, "file:") {
		return nil
	}
	if isKeyValueDSN(u) {
		return usageError{errors.New("--db looks like a key=value PostgreSQL connection string (not shown: it may hold a password): write it as a URL, postgres://user:password@host:5432/dbname?sslmode=require, with the password percent-encoded")}
	}
	if scheme, _, ok := strings.Cut(u, "://"); ok && len(scheme) > 1 && !strings.ContainsAny(scheme, `/\.`) {
		return usageError{fmt.Errorf("--db: unsupported database %q: use postgres://… or postgresql://… for PostgreSQL, sqlite:PATH or a file path for the embedded store", scheme+"://")}
	}
	return nil
}

// keyValueDSN matches a key of PostgreSQL's key=value connection strings
// ("host=db user=u password=…") at the start of a word.
var keyValueDSN = regexp.MustCompile(`(?i)(^|\s)(host|hostaddr|port|dbname|user|password|passfile|sslmode|sslpassword|connect_timeout|application_name|options|service|target_session_attrs)\s*=`)

// isKeyValueDSN reports whether u reads as a key=value connection string.
// Such a string is no SQLite path: taken as one it would create a file
// named after the password.
func isKeyValueDSN(u string) bool { return keyValueDSN.MatchString(u) }

// checkSQLitePath refuses a SQLite path that names a directory.
func checkSQLitePath(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--db %s is a directory: give the path of a database file, such as %s", path, filepath.Join(path, DefaultDatabase))
	}
	return nil
}

// openStore opens the store the database URL selects.
func (a *app) openStore(ctx context.Context, cfg config.Config) (proactive.Store, error) {
	if err := checkDatabaseURL(a.dbURL); err != nil {
		return nil, err
	}
	if postgres.IsURL(a.dbURL) {
		return postgres.Open(ctx, a.dbURL, postgres.Options{
			MaxConns:         cfg.Postgres.MaxConns,
			StatementTimeout: cfg.Postgres.StatementTimeout,
		})
	}
	path := sqlitePath(a.dbURL)
	if err := checkSQLitePath(path); err != nil {
		return nil, err
	}
	return sqlite.OpenWith(ctx, path, sqlite.Options{MustExist: !a.mayCreate, Columns: cfg.Columns})
}

// replicaURL returns the read replica's URL: --read-db when given, else
// postgres.read_url (or PTD_READ_DATABASE_URL); "" when none is
// configured. It refuses, before anything is opened, a URL that is no
// PostgreSQL URL and a replica for the embedded store.
func (a *app) replicaURL(cfg config.Config, flagURL string) (string, error) {
	u := cfg.Postgres.ReadURL
	if flagURL != "" {
		u = flagURL
	}
	switch {
	case u == "":
		return "", nil
	case !config.IsPostgresURL(u):
		return "", usageError{errors.New("--read-db must be a postgres:// or postgresql:// URL of a read replica (PTD_READ_DATABASE_URL, postgres.read_url)")}
	case !postgres.IsURL(a.dbURL):
		return "", usageError{errors.New("--read-db needs a PostgreSQL --db: the embedded SQLite store has no read replicas")}
	}
	return u, nil
}

// openReplica opens the read replica at u (from replicaURL) the checks
// read from; nil when u is empty. The caller closes it.
func (a *app) openReplica(ctx context.Context, cfg config.Config, u string) (*postgres.Reader, error) {
	if u == "" {
		return nil, nil
	}
	r, err := postgres.OpenReader(ctx, u, postgres.Options{
		MaxConns:         cfg.Postgres.MaxConns,
		StatementTimeout: cfg.Postgres.StatementTimeout,
	})
	if err != nil {
		return nil, err
	}
	a.log.InfoContext(ctx, "the checks read the read replica at "+r.Where()+" while it is at most "+cfg.Postgres.MaxReplicaLag.String()+" behind")
	return r, nil
}

// openMigrated opens the store and, unless skip, creates what is missing.
func (a *app) openMigrated(ctx context.Context, cfg config.Config, skip bool) (proactive.Store, error) {
	st, err := a.openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if skip {
		return st, nil
	}
	rep, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	for _, c := range rep.Created {
		a.log.InfoContext(ctx, "migrate: created "+c)
	}
	for _, w := range rep.Warnings {
		a.log.WarnContext(ctx, "migrate: "+w)
	}
	return st, nil
}

// scanNow is the Now of a scan from a --now flag in import's timestamp
// forms (RFC 3339, or YYYY-MM-DD HH:MM:SS / YYYY-MM-DD as UTC): zero when
// the flag is empty — the present, which the scan takes at its start and
// reads live (scan.Params).
func scanNow(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	return parseTimeFlag("now", s)
}

// parseNow parses a --now value as scanNow does; empty means the current
// time.
func parseNow(s string) (time.Time, error) {
	t, err := scanNow(s)
	if err == nil && t.IsZero() {
		t = time.Now().UTC()
	}
	return t, err
}

// isTerminal reports whether w is a terminal (progress bars, colour).
func (a *app) isTerminal(w io.Writer) bool {
	if a.io.IsTerminal != nil {
		return a.io.IsTerminal(w)
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
