package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"
	proactive "github.com/ptd-agents/ptd-proactive"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// repairFiles are the migrations that are idempotent (IF NOT EXISTS
// throughout): Migrate runs them again after goose to recreate what a user
// dropped.
func repairFiles() []string {
	return []string{"migrations/00001_baseline.sql", "migrations/00010_desk.sql", "migrations/00011_contacts.sql"}
}

// gooseTable records the applied migrations. It has a name of its own so
// that it never collides with a goose table of the user's application.
const gooseTable = "ptd_schema_migrations"

// queryer is what *sql.DB and *sql.Tx have in common for reading.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Migrate creates whatever tables, columns and indexes are missing and
// reports what it created. It never drops or rewrites data: source tables
// that exist are left as they are, with extra columns or without some
// (a warning names what their check will miss), but for the columns the
// embedded store holds so that every check can run (CONTRACT §11.1):
// deals.contact_email, a contacts(id, email) table and the configured
// owner (text) and value (numeric) columns (Options.Columns) are added
// where missing; an existing proactive_insights gets the columns it
// lacks, and rows of it that already share a dedup key are a warning
// (they are kept).
func (d *DB) Migrate(ctx context.Context) (proactive.MigrateReport, error) {
	rep := proactive.MigrateReport{Created: []string{}, Warnings: []string{}}
	defer d.cat.forget()
	before, err := d.schemaObjects(ctx)
	if err != nil {
		return rep, translate("migrate: read the schema", err)
	}
	// Columns first: the baseline indexes proactive_insights' columns.
	added, err := d.addColumns(ctx)
	if err != nil {
		return rep, translate("migrate: add missing columns", err)
	}
	if err := d.gooseUp(ctx); err != nil {
		return rep, translate("migrate", err)
	}
	if err := d.repair(ctx); err != nil {
		return rep, translate("migrate: recreate missing tables", err)
	}
	// Tables the migrations just created or recreated lack the columns
	// added since: they are part of the new table, not reported.
	if _, err := d.addColumns(ctx); err != nil {
		return rep, translate("migrate: add missing columns", err)
	}
	warnings, err := d.createSourceIndexes(ctx)
	if err != nil {
		return rep, translate("migrate: create source table indexes", err)
	}
	rep.Warnings = append(rep.Warnings, warnings...)
	if w, err := d.duplicateKeys(ctx); err != nil {
		return rep, translate("migrate: look for duplicate dedup keys", err)
	} else if w != "" {
		rep.Warnings = append(rep.Warnings, w)
	}

	after, err := d.schemaObjects(ctx)
	if err != nil {
		return rep, translate("migrate: read the schema", err)
	}
	for _, obj := range after {
		if !slices.Contains(before, obj) {
			rep.Created = append(rep.Created, obj)
		}
	}
	rep.Created = append(rep.Created, added...)
	return rep, nil
}

