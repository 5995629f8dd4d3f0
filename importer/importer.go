// Package importer reads CSV and NDJSON files into the four source tables
// (CONTRACT §9): it types every known column, reports a bad row with its
// physical line, column and value, and writes the whole file in one
// proactive.Importer.InsertRows call, so that a file goes in entirely or
// not at all. Rows the table refuses (a user's column stricter than the
// contract's types) are bad rows named the same way; with SkipInvalid the
// rest goes in by another call.
//
// Parse reads a file into a Batch; Import parses and then inserts.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// The file formats.
const (
	FormatCSV    = "csv"
	FormatNDJSON = "ndjson"
)

// Stdin is the file name that stands for standard input; it needs Options.Format.
const Stdin = "-"

// Options tune a parse or an import.
type Options struct {
	// Format is "csv" or "ndjson" ("jsonl" is taken as ndjson); "" tells
	// it from the file name's extension (.csv, .ndjson, .jsonl).
	Format string
	// SkipInvalid imports the good rows of a file that has bad ones and
	// lists the bad ones in Result.Skipped; without it a bad row fails the
	// whole file.
	SkipInvalid bool
	// Progress receives a progress bar while the file is read; nil for
	// none. The caller passes a terminal only.
	Progress io.Writer
	// Columns are the configured owner and value columns (CONTRACT
	// §11.1): the file may hold those of its table too, owners as text,
	// values as numbers.
	Columns proactive.Columns
	// Now, when set, is the moment Import counts the rows dated after
	// (Result.Future): a live scan skips them.
	Now time.Time
}

// Skip is one row that could not be parsed.
type Skip struct {
	// Line is the physical line in the file (a CSV header is line 1): the
	// line of the offending value, or where the malformed record is.
	Line int `json:"line"`
	// Column is the column of the offending value; "" when the whole line
	// is malformed.
	Column string `json:"column,omitempty"`
	// Value is the offending value (shortened when long).
	Value string `json:"value,omitempty"`
	// Reason says what is wrong with it.
	Reason string `json:"reason"`
}

// String reads like `line 4, column amount, value "12k": not a number`.
func (s Skip) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "line %d", s.Line)
	if s.Column != "" {
		fmt.Fprintf(&b, ", column %s", s.Column)
		fmt.Fprintf(&b, ", value %q", s.Value)
	} else if s.Value != "" {
		fmt.Fprintf(&b, " (%q)", s.Value)
	}
	return b.String() + ": " + s.Reason
}

// Batch is a parsed file, ready for one InsertRows call.
type Batch struct {
	// Table is the source table the rows go to.
	Table string
	// Columns are the table's known columns present in the file, in
	// proactive.SourceColumns order; every row has exactly these keys.
	Columns []string
	// Rows are the good rows, in file order.
	Rows []proactive.Row
	// Skipped are the bad rows, in file order (only with SkipInvalid).
	Skipped []Skip

	lines   []int                  // each row's line
	ownLine map[int]map[string]int // by row: a column's line where it differs
}

// add appends a good row read at line; own gives the lines of columns
// read on other lines (a CSV value with line breaks), nil when none.
func (b *Batch) add(row proactive.Row, line int, own map[string]int) {
	if own != nil {
		if b.ownLine == nil {
			b.ownLine = map[int]map[string]int{}
		}
		b.ownLine[len(b.Rows)] = own
	}
	b.Rows = append(b.Rows, row)
	b.lines = append(b.lines, line)
}

// Line returns the physical line of row i's value of column (the row's
// first line when column is "" or the row has one line); 0 when i is out
// of range.
func (b *Batch) Line(i int, column string) int {
	if i < 0 || i >= len(b.lines) {
		return 0
	}
	if l, ok := b.ownLine[i][column]; ok {
		return l
	}
	return b.lines[i]
}

// without returns the batch less the rows at the given indexes (in
// increasing order), lines kept.
func (b *Batch) without(drop []int) *Batch {
	out := &Batch{Table: b.Table, Columns: b.Columns, Skipped: b.Skipped}
	k := 0
	for i, row := range b.Rows {
		if k < len(drop) && drop[k] == i {
			k++
			continue
		}
		out.add(row, b.lines[i], b.ownLine[i])
	}
	return out
}

// Result says what Import did.
type Result struct {
	// Table is the source table written.
	Table string `json:"table"`
	// Columns are the columns written (see Batch.Columns).
	Columns []string `json:"columns"`
	// Imported is the number of rows inserted.
	Imported int `json:"imported"`
	// Skipped are the bad rows left out (only with SkipInvalid).
	Skipped []Skip `json:"skipped"`
	// Future counts the rows imported with a timestamp after Options.Now
	// (0 when Now is unset): a live scan skips such rows until then. An
	// export in local time read as UTC does this.
	Future int `json:"future_rows"`
	// FutureUntil is the latest of those timestamps; nil when none.
	FutureUntil *time.Time `json:"future_until,omitempty"`
}

