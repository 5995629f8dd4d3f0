package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	proactive "github.com/ptd-agents/ptd-proactive"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// repairFile is an idempotent migration (IF NOT EXISTS throughout) and the
// tables it creates: Migrate runs it again after goose when one of them is
// missing (a user dropped it).
type repairFile struct {
	path   string
	tables []string
}

// repairFiles are the idempotent migrations.
func repairFiles() []repairFile {
	return []repairFile{
		{"migrations/00001_baseline.sql", productTables()},
		{"migrations/00010_desk.sql", deskTables()},
	}
}

// gooseTable records the applied migrations. It has a name of its own so
// that it never collides with a goose table of the user's application.
const gooseTable = "ptd_goose_db_version"

// migrateLock is the key of the session advisory lock that serialises
// Migrate over every process sharing the database: one per schema, since
// that is where Migrate creates things.
const migrateLock = `hashtextextended('ptd-proactive migrate ' || current_schema(), 0)`

// migrateLockWait bounds how long Migrate waits for another one to finish.
const migrateLockWait = 5 * time.Minute

// lockTimeout bounds how long an ALTER TABLE of Migrate waits for a lock on
// a user table; past it Migrate fails rather than queue the table's users
// behind it.
const lockTimeout = "10s"

// productTables are the tables of the baseline migration.
func productTables() []string {
	return []string{proactive.TableInsights, "ptd_notifications", "ptd_scan_runs", "ptd_schedule_ticks"}
}

// deskTables are the tables of the desk migration.
func deskTables() []string {
	return []string{"ptd_cases", "ptd_case_events", "ptd_silences", "ptd_resolve_notices"}
}

// Migrate creates whatever tables, columns and indexes are missing and
// reports what it created. It never drops, rewrites or long-locks user
// data: missing source tables are created, existing ones are left as they
// are (a warning names the columns a check lacks); an existing
// proactive_insights gets the columns it lacks (without a table rewrite);
// indexes are built with CREATE INDEX CONCURRENTLY, and one the database
// user has no right to create is a warning, as are duplicate dedup keys
// already stored. Concurrent calls, from any process, run one at a time.
func (d *DB) Migrate(ctx context.Context) (proactive.MigrateReport, error) {
	rep := proactive.MigrateReport{Created: []string{}, Warnings: []string{}}
	d.forgetIDColumn()
	defer d.forgetIDColumn()
	defer d.cat.forget()

	conn, err := d.lockMigrate(ctx)
	if err != nil {
		return rep, err
	}
	defer func() {
		// Closing the session releases the advisory lock with it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()

	// The source tables, and contacts (CONTRACT §11.1), only where missing:
	// an existing table of the user's is never altered.
	for _, table := range proactive.ImportTables() {
		made, err := createIfMissing(ctx, conn, table, sourceTableDDL(table))
		if err != nil {
			return rep, d.fail("migrate: create table "+table, err)
		}
		if made {
			rep.Created = append(rep.Created, "table "+table)
		}
	}

	added, err := addColumns(ctx, conn)
	if err != nil {
		return rep, d.fail("migrate: add missing columns", err)
	}
	rep.Created = append(rep.Created, added...)

	before, err := schemaObjects(ctx, conn)
	if err != nil {
		return rep, d.fail("migrate: read the schema", err)
	}
	if err := d.gooseUp(ctx); err != nil {
		return rep, d.fail("migrate", err)
	}
	if err := repair(ctx, conn); err != nil {
		return rep, d.fail("migrate: recreate missing tables", err)
	}
	// Tables the migrations just created or recreated lack the columns
	// added since: they are part of the new table, not reported.
	if _, err := addColumns(ctx, conn); err != nil {
		return rep, d.fail("migrate: add missing columns", err)
	}
	after, err := schemaObjects(ctx, conn)
	if err != nil {
		return rep, d.fail("migrate: read the schema", err)
	}
	for _, obj := range after {
		if !slices.Contains(before, obj) {
			rep.Created = append(rep.Created, obj)
		}
	}

	made, warning, err := ensureIDDefault(ctx, conn)
	if err != nil {
		return rep, d.fail("migrate: give "+proactive.TableInsights+".id a default", err)
	}
	rep.Created = append(rep.Created, made...)
	if warning != "" {
		rep.Warnings = append(rep.Warnings, warning)
	}

	for _, table := range proactive.SourceTables() {
		info, err := readTableInfo(ctx, conn, table)
		if err != nil {
			return rep, d.fail("migrate: read the columns of "+table, err)
		}
		if lacking := info.missing(proactive.SourceColumns(table)); info.exists() && len(lacking) > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf(
				"%s has no column %s: the %s cannot run until it has (add the columns or map them in a view named %s)",
				table, strings.Join(lacking, ", "), proactive.SourceCheck(table), table))
		}
	}

	made, warnings, err := d.createIndexes(ctx, conn)
	rep.Created = append(rep.Created, made...)
	rep.Warnings = append(rep.Warnings, warnings...)
	if err != nil {
		return rep, err
	}

	if w, err := duplicateKeys(ctx, conn); err != nil {
		return rep, d.fail("migrate: look for duplicate dedup keys", err)
	} else if w != "" {
		rep.Warnings = append(rep.Warnings, w)
	}
	return rep, nil
}

