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
// columns, contacts, deals.contact_email; CONTRACT §11.1, §11.4). It keeps
// what it found: a column found once is read without another look; a
// column or table not found is looked up again at every use (it may be
// added at any time, and a lookup is cheap). Migrate and ExecForTest
// forget everything, as does a reader whose query fails (a column dropped
// since).
type catalog struct {
	mu     sync.Mutex
	tables map[string]map[string]bool // lower-cased table -> lower-cased columns
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
	t := strings.ToLower(table)
	found = make([]bool, len(cols))
	d.cat.mu.Lock()
	known := d.cat.tables[t]
	d.cat.mu.Unlock()
	if known != nil && allIn(known, cols) {
		for i := range found {
			found[i] = true
		}
		return found, true, nil
	}
	kind, colSet, err := tableInfo(ctx, d.read, table)
	if err != nil {
		return nil, false, err
	}
	d.cat.mu.Lock()
	if kind == "" {
		delete(d.cat.tables, t)
	} else {
		if d.cat.tables == nil {
			d.cat.tables = map[string]map[string]bool{}
		}
		d.cat.tables[t] = colSet
	}
	d.cat.mu.Unlock()
	for i, c := range cols {
		found[i] = colSet[strings.ToLower(c)]
	}
	return found, kind != "", nil
}

// allIn reports whether every col is in set (lower-cased names).
func allIn(set map[string]bool, cols []string) bool {
	for _, c := range cols {
		if !set[strings.ToLower(c)] {
			return false
		}
	}
	return true
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
// columns whose table exists without them.
func (d *DB) MissingColumns(ctx context.Context, c proactive.Columns) ([]proactive.ConfiguredColumn, error) {
	var out []proactive.ConfiguredColumn
	for _, cc := range c.Configured() {
		found, exists, err := d.has(ctx, cc.Table, cc.Column)
		if err != nil {
			return nil, translate("look up the configured columns", err)
		}
		if exists && !found[0] {
			out = append(out, cc)
		}
	}
	return out, nil
}

// ownerSQL reads a configured owner column as text.
func ownerSQL(column string) string { return "CAST(" + quoteIdent(column) + " AS TEXT)" }

// valueSQL reads a configured value column as a number: NULL stays NULL,
// text that is no number reads as 0.
func valueSQL(column string) string { return "CAST(" + quoteIdent(column) + " AS REAL)" }
