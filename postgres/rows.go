package postgres

import (
	"context"
	"slices"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// HasRows reports whether a source table holds any row (a scan tells an
// empty table, being reloaded, from an all-clear). Only the source tables
// may be asked about.
func (d *DB) HasRows(ctx context.Context, table string) (bool, error) {
	if !slices.Contains(proactive.SourceTables(), table) {
		return false, proactive.Errorf(proactive.EINVALID, "has rows: %q is not a source table", table)
	}
	var has bool
	if err := d.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+")").Scan(&has); err != nil {
		return false, d.fail("look for rows in "+table, err)
	}
	return has, nil
}
