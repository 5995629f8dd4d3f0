package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// csvColumn is a known column and its field index in the CSV records.
type csvColumn struct {
	name  string
	field int
}

// readCSV reads a CSV file: a header row, then one record per row.
func (p *parser) readCSV(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, to report the line
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil // an empty file: no rows
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return p.fileError(pe.Line, "malformed CSV header: %v", pe.Err)
		}
		return fmt.Errorf("read %s: %w", p.name, err)
	}
	cols, err := p.csvHeader(header)
	if err != nil {
		return err
	}
	width := len(header)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read %s: %w", p.name, err)
			}
			if err := p.bad(Skip{Line: pe.Line, Reason: csvReason(pe)}); err != nil {
				return err
			}
			continue
		}
		if len(rec) != width {
			line, _ := cr.FieldPos(0)
			if err := p.bad(Skip{Line: line, Reason: fmt.Sprintf("malformed CSV: %d fields where the header has %d", len(rec), width)}); err != nil {
				return err
			}
			continue
		}
		row := make(proactive.Row, len(cols))
		for _, c := range cols {
			v, reason := p.textValue(c.name, rec[c.field])
			if reason != "" {
				line, _ := cr.FieldPos(c.field)
				if err := p.bad(Skip{Line: line, Column: c.name, Value: rec[c.field], Reason: reason}); err != nil {
					return err
				}
				row = nil
				break
			}
			if s, ok := v.(string); ok {
				v = strings.Clone(s) // don't keep the whole record's text alive
			}
			row[c.name] = v
		}
		if row != nil {
			line, own := csvLines(cr, cols)
			p.batch.add(row, line, own)
		}
	}
}

// csvLines returns the line of the record just read and, when its fields
// span lines (a quoted value with line breaks), each column's own line.
func csvLines(cr *csv.Reader, cols []csvColumn) (int, map[string]int) {
	first, _ := cr.FieldPos(0)
	var own map[string]int
	for _, c := range cols {
		if line, _ := cr.FieldPos(c.field); line != first {
			if own == nil {
				own = map[string]int{}
			}
			own[c.name] = line
		}
	}
	return first, own
}

// csvHeader maps the header's names to the table's columns (trimmed,
// case-insensitive) and sets the batch's columns.
func (p *parser) csvHeader(header []string) ([]csvColumn, error) {
	var cols []csvColumn
	for i, h := range header {
		k := slices.IndexFunc(p.known, func(k string) bool { return strings.EqualFold(k, strings.TrimSpace(h)) })
		if k < 0 {
			continue
		}
		name := p.known[k] // as the table (or the configuration) spells it
		if j := slices.IndexFunc(cols, func(c csvColumn) bool { return c.name == name }); j >= 0 {
			return nil, p.fileError(1, "column %s appears twice in the header (fields %d and %d): keep one", name, cols[j].field+1, i+1)
		}
		cols = append(cols, csvColumn{name: name, field: i})
	}
	if len(cols) == 0 {
		hint := ""
		if len(header) == 1 && strings.ContainsAny(header[0], ";\t") {
			hint = "; the fields look separated by semicolons or tabs: save the file with commas"
		}
		return nil, p.fileError(1, "the header names none of the columns of %s (%s): the first row must hold the column names%s",
			p.table, strings.Join(p.known, ", "), hint)
	}
	// Columns in the table's order.
	for _, k := range p.known {
		if slices.ContainsFunc(cols, func(c csvColumn) bool { return c.name == k }) {
			p.batch.Columns = append(p.batch.Columns, k)
		}
	}
	return cols, nil
}

// csvReason describes a malformed CSV record.
func csvReason(pe *csv.ParseError) string {
	msg := "malformed CSV: " + pe.Err.Error()
	if pe.StartLine != pe.Line {
		msg += fmt.Sprintf(" (the record starts on line %d)", pe.StartLine)
	}
	return msg
}
