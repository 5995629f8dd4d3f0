package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// insertChunk is how many rows one INSERT … SELECT FROM unnest carries.
const insertChunk = 5000

// InsertRows inserts rows into a source table or contacts
// (proactive.ImportTables) in one transaction: all or nothing; cols are
// known columns (proactive.ImportColumns) or configured ones, each of
// which the table must have (ENOTFOUND). Values travel as text and are cast to each column's own type,
// so the same rows go into uuid, bigint or text ids, numeric or double
// amounts, timestamptz or timestamp columns. A row without an id (nil,
// missing or "") gets the column's default. A value the column's type
// cannot take is EINVALID naming it; an id already stored is ECONFLICT.
func (d *DB) InsertRows(ctx context.Context, table string, cols []string, rows []proactive.Row) error {
	op := "insert into " + table
	known := proactive.ImportColumns(table, proactive.Columns{})
	if known == nil {
		return proactive.Errorf(proactive.EINVALID, "%s: unknown table: use one of %s", op, strings.Join(proactive.ImportTables(), ", "))
	}
	for _, c := range cols {
		// Besides the known columns, plain column names: the configured
		// owner and value columns, which the table must have (below).
		if !slices.Contains(known, c) && !proactive.Identifier(c) {
			return proactive.Errorf(proactive.EINVALID, "%s: unknown column %q: the columns are %s, or a configured column", op, c, strings.Join(known, ", "))
		}
	}
	if len(rows) == 0 {
		return nil
	}
	types, err := d.columnTypes(ctx, table)
	if err != nil {
		return d.tableFail(op, table, err)
	}
	if len(types) == 0 {
		return d.tableFail(op, table, &pgconn.PgError{Code: codeUndefinedTable, Message: "relation " + table + " does not exist"})
	}
	for _, c := range cols {
		if _, ok := types[c]; !ok {
			return proactive.Errorf(proactive.ENOTFOUND, "%s: table %s has no column %s: add it or import without it", op, table, c)
		}
	}

	// Rows with an id and rows without one go in separate statements: the
	// latter leave the id to the column's default.
	withID := slices.Contains(cols, "id")
	var idCols, noIDCols []string
	for _, c := range cols {
		if c != "id" {
			noIDCols = append(noIDCols, c)
		}
	}
	if withID {
		idCols = append([]string{"id"}, noIDCols...)
	}
	var given, generated []proactive.Row
	for _, r := range rows {
		if id := textOf(r["id"]); withID && id != nil && *id != "" {
			given = append(given, r)
		} else {
			generated = append(generated, r)
		}
	}
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if err := insertText(ctx, tx, table, idCols, types, given); err != nil {
			return err
		}
		return insertText(ctx, tx, table, noIDCols, types, generated)
	})
	if err != nil {
		return d.tableFail(op, table, err)
	}
	return nil
}

// columnTypes returns the SQL type (format_type) of each column of table,
// empty when the table does not exist.
func (d *DB) columnTypes(ctx context.Context, table string) (map[string]string, error) {
	rows, err := d.pool.Query(ctx, `
		SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		out[name] = typ
	}
	return out, rows.Err()
}

// insertText inserts rows with INSERT … SELECT casting text arrays (one per
// column, from unnest) to the columns' types, insertChunk rows at a time.
func insertText(ctx context.Context, tx pgx.Tx, table string, cols []string, types map[string]string, rows []proactive.Row) error {
	if len(rows) == 0 {
		return nil
	}
	var names, casts, params []string
	for i, c := range cols {
		names = append(names, pgx.Identifier{c}.Sanitize())
		casts = append(casts, fmt.Sprintf("u.c%d::%s", i, types[c]))
		params = append(params, fmt.Sprintf("$%d::text[]", i+1))
	}
	aliases := make([]string, len(cols))
	for i := range cols {
		aliases[i] = fmt.Sprintf("c%d", i)
	}
	if len(cols) == 0 {
		// Only generated values: one row of defaults per input row.
		_, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO %s SELECT FROM generate_series(1, $1::int)",
			pgx.Identifier{table}.Sanitize()), len(rows))
		return err
	}
	stmt := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM unnest(%s) AS u(%s)",
		pgx.Identifier{table}.Sanitize(), strings.Join(names, ", "), strings.Join(casts, ", "),
		strings.Join(params, ", "), strings.Join(aliases, ", "))
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		args := make([]any, len(cols))
		for i, c := range cols {
			vals := make([]*string, len(chunk))
			for j, r := range chunk {
				vals[j] = textOf(r[c])
			}
			args[i] = vals
		}
		if _, err := tx.Exec(ctx, stmt, args...); err != nil {
			return fmt.Errorf("rows %d–%d: %w", start+1, start+len(chunk), err)
		}
	}
	return nil
}

// textOf renders a row value as the text PostgreSQL casts to any column
// type; nil for NULL (and for an empty id, which the caller treats as
// absent).
func textOf(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case int:
		s = strconv.Itoa(x)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		s = strconv.FormatBool(x)
	case time.Time:
		s = x.UTC().Format("2006-01-02 15:04:05.999999Z07:00")
	case *time.Time:
		if x == nil {
			return nil
		}
		s = x.UTC().Format("2006-01-02 15:04:05.999999Z07:00")
	default:
		s = fmt.Sprint(x)
	}
	return &s
}
