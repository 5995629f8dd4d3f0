package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/importer"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

func (a *app) importCommand() *cobra.Command {
	var (
		opts   importer.Options
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "import TABLE FILE",
		Short: "Import a CSV or NDJSON export into a source table, all or nothing",
		Long: `Import a CSV (header row of column names, in any order; other columns ignored)
or NDJSON file (one object per line) into client_health_scores, deals, sync_errors,
leads or contacts (id, email). deals takes contact_email too, and client_health_scores
and deals the owner and value columns the configuration names (columns:); on the
embedded store migrate adds them. Timestamps: RFC 3339, "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" (UTC). The whole
file is one transaction: a bad row means nothing is written and the error names its
line, column and value — unless --skip-invalid, which imports the rest and lists the
skipped lines. FILE "-" reads standard input (give --format).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{fmt.Errorf("import takes TABLE and FILE (TABLE one of %s), got %s", strings.Join(proactive.ImportTables(), ", "), termtext.Count(len(args), "argument"))}
			}
			if strings.TrimSpace(args[1]) == "" {
				return usageError{errors.New("import: FILE is empty: give the path of a CSV or NDJSON file, or - for standard input")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			table, name := args[0], args[1]
			if proactive.ImportColumns(table, proactive.Columns{}) == nil {
				return usageError{fmt.Errorf("unknown table %q: import into %s", table, strings.Join(proactive.ImportTables(), ", "))}
			}
			// The format comes from --format or the file name: a missing or
			// unknown one is the command line's fault.
			format, err := importer.ResolveFormat(name, opts.Format)
			if err != nil {
				return usageError{errors.New(proactive.ErrorMessage(err))}
			}
			opts.Format = format
			var r io.Reader = a.io.Stdin
			if name != importer.Stdin {
				f, err := os.Open(name)
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						return fmt.Errorf("import: file %s does not exist: check the path", name)
					}
					return fmt.Errorf("import: open %s: %w", name, err)
				}
				defer f.Close()
				if st, err := f.Stat(); err == nil && st.IsDir() {
					return fmt.Errorf("import: %s is a directory: give the path of a CSV or NDJSON file", name)
				}
				r = f
			}
			if a.isTerminal(a.io.Stderr) && !asJSON {
				opts.Progress = a.io.Stderr
			}
			cfg, st, err := a.session(ctx, true)
			if err != nil {
				return err
			}
			defer st.Close()
			opts.Columns = cfg.Columns
			opts.Now = time.Now().UTC()
			res, err := importer.Import(ctx, st, table, name, r, opts)
			if err != nil {
				return err
			}
			if asJSON {
				if res.Skipped == nil {
					res.Skipped = []importer.Skip{}
				}
				return writeJSON(a.io.Stdout, res)
			}
			termtext.Fprintf(a.io.Stdout, "Imported %s into %s.\n", termtext.Count(res.Imported, "row"), table)
			if res.Future > 0 {
				termtext.Fprintf(a.io.Stdout, "%s. A timestamp without an offset is read as UTC: if the file holds local times, write them with their offset (2025-12-10T09:30:00+02:00).\n",
					futureRows(res.Future, res.FutureUntil.Sub(opts.Now)))
			}
			if len(res.Skipped) > 0 {
				termtext.Fprintf(a.io.Stdout, "Skipped %s:\n", termtext.Count(len(res.Skipped), "invalid line"))
				for _, s := range res.Skipped {
					termtext.Fprintf(a.io.Stdout, "  %s\n", s)
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Format, "format", "", "csv or ndjson; default from the file's extension (env PTD_FORMAT)")
	fl.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "import the good rows and list the bad lines instead of failing (env PTD_SKIP_INVALID)")
	fl.BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	return cmd
}