// Import parses the file and inserts its rows into table with one
// dst.InsertRows call, so that the file goes in entirely or not at all. A
// file without rows inserts nothing and succeeds. See Parse for the file
// rules and errors; an InsertRows error comes back wrapped, with its code.
func Import(ctx context.Context, dst proactive.Importer, table, name string, r io.Reader, opts Options) (Result, error) {
	res := Result{Table: table, Columns: []string{}, Skipped: []Skip{}} // [] rather than null in JSON
	b, err := Parse(table, name, r, opts)
	if err != nil {
		return res, err
	}
	res.Columns = append(res.Columns, b.Columns...)
	res.Skipped = append(res.Skipped, b.Skipped...)
	if len(b.Rows) == 0 {
		return res, nil
	}
	b, err = insert(ctx, dst, b, name, opts.SkipInvalid)
	if err != nil {
		return res, err
	}
	res.Skipped = append(res.Skipped[:0], b.Skipped...)
	res.Imported = len(b.Rows)
	res.Future, res.FutureUntil = future(b.Rows, opts.Now)
	return res, nil
}

// insert writes b's rows with one dst.InsertRows call. Rows the table
// refuses (proactive.RejectedRows: a value its column's type or
// constraints do not take) are bad rows, named by line, column and value:
// without skipInvalid the first fails the import (nothing was written);
// with it they join b.Skipped, in file order, and the rest is written by
// another call, until the table takes every row left. It returns the
// batch written.
func insert(ctx context.Context, dst proactive.Importer, b *Batch, name string, skipInvalid bool) (*Batch, error) {
	for len(b.Rows) > 0 {
		err := dst.InsertRows(ctx, b.Table, b.Columns, b.Rows)
		var rr *proactive.RejectedRows
		switch {
		case err == nil:
			return b, nil
		case errors.As(err, &rr) && len(rr.Rows) > 0:
			skips, drop := make([]Skip, 0, len(rr.Rows)), make([]int, 0, len(rr.Rows))
			for _, r := range rr.Rows {
				if r.Index < 0 || r.Index >= len(b.Rows) || len(drop) > 0 && r.Index <= drop[len(drop)-1] {
					return b, fmt.Errorf("import %s into %s: nothing was imported: %w", displayName(name), b.Table, err)
				}
				drop = append(drop, r.Index)
				value := r.Value
				if v, ok := b.Rows[r.Index][r.Column].(float64); ok && r.Column != "" {
					value = strconv.FormatFloat(v, 'f', -1, 64) // 100000000, as written, not 1e+08
				}
				skips = append(skips, Skip{Line: b.Line(r.Index, r.Column), Column: r.Column, Value: shorten(value), Reason: r.Reason})
			}
			if !skipInvalid {
				return b, proactive.Errorf(proactive.EINVALID, "%s: %s: the table %s refuses it: nothing was imported: fix the line (or the table's column), or pass --skip-invalid to import the other rows",
					displayName(name), skips[0], b.Table)
			}
			b = b.without(drop)
			b.Skipped = append(b.Skipped, skips...)
			slices.SortStableFunc(b.Skipped, func(x, y Skip) int { return x.Line - y.Line })
		case proactive.ErrorCode(err) == proactive.ECONFLICT && slices.Contains(b.Columns, "id"):
			return b, fmt.Errorf("import %s into %s: nothing was imported: %w: an id in the file is already stored, or given twice in the file "+
				"(importing the same file twice does this): remove those rows, or leave the id column empty to have ids generated", displayName(name), b.Table, err)
		default:
			return b, fmt.Errorf("import %s into %s: nothing was imported: %w", displayName(name), b.Table, err)
		}
	}
	return b, nil
}

// future counts the rows with a timestamp after now and returns the latest
// such timestamp; nothing when now is zero.
func future(rows []proactive.Row, now time.Time) (int, *time.Time) {
	if now.IsZero() {
		return 0, nil
	}
	n := 0
	var latest *time.Time
	for _, row := range rows {
		ahead := false
		for _, v := range row {
			t, ok := v.(time.Time)
			if !ok || !t.After(now) {
				continue
			}
			ahead = true
			if latest == nil || t.After(*latest) {
				latest = &t
			}
		}
		if ahead {
			n++
		}
	}
	return n, latest
}

