package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.ColumnInspector = (*DB)(nil)

// catalog caches the columns, and their types, of the user's tables that
// the readers look up before they read optional columns (the configured
// owner and value columns, contacts, deals.contact_email; CONTRACT §11.1,
// §11.4), like the other catalog facts the store keeps: read once, kept
// until the next Migrate. A reader whose query fails forgets it too (a
// column dropped or retyped since), and MissingColumns, which a scan with
// configured columns calls first, reads their tables afresh, so that a
// configured column added while a service runs is read from its next
// scan on.
type catalog struct {
	mu     sync.Mutex
	tables map[string]*catalogTable // table name as looked up -> what the catalog says
}

// catalogTable is what the catalog says about one table name.
type catalogTable struct {
	exists bool
	types  map[string]string // column -> SQL type (format_type)
}

// forget empties the cache.
func (c *catalog) forget() {
	c.mu.Lock()
	c.tables = nil
	c.mu.Unlock()
}

// tableColumnsSQL returns whether a table name resolves through the search
// path, and its columns with their types.
const tableColumnsSQL = `
SELECT r.oid IS NOT NULL,
	coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnum > 0), '{}'),
	coalesce(array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) FILTER (WHERE a.attnum > 0), '{}')
FROM (SELECT to_regclass($1)::oid AS oid) r
LEFT JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
GROUP BY r.oid`

// columnTypes returns the SQL types of cols (names as configured, matched
// exactly as a quoted identifier is) in table, "" for each the table
// lacks, and whether the table exists. Only what the cache does not know
// is looked up.
func (d *DB) columnTypesOf(ctx context.Context, table string, cols ...string) (types []string, exists bool, err error) {
	d.cat.mu.Lock()
	tc := d.cat.tables[table]
	d.cat.mu.Unlock()
	if tc == nil {
		if tc, err = d.lookUpColumns(ctx, table); err != nil {
			return nil, false, err
		}
	}
	types = make([]string, len(cols))
	for i, c := range cols {
		types[i] = tc.types[c]
	}
	return types, tc.exists, nil
}

// lookUpColumns reads what the catalog says about table and caches it.
func (d *DB) lookUpColumns(ctx context.Context, table string) (*catalogTable, error) {
	var names, typs []string
	tc := &catalogTable{}
	if err := d.pool.QueryRow(ctx, tableColumnsSQL, table).Scan(&tc.exists, &names, &typs); err != nil {
		return nil, fmt.Errorf("look up the columns of %s: %w", table, err)
	}
	tc.types = make(map[string]string, len(names))
	for i, n := range names {
		tc.types[n] = typs[i]
	}
	d.cat.mu.Lock()
	if d.cat.tables == nil {
		d.cat.tables = map[string]*catalogTable{}
	}
	d.cat.tables[table] = tc
	d.cat.mu.Unlock()
	return tc, nil
}

// optionalColumns returns, for each configured column of table ("" for
// none), its type when a reader reads it (set, an identifier and present
// in the table), else "". A column that is missing reads as unset
// (CONTRACT §11.1); with none set nothing is looked up.
func (d *DB) optionalColumns(ctx context.Context, table string, cols ...string) ([]string, error) {
	use := make([]string, len(cols))
	var ask []string
	for _, c := range cols {
		if c != "" && proactive.Identifier(c) {
			ask = append(ask, c)
		}
	}
	if len(ask) == 0 {
		return use, nil
	}
	types, _, err := d.columnTypesOf(ctx, table, ask...)
	if err != nil {
		return nil, err
	}
	j := 0
	for i, c := range cols {
		if c != "" && proactive.Identifier(c) {
			use[i] = types[j]
			j++
		}
	}
	return use, nil
}

// MissingColumns implements proactive.ColumnInspector: the configured
// columns whose table exists without them. It reads their tables afresh
// (and refreshes the cache the readers use).
func (d *DB) MissingColumns(ctx context.Context, c proactive.Columns) ([]proactive.ConfiguredColumn, error) {
	out, err := proactive.MissingColumnsOf(ctx, c, func(ctx context.Context, table string) (bool, func(string) bool, error) {
		tc, err := d.lookUpColumns(ctx, table)
		if err != nil {
			return false, nil, err
		}
		return tc.exists, func(col string) bool { return tc.types[col] != "" }, nil
	})
	if err != nil {
		return nil, d.fail("look up the configured columns", err)
	}
	return out, nil
}

// MissingColumns is DB.MissingColumns on the replica.
func (r *Reader) MissingColumns(ctx context.Context, c proactive.Columns) ([]proactive.ConfiguredColumn, error) {
	return r.db.MissingColumns(ctx, c)
}

// quoteIdent quotes a configured column name as written.
func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// ownerSQL reads a configured owner column of the relation alias as text.
func ownerSQL(alias, column string) string { return alias + "." + quoteIdent(column) + "::text" }

// numericTypes are the types whose values cast to float8 as they are.
func numericType(typ string) bool {
	switch {
	case typ == "smallint", typ == "integer", typ == "bigint", typ == "real", typ == "double precision",
		typ == "numeric", strings.HasPrefix(typ, "numeric("):
		return true
	}
	return false
}

// valueSQL reads a configured value column of type typ of the relation
// alias as float8: a numeric column as it is; any other type through its
// text, NULL when that is no number (a cast would fail the whole read).
func valueSQL(alias, column, typ string) string {
	col := alias + "." + quoteIdent(column)
	if numericType(typ) {
		return col + "::float8"
	}
	return `CASE WHEN btrim(` + col + `::text) ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' THEN btrim(` + col + `::text)::float8 END`
}
