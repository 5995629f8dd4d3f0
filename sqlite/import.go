package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// InsertRows inserts rows into one of the four source tables or contacts
// (proactive.ImportTables) in one transaction: all or nothing. cols lists
// the columns present in the rows: the table's contract columns, its
// optional ones (proactive.ImportColumns) or other plain column names (the
// configured owner and value columns), which the table must have
// (ENOTFOUND naming one it lacks). A row without an id (nil or empty)
// leaves the id to the column's default. time.Time values are written in
// the canonical UTC text form.
func (d *DB) InsertRows(ctx context.Context, table string, cols []string, rows []proactive.Row) error {
	op := "insert into " + table
	if err := checkColumns(table, cols); err != nil {
		return err
	}
	if err := d.checkExtraColumns(ctx, op, table, cols); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	var rejected []proactive.RejectedRow
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		// One prepared statement per column set: rows with and without an id.
		stmts := map[string]*sql.Stmt{}
		defer func() {
			for _, s := range stmts {
				s.Close()
			}
		}()
		for i, row := range rows {
			use := cols
			if id, ok := row["id"]; !ok || id == nil || id == "" {
				use = slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == "id" })
			}
			key := strings.Join(use, ",")
			stmt, ok := stmts[key]
			if !ok {
				var err error
				if stmt, err = tx.PrepareContext(ctx, insertSQL(table, use)); err != nil {
					return err
				}
				stmts[key] = stmt
			}
			args := make([]any, len(use))
			for j, c := range use {
				v, err := sqlValue(row[c])
				if err != nil {
					return proactive.Errorf(proactive.EINVALID, "%s: row %d, column %s: %v", op, i+1, c, err)
				}
				args[j] = v
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				// A refused row's statement is undone alone; the
				// transaction goes on, to find every refused row.
				if r, ok := refusedRow(i, row, table, use, err); ok {
					rejected = append(rejected, r)
					continue
				}
				return fmt.Errorf("row %d: %w", i+1, err)
			}
		}
		if len(rejected) > 0 {
			return &proactive.RejectedRows{Table: table, Rows: rejected}
		}
		return nil
	})
	var rr *proactive.RejectedRows
	if errors.As(err, &rr) {
		return proactive.Errorf(proactive.EINVALID, "%s: %w", op, rr)
	}
	return tableError(op, table, err)
}

// refusedRow describes row index, which SQLite refused with err, and
// reports whether it was refused for what it holds: a null where NOT
// NULL, a failed CHECK or foreign key, a value a STRICT column's type or
// an INTEGER PRIMARY KEY cannot take. A unique or primary key collision is
// a conflict with what is stored, not a bad row. The column is the one
// the message names (table.column), when it names one.
func refusedRow(index int, row proactive.Row, table string, cols []string, err error) (proactive.RejectedRow, bool) {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return proactive.RejectedRow{}, false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY,
		sqlite3.SQLITE_CONSTRAINT_DATATYPE, sqlite3.SQLITE_MISMATCH:
	default:
		return proactive.RejectedRow{}, false
	}
	msg := e.Error()
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") &&
		strings.Trim(msg[i+2:len(msg)-1], "0123456789") == "" {
		msg = msg[:i] // the result code, which the message says in words
	}
	msg = strings.TrimPrefix(msg, "constraint failed: ")
	if e.Code() == sqlite3.SQLITE_MISMATCH {
		msg = "not a whole number, which the column (the table's INTEGER PRIMARY KEY) needs"
	}
	r := proactive.RejectedRow{Index: index, Reason: msg}
	col := ""
	if i := strings.LastIndex(msg, table+"."); i >= 0 {
		col = strings.TrimRight(msg[i+len(table)+1:], " )")
	} else if e.Code() == sqlite3.SQLITE_MISMATCH && slices.Contains(cols, "id") {
		col = "id" // the INTEGER PRIMARY KEY, the one column SQLite types
	}
	if slices.Contains(cols, col) {
		r.Column = col
		if v, _ := sqlValue(row[col]); v != nil {
			r.Value = fmt.Sprint(v)
		}
	}
	return r, true
}

// checkColumns refuses a table other than the import tables, and columns
// that are neither its known columns nor plain column names (or repeated).
func checkColumns(table string, cols []string) error {
	allowed := proactive.ImportColumns(table, proactive.Columns{})
	if allowed == nil {
		return proactive.Errorf(proactive.EINVALID, "insert into %q: not a source table: use one of %s",
			table, strings.Join(proactive.ImportTables(), ", "))
	}
	for i, c := range cols {
		if !slices.Contains(allowed, c) && !proactive.Identifier(c) {
			return proactive.Errorf(proactive.EINVALID, "insert into %s: unknown column %q: the columns are %s, or a configured column",
				table, c, strings.Join(allowed, ", "))
		}
		if slices.Contains(cols[:i], c) {
			return proactive.Errorf(proactive.EINVALID, "insert into %s: column %q given twice", table, c)
		}
	}
	return nil
}

// checkExtraColumns is ENOTFOUND naming a column of cols beyond the
// table's contract columns (an optional or configured one) that the table
// lacks.
func (d *DB) checkExtraColumns(ctx context.Context, op, table string, cols []string) error {
	contract := proactive.SourceColumns(table)
	var extra []string
	for _, c := range cols {
		if !slices.Contains(contract, c) {
			extra = append(extra, c)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	found, exists, err := d.has(ctx, table, extra...)
	if err != nil {
		return translate(op, err)
	}
	if !exists {
		return proactive.Errorf(proactive.ENOTFOUND, "%s: table %s does not exist: run `ptd-proactive migrate` to create it", op, table)
	}
	for i, ok := range found {
		if !ok {
			return proactive.Errorf(proactive.ENOTFOUND, "%s: table %s has no column %s: configure it (columns: in the config file) and run `ptd-proactive migrate` to add it, or import without it",
				op, table, extra[i])
		}
	}
	return nil
}

// insertSQL is the INSERT statement of a column set (names already checked).
func insertSQL(table string, cols []string) string {
	if len(cols) == 0 {
		return "INSERT INTO " + table + " DEFAULT VALUES"
	}
	return "INSERT INTO " + table + ` ("` + strings.Join(cols, `", "`) + `") VALUES (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
}

// sqlValue converts a proactive.Row value to what the store writes.
func sqlValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, int64, float64, bool:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case time.Time:
		return formatTime(x), nil
	case *time.Time:
		if x == nil {
			return nil, nil
		}
		return formatTime(*x), nil
	}
	return nil, fmt.Errorf("unsupported value %v of type %T", v, v)
}