// Parse reads a CSV or NDJSON file (name is its path, Stdin for standard
// input) into a Batch for table, one of the four source tables or contacts
// (proactive.ImportTables), with the columns proactive.ImportColumns
// names (the contract's, deals.contact_email, and the configured columns
// of opts.Columns).
//
// CSV: the first row names the columns, in any order, matched to the
// table's columns case-insensitively; other columns are ignored; a header
// with none of them is an error. NDJSON: one JSON object per line, keys
// matched exactly, other keys ignored, blank lines skipped. A UTF-8 BOM at
// the start and CRLF line ends are accepted.
//
// Values: an empty CSV cell, a JSON null, an empty id and an empty string
// in a number or timestamp column are nil;
// health_score and amount become float64, retry_count int64, timestamps
// time.Time in UTC (RFC 3339, "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD", zone
// UTC when none is given; see ParseTime), everything else string (a JSON
// number in a text column keeps its digits: id 42 becomes "42").
//
// A row that cannot be parsed fails the parse with a *proactive.Error
// (EINVALID) naming the line, the column and the value, unless
// opts.SkipInvalid, which lists it in Batch.Skipped instead. A bad table
// name, format or header is EINVALID too; a read error is returned wrapped.
func Parse(table, name string, r io.Reader, opts Options) (*Batch, error) {
	cols := proactive.ImportColumns(table, opts.Columns)
	if cols == nil {
		return nil, proactive.Errorf(proactive.EINVALID, "unknown table %q: import into %s", table, orList(proactive.ImportTables()))
	}
	format, err := ResolveFormat(name, opts.Format)
	if err != nil {
		return nil, err
	}
	p := &parser{
		table:       table,
		name:        displayName(name),
		known:       cols,
		values:      valueColumns(table, opts.Columns),
		skipInvalid: opts.SkipInvalid,
		batch:       &Batch{Table: table},
	}
	in, done := withProgress(r, opts.Progress, "importing "+table)
	defer done()
	in = skipBOM(in)
	if format == FormatCSV {
		err = p.readCSV(in)
	} else {
		err = p.readNDJSON(in)
	}
	if err != nil {
		return nil, err
	}
	return p.batch, nil
}

// ResolveFormat returns the format a file is read in: FormatCSV or
// FormatNDJSON, as format names it ("csv", "ndjson" or "jsonl", any case)
// or, when format is "", as the extension of name tells (.csv, .ndjson,
// .jsonl). An unknown format, standard input without a format and an
// unknown extension are EINVALID, saying to pass --format.
func ResolveFormat(name, format string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case FormatCSV:
		return FormatCSV, nil
	case FormatNDJSON, "jsonl":
		return FormatNDJSON, nil
	case "":
	default:
		return "", proactive.Errorf(proactive.EINVALID, "unknown format %q: use --format csv or --format ndjson", format)
	}
	if name == Stdin {
		return "", proactive.Errorf(proactive.EINVALID, "standard input has no file name to tell its format from: pass --format csv or --format ndjson")
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV, nil
	case ".ndjson", ".jsonl":
		return FormatNDJSON, nil
	}
	return "", proactive.Errorf(proactive.EINVALID, "cannot tell the format of %s from its extension: name it .csv, .ndjson or .jsonl, or pass --format csv or --format ndjson", name)
}

// parser accumulates one file's rows.
type parser struct {
	table       string
	name        string          // for messages
	known       []string        // the table's columns
	values      map[string]bool // configured value columns: numbers
	skipInvalid bool
	batch       *Batch
}

// valueColumns are the configured value columns of table.
func valueColumns(table string, c proactive.Columns) map[string]bool {
	if table == proactive.TableHealthScores && c.ClientValue != "" {
		return map[string]bool{c.ClientValue: true}
	}
	return nil
}

// bad records a row that cannot be parsed: an error that stops the parse,
// or, with SkipInvalid, an entry in Skipped.
func (p *parser) bad(s Skip) error {
	s.Value = shorten(s.Value)
	if !p.skipInvalid {
		return proactive.Errorf(proactive.EINVALID, "%s: %s: nothing was imported: fix the line, or pass --skip-invalid to import the other rows", p.name, s)
	}
	p.batch.Skipped = append(p.batch.Skipped, s)
	return nil
}

// fileError is an error about the file as a whole (its header, say); it
// stops the parse even with SkipInvalid.
func (p *parser) fileError(line int, format string, args ...any) error {
	return proactive.Errorf(proactive.EINVALID, "%s: line %d: %s", p.name, line, fmt.Sprintf(format, args...))
}

// displayName names the file in messages.
func displayName(name string) string {
	if name == Stdin {
		return "standard input"
	}
	return name
}

// maxValue bounds how much of an offending value is kept and printed.
const maxValue = 80

// shorten cuts a long value at a rune boundary and marks the cut.
func shorten(s string) string {
	if len(s) <= maxValue {
		return s
	}
	cut := maxValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// orList joins names as "a, b, c or d".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