// schemaObjects lists the tables and indexes of the database, as "table x"
// and "index y", in creation order.
func (d *DB) schemaObjects(ctx context.Context) ([]string, error) {
	rows, err := d.write.QueryContext(ctx,
		`SELECT type || ' ' || name FROM sqlite_master
		 WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
		 ORDER BY rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// addColumns adds to the existing tables of addedColumns the columns they
// lack, and returns them as "column table.x".
func (d *DB) addColumns(ctx context.Context) ([]string, error) {
	var added []string
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		for _, tc := range d.addedColumns() {
			kind, cols, err := tableInfo(ctx, tx, tc.table)
			if err != nil {
				return err
			}
			if kind != "table" {
				continue
			}
			for _, c := range tc.columns {
				if cols[strings.ToLower(c.name)] {
					continue
				}
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s",
					tc.table, quoteIdent(c.name), c.decl)); err != nil {
					return fmt.Errorf("add column %s.%s: %w", tc.table, c.name, err)
				}
				added = append(added, "column "+tc.table+"."+c.name)
			}
		}
		return nil
	})
	return added, err
}

// gooseUp applies the embedded migrations not yet recorded in gooseTable.
func (d *DB) gooseUp(ctx context.Context) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, d.write, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithTableName(gooseTable))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		var pe *goose.PartialError
		if errors.As(err, &pe) && pe.Err != nil {
			return fmt.Errorf("apply migration %s: %w", pe.Failed.Source.Path, pe.Err)
		}
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// repair runs the idempotent migrations again: they only create what is
// missing, such as a table a user dropped after they were first applied.
func (d *DB) repair(ctx context.Context) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		for _, file := range repairFiles() {
			src, err := migrationFiles.ReadFile(file)
			if err != nil {
				return fmt.Errorf("read %s: %w", file, err)
			}
			if _, err := tx.ExecContext(ctx, string(src)); err != nil {
				return fmt.Errorf("run %s: %w", file, err)
			}
		}
		return nil
	})
}

// createSourceIndexes creates the indexes the checks need on the source
// tables that are tables and have the columns. It returns a warning per
// source table that lacks columns or is not a table.
func (d *DB) createSourceIndexes(ctx context.Context) ([]string, error) {
	var warnings []string
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range proactive.SourceTables() {
			kind, cols, err := tableInfo(ctx, tx, table)
			if err != nil {
				return err
			}
			if lacking := missingColumns(cols, proactive.SourceColumns(table)); len(lacking) > 0 {
				warnings = append(warnings, fmt.Sprintf("%s has no column %s: the %s cannot run until it has (add the columns or map them in a view named %s)",
					table, strings.Join(lacking, ", "), proactive.SourceCheck(table), table))
			}
			for _, ix := range sourceIndexes() {
				if ix.table != table || kind != "table" || len(missingColumns(cols, ix.columns)) > 0 {
					continue
				}
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s %s", ix.name, ix.table, ix.def)); err != nil {
					return fmt.Errorf("create index %s: %w", ix.name, err)
				}
			}
		}
		return nil
	})
	return warnings, err
}

// tableInfo returns whether name is a "table", a "view" or "" (missing),
// and its columns, lower-cased.
func tableInfo(ctx context.Context, q queryer, name string) (kind string, cols map[string]bool, err error) {
	err = q.QueryRowContext(ctx,
		`SELECT type FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE`, name).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("look up table %s: %w", name, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT lower(name) FROM pragma_table_info(?)`, name)
	if err != nil {
		return "", nil, fmt.Errorf("read the columns of %s: %w", name, err)
	}
	defer rows.Close()
	cols = map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", nil, fmt.Errorf("read the columns of %s: %w", name, err)
		}
		cols[c] = true
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("read the columns of %s: %w", name, err)
	}
	return kind, cols, nil
}

// missingColumns returns the wanted columns not in cols (lower-cased names),
// in the order wanted lists them.
func missingColumns(cols map[string]bool, wanted []string) []string {
	var out []string
	for _, c := range wanted {
		if !cols[c] {
			out = append(out, c)
		}
	}
	return out
}

// duplicateKeys returns a warning when proactive_insights already holds
// rows that share a dedup key (an older product's check-then-insert race,
// say), "" when none do.
func (d *DB) duplicateKeys(ctx context.Context) (string, error) {
	kind, cols, err := tableInfo(ctx, d.write, proactive.TableInsights)
	if err != nil || kind == "" || !cols["dedup_key"] {
		return "", err
	}
	var keys, rows int64
	err = d.write.QueryRowContext(ctx, `
		SELECT count(*), coalesce(sum(n), 0)
		FROM (SELECT count(*) AS n FROM proactive_insights WHERE dedup_key IS NOT NULL GROUP BY dedup_key HAVING count(*) > 1)`,
	).Scan(&keys, &rows)
	if err != nil || keys == 0 {
		return "", err
	}
	return fmt.Sprintf("%s already holds %d dedup keys on more than one row (%d rows in all): they are kept as they are, a scan compares with the newest row of each key and never adds another; delete the older copies if you want them gone",
		proactive.TableInsights, keys, rows), nil
}