// lockMigrate opens a connection of its own (outside the pool, so that a
// pool of one connection still works) and takes the migrate advisory lock
// on it. It polls with pg_try_advisory_lock rather than wait in
// pg_advisory_lock: a waiting statement holds a snapshot, which a CREATE
// INDEX CONCURRENTLY of the lock holder would wait for in turn.
func (d *DB) lockMigrate(ctx context.Context) (*pgx.Conn, error) {
	cfg := d.pool.Config().ConnConfig.Copy()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, d.fail("migrate: connect", err)
	}
	// Building an index concurrently on a big table may take longer than
	// any statement of a scan: it blocks no writer, so let it run.
	if _, err := conn.Exec(ctx, sessionSettingsSQL(0)); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, d.fail("migrate: set up the session", err)
	}
	deadline := time.Now().Add(migrateLockWait)
	for {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock("+migrateLock+")").Scan(&ok); err != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, d.fail("migrate: take the migration lock", err)
		}
		if ok {
			return conn, nil
		}
		if time.Now().After(deadline) {
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, proactive.Errorf(proactive.EUNAVAILABLE,
				"migrate: another ptd-proactive migrate has held the database at %s for over %s: wait for it to finish and try again", d.where, migrateLockWait)
		}
		select {
		case <-ctx.Done():
			_ = conn.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("migrate: wait for another migrate to finish: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tableInfo is what the catalog says about one table name.
type tableInfo struct {
	kind    string // pg_class.relkind: "r" table, "p" partitioned, "v" view, "m" materialized view, "f" foreign; "" missing
	columns []string
}

// exists reports whether the name resolves to a relation.
func (t tableInfo) exists() bool { return t.kind != "" }

// isTable reports whether the relation is a table one can index.
func (t tableInfo) isTable() bool { return t.kind == "r" || t.kind == "p" || t.kind == "m" }

// missing returns the wanted columns the relation lacks, in wanted's order.
func (t tableInfo) missing(wanted []string) []string {
	var out []string
	for _, c := range wanted {
		if !slices.Contains(t.columns, c) {
			out = append(out, c)
		}
	}
	return out
}

// querier is what a connection, a pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readTableInfo looks a table name up through the search path.
func readTableInfo(ctx context.Context, q querier, name string) (tableInfo, error) {
	var t tableInfo
	err := q.QueryRow(ctx, `
		SELECT c.relkind::text,
		       coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped), '{}')
		FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE c.oid = to_regclass($1)
		GROUP BY c.relkind`, name).Scan(&t.kind, &t.columns)
	if errors.Is(err, pgx.ErrNoRows) {
		return tableInfo{}, nil
	}
	if err != nil {
		return tableInfo{}, fmt.Errorf("look up table %s: %w", name, err)
	}
	return t, nil
}

// createIfMissing runs ddl (a CREATE TABLE IF NOT EXISTS) when table does
// not resolve, and reports whether it created it.
func createIfMissing(ctx context.Context, q querier, table, ddl string) (bool, error) {
	info, err := readTableInfo(ctx, q, table)
	if err != nil || info.exists() {
		return false, err
	}
	if _, err := q.Exec(ctx, ddl); err != nil {
		return false, err
	}
	return true, nil
}

// addColumns adds to the existing tables of addedColumns the columns they
// lack, one ALTER TABLE per table that waits at most lockTimeout for its
// lock, and returns them as "column table.x". No declaration rewrites the
// table.
func addColumns(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	var added []string
	for _, tc := range addedColumns() {
		info, err := readTableInfo(ctx, conn, tc.table)
		if err != nil {
			return added, err
		}
		if !info.isTable() {
			continue
		}
		var adds, names []string
		for _, c := range tc.columns {
			if slices.Contains(info.columns, c.name) {
				continue
			}
			adds = append(adds, "ADD COLUMN IF NOT EXISTS "+c.name+" "+c.decl)
			names = append(names, "column "+tc.table+"."+c.name)
		}
		if len(adds) == 0 {
			continue
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '"+lockTimeout+"'"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "ALTER TABLE "+tc.table+" "+strings.Join(adds, ", "))
			return err
		})
		if err != nil {
			return added, fmt.Errorf("add columns to %s: %w", tc.table, err)
		}
		added = append(added, names...)
	}
	return added, nil
}

// ensureIDDefault gives proactive_insights.id a default when it has none
// (a column Migrate just added, or a user's table without one), so that
// a scan can insert alerts: gen_random_uuid() for a uuid or text id. An integer
// id without a default cannot be fixed without the user: that is a warning.
func ensureIDDefault(ctx context.Context, conn *pgx.Conn) (created []string, warning string, err error) {
	var typ string
	var hasDefault bool
	err = conn.QueryRow(ctx, `
		SELECT format_type(a.atttypid, a.atttypmod), a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''
		FROM pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attname = 'id' AND NOT a.attisdropped`,
		proactive.TableInsights).Scan(&typ, &hasDefault)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && hasDefault) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var def string
	switch {
	case typ == "uuid":
		def = "gen_random_uuid()"
	case typ == "text" || strings.HasPrefix(typ, "character varying"):
		def = "gen_random_uuid()::text"
	default:
		return nil, fmt.Sprintf("%s.id (%s) has no default, so alerts cannot be saved: give it one, e.g. ALTER TABLE %s ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY",
			proactive.TableInsights, typ, proactive.TableInsights), nil
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '"+lockTimeout+"'"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ALTER TABLE "+proactive.TableInsights+" ALTER COLUMN id SET DEFAULT "+def)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return []string{"default " + proactive.TableInsights + ".id"}, "", nil
}

