package postgres

import (
	"context"
	"errors"
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
// missing or "") gets the column's default. Rows whose values the
// columns' types or the table's constraints refuse are EINVALID carrying
// *proactive.RejectedRows, every such row named, nothing written; an id
// already stored is ECONFLICT.
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
	// Read afresh (and into the readers' cache): the table is the user's.
	tc, err := d.lookUpColumns(ctx, table)
	if err != nil {
		return d.tableFail(op, table, err)
	}
	types := tc.types
	if len(types) == 0 {
		return d.tableFail(op, table, &pgconn.PgError{Code: codeUndefinedTable, Message: "relation " + table + " does not exist"})
	}
	for _, c := range cols {
		if _, ok := types[c]; !ok {
			return proactive.Errorf(proactive.ENOTFOUND, "%s: table %s has no column %s: add it or import without it", op, table, c)
		}
	}

	// Values the columns' types surely refuse are found here, in one pass;
	// the server finds the rest (rowWriter).
	enums, err := d.enumsOf(ctx, table, cols...)
	if err != nil {
		return d.tableFail(op, table, err)
	}
	rejected := precheck(cols, types, enums, rows)
	refused := make(map[int]bool, len(rejected))
	for _, r := range rejected {
		refused[r.Index] = true
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
	var given, generated []int
	for i, r := range rows {
		if refused[i] {
			continue
		}
		if id := textOf(r["id"]); withID && id != nil && *id != "" {
			given = append(given, i)
		} else {
			generated = append(generated, i)
		}
	}
	// The rows go in without savepoints first: a refusal is rare, and
	// savepoints make every write a subtransaction's. Only when the server
	// refuses a row is the whole file written again, behind savepoints,
	// to find every refused row (rowWriter.careful).
	write := func(careful bool) error {
		return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
			all := slices.Clone(rejected)
			for _, part := range []struct {
				cols  []string
				index []int
			}{{idCols, given}, {noIDCols, generated}} {
				w := rowWriter{tx: tx, table: table, cols: part.cols, types: types, rows: rows, index: part.index, careful: careful}
				if err := w.writeAll(ctx); err != nil {
					return err
				}
				all = append(all, w.rejected...)
			}
			if len(all) > 0 {
				slices.SortFunc(all, func(a, b proactive.RejectedRow) int { return a.Index - b.Index })
				return &proactive.RejectedRows{Table: table, Rows: all}
			}
			return nil
		})
	}
	err = write(false)
	if rowLevel(err) {
		err = write(true)
	}
	var rr *proactive.RejectedRows
	if errors.As(err, &rr) {
		return proactive.Errorf(proactive.EINVALID, "%s: %w", op, rr)
	}
	if err != nil {
		return d.tableFail(op, table, err)
	}
	return nil
}

// rowWriter writes rows of one column set with INSERT … SELECT casting
// text arrays (one per column, from unnest) to the columns' types,
// insertChunk rows at a time. When careful, each chunk goes behind a
// savepoint, and a chunk the server refuses for one of its rows
// (rowLevel: a value the type cannot take, a constraint) is rolled back
// and written in halves, down to the single rows it refuses, which are
// kept in rejected; the others are written.
type rowWriter struct {
	tx    pgx.Tx
	table string
	cols  []string
	types map[string]string
	rows  []proactive.Row // every row given to InsertRows
	index []int           // the ones to write, by position in rows
	stmt  string
	// careful writes each chunk behind a savepoint and finds the refused
	// rows; otherwise a refusal fails the write.
	careful bool

	rejected []proactive.RejectedRow
}

// writeAll writes w.index's rows; an error is one that is no row's.
func (w *rowWriter) writeAll(ctx context.Context) error {
	if len(w.index) == 0 {
		return nil
	}
	if len(w.cols) == 0 {
		// Only generated values: one row of defaults per input row.
		_, err := w.tx.Exec(ctx, fmt.Sprintf("INSERT INTO %s SELECT FROM generate_series(1, $1::int)",
			pgx.Identifier{w.table}.Sanitize()), len(w.index))
		return err
	}
	var names, casts, params, aliases []string
	for i, c := range w.cols {
		names = append(names, pgx.Identifier{c}.Sanitize())
		casts = append(casts, fmt.Sprintf("u.c%d::%s", i, castType(w.types[c])))
		params = append(params, fmt.Sprintf("$%d::text[]", i+1))
		aliases = append(aliases, fmt.Sprintf("c%d", i))
	}
	w.stmt = fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM unnest(%s) AS u(%s)",
		pgx.Identifier{w.table}.Sanitize(), strings.Join(names, ", "), strings.Join(casts, ", "),
		strings.Join(params, ", "), strings.Join(aliases, ", "))
	for start := 0; start < len(w.index); start += insertChunk {
		if err := w.write(ctx, start, min(start+insertChunk, len(w.index))); err != nil {
			return err
		}
	}
	return nil
}

