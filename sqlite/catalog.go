package sqlite

import (
	"context"
	"strings"
	"sync"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.ColumnInspector = (*DB)(nil)

// catalog caches the columns of the user's tables that the readers look
// up before they read optional columns (the configured owner and value
// columns, contacts, deals.contact_email; CONTRACT §11.1, §11.4): read
// once, kept until the next Migrate (or ExecForTest). A reader whose query
// fails forgets it too (a column dropped since), and MissingColumns, which
// a scan with configured columns calls first, reads their tables afresh,
// so that a configured column added while a service runs is read from its
// next scan on.
type catalog struct {
	mu     sync.Mutex
	tables map[string]*catalogTable // lower-cased table -> what the schema says
}

// catalogTable is what the schema says about one table name.
type catalogTable struct {
	exists bool
	cols   map[string]bool // lower-cased column names
}

// forget empties the cache.
func (c *catalog) forget() {
	c.mu.Lock()
	c.tables = nil
	c.mu.Unlock()
}

// has reports which of cols (names as configured) table has, compared as
// SQLite compares names (without regard to ASCII case), and whether the
// table exists at all. Only what is not known from the cache is looked up.
func (d *DB) has(ctx context.Context, table string, cols ...string) (found []bool, exists bool, err error) {
	d.cat.mu.Lock()
	tc := d.cat.tables[strings.ToLower(table)]
	d.cat.mu.Unlock()
	if tc == nil {
		if tc, err = d.lookUpColumns(ctx, table); err != nil {
			return nil, false, err
		}
	}
	found = make([]bool, len(cols))
	for i, c := range cols {
		found[i] = tc.cols[strings.ToLower(c)]
	}
	return found, tc.exists, nil
}

// lookUpColumns reads what the schema says about table and caches it.
func (d *DB) lookUpColumns(ctx context.Context, table string) (*catalogTable, error) {
	kind, cols, err := tableInfo(ctx, d.read, table)
	if err != nil {
		return nil, err
	}
	tc := &catalogTable{exists: kind != "", cols: cols}
	d.cat.mu.Lock()
	if d.cat.tables == nil {
		d.cat.tables = map[string]*catalogTable{}
	}
	d.cat.tables[strings.ToLower(table)] = tc
	d.cat.mu.Unlock()
	return tc, nil
}

// optionalColumns returns, for each configured column of table ("" for
// none), whether a reader reads it: set, an identifier, and present in the
// table. A column that is missing reads as unset (CONTRACT §11.1); with
// none set nothing is looked up.
func (d *DB) optionalColumns(ctx context.Context, table string, cols ...string) ([]bool, error) {
	use := make([]bool, len(cols))
	var ask []string
	for _, c := range cols {
		if c != "" && proactive.Identifier(c) {
			ask = append(ask, c)
		}
	}
	if len(ask) == 0 {
		return use, nil
	}
	found, _, err := d.has(ctx, table, ask...)
	if err != nil {
		return nil, err
	}
	j := 0
	for i, c := range cols {
		if c != "" && proactive.Identifier(c) {
			use[i] = found[j]
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
		return tc.exists, func(col string) bool { return tc.cols[strings.ToLower(col)] }, nil
	})
	if err != nil {
		return nil, translate("look up the configured columns", err)
	}
	return out, nil
}

// ownerSQL reads a configured owner column as text.
func ownerSQL(column string) string { return "CAST(" + quoteIdent(column) + " AS TEXT)" }

// valueSQL reads a configured value column as a number: NULL stays NULL,
// text that is no number reads as 0.
func valueSQL(column string) string { return "CAST(" + quoteIdent(column) + " AS REAL)" }