// schemaObjects lists the tables and indexes of the current schema as
// "table x" and "index y", oldest first; indexes that back a constraint (a
// primary key, a unique column) go with their table and are left out.
func schemaObjects(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.Query(ctx, `
		SELECT CASE c.relkind WHEN 'i' THEN 'index ' ELSE 'table ' END || c.relname
		FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'i')
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
		ORDER BY c.oid`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// gooseUp applies the embedded migrations not yet recorded in gooseTable.
func (d *DB) gooseUp(ctx context.Context) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(d.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
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

// repair runs each idempotent migration again when one of its tables is
// missing (a user dropped it after goose recorded the migration): it only
// creates what is missing.
func repair(ctx context.Context, conn *pgx.Conn) error {
	for _, f := range repairFiles() {
		missing := false
		for _, t := range f.tables {
			info, err := readTableInfo(ctx, conn, t)
			if err != nil {
				return err
			}
			missing = missing || !info.exists()
		}
		if !missing {
			continue
		}
		src, err := migrationFiles.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("read %s: %w", f.path, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(src)); err != nil {
				return fmt.Errorf("run %s: %w", f.path, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// createIndexes creates, with CREATE INDEX CONCURRENTLY (outside any
// transaction: writers are never blocked), the indexes that are missing on
// tables that have their columns. An index left invalid by an interrupted
// earlier build is dropped and built again. No right to create an index,
// or any other failure of one index, is a warning naming the statement to
// run; only a lost connection is an error.
func (d *DB) createIndexes(ctx context.Context, conn *pgx.Conn) (created, warnings []string, err error) {
	for _, ix := range indexes() {
		info, err := readTableInfo(ctx, conn, ix.table)
		if err != nil {
			return created, warnings, d.fail("migrate: read the columns of "+ix.table, err)
		}
		if !info.isTable() || len(info.missing(ix.columns)) > 0 {
			continue
		}
		var valid *bool
		err = conn.QueryRow(ctx, `SELECT (SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1))`, ix.name).Scan(&valid)
		if err != nil {
			return created, warnings, d.fail("migrate: look up index "+ix.name, err)
		}
		def, err := d.indexDef(ctx, ix)
		if err != nil {
			return created, warnings, d.fail("migrate: read the columns of "+ix.table, err)
		}
		// An index whose condition names an enum's labels (indexDef) is
		// noted with its definition: one made for other labels no longer
		// serves the checks and is built again.
		enumNote, stale := "", false
		if def != ix.def && info.kind != "p" {
			enumNote = "ptd-proactive: " + def
		}
		if valid != nil && *valid {
			if enumNote == "" {
				continue
			}
			var note *string
			if err := conn.QueryRow(ctx, `SELECT obj_description(to_regclass($1), 'pg_class')`, ix.name).Scan(&note); err != nil {
				return created, warnings, d.fail("migrate: look up index "+ix.name, err)
			}
			if note != nil && *note == enumNote {
				continue
			}
			stale = true
		}
		ix.def = def
		if info.kind == "p" {
			made, warning, err := d.createPartitionedIndex(ctx, conn, ix)
			if err != nil {
				return created, warnings, err
			}
			if warning != "" {
				warnings = append(warnings, warning)
			}
			if made {
				created = append(created, "index "+ix.name)
			}
			continue
		}
		stmt := fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s %s", ix.name, ix.table, ix.def)
		if valid != nil { // invalid (an earlier concurrent build was interrupted), or stale
			if _, err := conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+ix.name); err != nil {
				if isConnError(err) || ctx.Err() != nil {
					return created, warnings, d.fail("migrate: drop index "+ix.name, err)
				}
				what := "is invalid (an earlier build was interrupted)"
				if stale {
					what = "was made for other labels of its enum"
				}
				warnings = append(warnings, fmt.Sprintf("index %s on %s %s and could not be dropped (%s): drop it with DROP INDEX CONCURRENTLY %s and run migrate again; %s until then",
					ix.name, ix.table, what, pgMessage(err), ix.name, ix.why))
				continue
			}
		}
		if _, err := conn.Exec(ctx, stmt); err != nil {
			if isConnError(err) || ctx.Err() != nil {
				return created, warnings, d.fail("migrate: create index "+ix.name, err)
			}
			// A failed concurrent build may leave an invalid index behind.
			_, _ = conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+ix.name)
			if pgCode(err) == codeInsufficientPriv {
				warnings = append(warnings, fmt.Sprintf("no right to create index %s on %s (%s): %s; ask the table's owner to run: %s",
					ix.name, ix.table, pgMessage(err), ix.why, stmt))
			} else {
				warnings = append(warnings, fmt.Sprintf("could not create index %s on %s (%s): %s; fix the cause and run migrate again, or run: %s",
					ix.name, ix.table, pgMessage(err), ix.why, stmt))
			}
			continue
		}
		if enumNote != "" {
			if _, err := conn.Exec(ctx, "COMMENT ON INDEX "+ix.name+" IS "+quoteLiteral(enumNote)); err != nil {
				if isConnError(err) || ctx.Err() != nil {
					return created, warnings, d.fail("migrate: note index "+ix.name, err)
				}
				warnings = append(warnings, fmt.Sprintf("could not note index %s with its enum labels (%s): migrate will build it again next time", ix.name, pgMessage(err)))
			}
		}
		created = append(created, "index "+ix.name)
	}
	return created, warnings, nil
}

// createPartitionedIndex creates index ix on a partitioned table without
// locking its partitions against writes (CREATE INDEX CONCURRENTLY does
// not exist for partitioned tables): the index is created on the parent
// alone (ON ONLY: no data, invalid until complete, instant), then built
// concurrently on each partition (recursively for sub-partitioned ones)
// and attached to it; once every partition's is attached, PostgreSQL marks
// the parent's valid, and creates it by itself on partitions added later.
// A run that was interrupted is completed by the next one: partitions whose
// index is attached are skipped, an invalid leftover on a partition is
// dropped and built again. It reports whether the parent's index became
// valid; a failure other than a lost connection is a warning naming what
// to run.
func (d *DB) createPartitionedIndex(ctx context.Context, conn *pgx.Conn, ix index) (made bool, warning string, err error) {
	fail := func(what string, err error) (bool, string, error) {
		if isConnError(err) || ctx.Err() != nil {
			return false, "", d.fail("migrate: "+what, err)
		}
		if pgCode(err) == codeInsufficientPriv {
			return false, fmt.Sprintf("no right to %s (%s): %s; ask the table's owner to run migrate, or: CREATE INDEX %s ON %s %s",
				what, pgMessage(err), ix.why, ix.name, ix.table, ix.def), nil
		}
		return false, fmt.Sprintf("could not %s (%s): %s; fix the cause and run migrate again",
			what, pgMessage(err), ix.why), nil
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '"+lockTimeout+"'"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON ONLY %s %s", ix.name, ix.table, ix.def))
		return err
	})
	if err != nil {
		return fail("create index "+ix.name+" on partitioned table "+ix.table, err)
	}
	if what, err := attachPartitionIndexes(ctx, conn, ix, ix.name, ix.table); err != nil {
		return fail(what, err)
	}
	var valid bool
	if err := conn.QueryRow(ctx, `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)`, ix.name).Scan(&valid); err != nil {
		return fail("look up index "+ix.name, err)
	}
	if !valid {
		return false, fmt.Sprintf("index %s on %s is not valid yet (a partition's index is missing): %s; run migrate again",
			ix.name, ix.table, ix.why), nil
	}
	return true, "", nil
}

// partition is one partition of a partitioned table.
type partition struct {
	oid         uint32
	schema      string
	name        string
	partitioned bool
	// attached is the partition's index attached to the parent's, "" when none.
	attached string
}

// attachPartitionIndexes gives every partition of the table parent
// (qualified name or regclass text) its index of ix, attached to the
// parent's index parentIndex. On failure it returns what it was doing.
func attachPartitionIndexes(ctx context.Context, conn *pgx.Conn, ix index, parentIndex, parent string) (string, error) {
	rows, err := conn.Query(ctx, `
		SELECT c.oid, n.nspname::text, c.relname::text, c.relkind = 'p',
		       coalesce((SELECT x.indexrelid::regclass::text FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid
		                 WHERE ii.inhparent = to_regclass($2) AND x.indrelid = c.oid LIMIT 1), '')
		FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.inhparent = to_regclass($1)
		ORDER BY c.oid`, parent, parentIndex)
	if err != nil {
		return "list the partitions of " + parent, err
	}
	parts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (partition, error) {
		var p partition
		err := r.Scan(&p.oid, &p.schema, &p.name, &p.partitioned, &p.attached)
		return p, err
	})
	if err != nil {
		return "list the partitions of " + parent, err
	}
	for _, p := range parts {
		table := pgx.Identifier{p.schema, p.name}.Sanitize()
		if p.attached != "" {
			if p.partitioned { // its own partitions may still lack theirs
				if what, err := attachPartitionIndexes(ctx, conn, ix, p.attached, table); err != nil {
					return what, err
				}
			}
			continue
		}
		// One name per partition: the index's and the partition's oid (at
		// most 63 bytes), created in the partition's schema.
		name := fmt.Sprintf("%s_p%d", ix.name, p.oid)
		qualified := pgx.Identifier{p.schema, name}.Sanitize()
		what := "create index " + name + " on partition " + table
		if p.partitioned {
			if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON ONLY %s %s", pgx.Identifier{name}.Sanitize(), table, ix.def)); err != nil {
				return what, err
			}
			if what, err := attachPartitionIndexes(ctx, conn, ix, qualified, table); err != nil {
				return what, err
			}
		} else {
			var valid *bool
			if err := conn.QueryRow(ctx, `SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1))`, qualified).Scan(&valid); err != nil {
				return "look up index " + qualified, err
			}
			if valid != nil && !*valid { // an earlier concurrent build was interrupted
				if _, err := conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+qualified); err != nil {
					return "drop invalid index " + qualified, err
				}
			}
			if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s %s", pgx.Identifier{name}.Sanitize(), table, ix.def)); err != nil {
				_, _ = conn.Exec(ctx, "DROP INDEX CONCURRENTLY IF EXISTS "+qualified)
				return what, err
			}
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER INDEX %s ATTACH PARTITION %s", parentIndex, qualified)); err != nil {
			return "attach index " + qualified + " to " + parentIndex, err
		}
	}
	return "", nil
}

// duplicateKeys returns a warning when proactive_insights already holds
// rows that share a dedup key (an older product's check-then-insert race,
// say), "" when none do.
func duplicateKeys(ctx context.Context, q querier) (string, error) {
	info, err := readTableInfo(ctx, q, proactive.TableInsights)
	if err != nil || !info.exists() || len(info.missing([]string{"dedup_key"})) > 0 {
		return "", err
	}
	var keys, rows int64
	err = q.QueryRow(ctx, `
		SELECT count(*), coalesce(sum(n), 0)::bigint
		FROM (SELECT count(*) AS n FROM proactive_insights WHERE dedup_key IS NOT NULL GROUP BY dedup_key HAVING count(*) > 1) d`).Scan(&keys, &rows)
	if err != nil || keys == 0 {
		return "", err
	}
	return fmt.Sprintf("%s already holds %d dedup keys on more than one row (%d rows in all): they are kept as they are, a scan compares with the newest row of each key and never adds another; delete the older copies if you want them gone",
		proactive.TableInsights, keys, rows), nil
}