// write writes w.index[lo:hi]; when careful, behind a savepoint, in
// halves when the server refuses one of them.
func (w *rowWriter) write(ctx context.Context, lo, hi int) error {
	args := make([]any, len(w.cols))
	for i, c := range w.cols {
		vals := make([]*string, hi-lo)
		for j, k := range w.index[lo:hi] {
			vals[j] = textOf(w.rows[k][c])
		}
		args[i] = vals
	}
	if !w.careful {
		_, err := w.tx.Exec(ctx, w.stmt, args...)
		if err != nil {
			return fmt.Errorf("rows %d–%d: %w", lo+1, hi, err)
		}
		return nil
	}
	sp, err := w.tx.Begin(ctx) // a savepoint
	if err != nil {
		return err
	}
	_, err = sp.Exec(ctx, w.stmt, args...)
	if err == nil {
		return sp.Commit(ctx)
	}
	if rbErr := sp.Rollback(ctx); rbErr != nil {
		return errors.Join(err, rbErr)
	}
	if !rowLevel(err) {
		return fmt.Errorf("rows %d–%d: %w", lo+1, hi, err)
	}
	if hi-lo == 1 {
		r := refusedRow(w.index[lo], w.rows[w.index[lo]], w.cols, w.types, err)
		if r.Column == "" && strings.HasPrefix(pgCode(err), "22") {
			if r.Column, err = w.refusedColumn(ctx, w.rows[w.index[lo]]); err != nil {
				return err
			}
			if v := textOf(w.rows[w.index[lo]][r.Column]); r.Column != "" && v != nil {
				r.Value = *v
			}
		}
		w.rejected = append(w.rejected, r)
		return nil
	}
	mid := lo + (hi-lo)/2
	if err := w.write(ctx, lo, mid); err != nil {
		return err
	}
	return w.write(ctx, mid, hi)
}

// refusedColumn finds the column of a refused row whose value its type
// cannot take, where the server's message named none (a numeric field
// overflow): the first whose value alone fails the cast, each tried
// behind a savepoint; "" when none does alone.
func (w *rowWriter) refusedColumn(ctx context.Context, row proactive.Row) (string, error) {
	for _, c := range w.cols {
		v := textOf(row[c])
		if v == nil {
			continue
		}
		sp, err := w.tx.Begin(ctx)
		if err != nil {
			return "", err
		}
		_, err = sp.Exec(ctx, "SELECT $1::text::"+castType(w.types[c]), *v)
		if err == nil {
			if err := sp.Commit(ctx); err != nil {
				return "", err
			}
			continue
		}
		if rbErr := sp.Rollback(ctx); rbErr != nil {
			return "", errors.Join(err, rbErr)
		}
		if rowLevel(err) {
			return c, nil
		}
		return "", err
	}
	return "", nil
}

// rowLevel reports whether the server refused a row for what it holds: a
// value its column's type cannot take (class 22, data exception), a null
// where NOT NULL, a missing foreign key or a failed CHECK. A unique
// violation is a conflict with what is stored, not a bad row.
func rowLevel(err error) bool {
	code := pgCode(err)
	switch {
	case strings.HasPrefix(code, "22"):
		return true
	case code == "23502", code == "23503", code == "23514":
		return true
	}
	return false
}

// refusedRow describes row index, which the server refused with err: the
// column the error names, or else the one holding the value it quotes.
func refusedRow(index int, row proactive.Row, cols []string, types map[string]string, err error) proactive.RejectedRow {
	r := proactive.RejectedRow{Index: index, Reason: pgMessage(err)}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return r
	}
	col := pg.ColumnName
	if k, ok := strings.CutPrefix(pg.Detail, "Key ("); col == "" && ok {
		// A foreign key: `Key (contact_id)=(9) is not present in table "contacts".`
		col, _, _ = strings.Cut(k, ")=(")
	}
	if col == "" {
		col = quotedColumn(pg.Message, row, cols, types)
	}
	if col != "" && slices.Contains(cols, col) {
		r.Column = col
		if v := textOf(row[col]); v != nil {
			r.Value = *v
		}
	}
	return r
}

// quotedColumn finds the column of row whose value a server message such
// as `invalid input syntax for type bigint: "abc"` quotes: one holding
// that value, of the type the message names when several do.
func quotedColumn(msg string, row proactive.Row, cols []string, types map[string]string) string {
	i := strings.Index(msg, `: "`)
	if i < 0 || !strings.HasSuffix(msg, `"`) {
		return ""
	}
	value := msg[i+3 : len(msg)-1]
	var found []string
	for _, c := range cols {
		if v := textOf(row[c]); v != nil && *v == value {
			found = append(found, c)
		}
	}
	for _, c := range found {
		if strings.Contains(msg, "type "+types[c]+":") {
			return c
		}
	}
	if len(found) > 0 {
		return found[0]
	}
	return ""
}

// castType is the type a text value is cast to for a column of type typ:
// the type itself, but text for a character type with a length, whose
// explicit cast would cut a long value silently (the assignment to the
// column refuses it instead).
func castType(typ string) string {
	if strings.HasPrefix(typ, "character varying(") || strings.HasPrefix(typ, "character(") {
		return "text"
	}
	return typ
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
