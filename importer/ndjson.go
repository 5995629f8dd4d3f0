package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// readNDJSON reads one JSON object per line; blank lines are skipped.
func (p *parser) readNDJSON(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	seen := make(map[string]bool, len(p.known))
	for line := 1; ; line++ {
		data, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", p.name, err)
		}
		if perr := p.ndjsonLine(line, data, seen); perr != nil {
			return perr
		}
		if err != nil { // io.EOF
			break
		}
	}
	// Every row gets every column seen in the file; missing keys are nil.
	for _, k := range p.known {
		if seen[k] {
			p.batch.Columns = append(p.batch.Columns, k)
		}
	}
	for _, row := range p.batch.Rows {
		for _, k := range p.batch.Columns {
			if _, ok := row[k]; !ok {
				row[k] = nil
			}
		}
	}
	return nil
}

// ndjsonLine parses one line and adds its row.
func (p *parser) ndjsonLine(line int, data []byte, seen map[string]bool) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	if !utf8.Valid(data) {
		// encoding/json would quietly replace the bytes; a CSV cell is refused.
		return p.bad(Skip{Line: line, Value: string(data), Reason: reasonUTF8})
	}
	if data[0] != '{' {
		return p.bad(Skip{Line: line, Value: string(data), Reason: "not a JSON object: write one {…} object per line"})
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return p.bad(Skip{Line: line, Value: string(data), Reason: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")})
	}
	row := make(proactive.Row, len(p.known))
	for _, col := range p.known {
		raw, ok := obj[col]
		if !ok {
			continue
		}
		v, reason := p.jsonValue(col, raw)
		if reason != "" {
			return p.bad(Skip{Line: line, Column: col, Value: string(raw), Reason: reason})
		}
		row[col] = v
	}
	if len(row) == 0 {
		return p.bad(Skip{Line: line, Value: string(data), Reason: fmt.Sprintf("the object has none of the columns of %s (%s)", p.table, strings.Join(p.known, ", "))})
	}
	for col := range row {
		seen[col] = true
	}
	p.batch.add(row, line, nil)
	return nil
}

// jsonValue types one JSON value for a column: null is nil, a string is
// read as a CSV cell would be (except that "" stays "" in a text column
// other than id), a number must suit the column.
func (p *parser) jsonValue(col string, raw json.RawMessage) (any, string) {
	k := p.kindOf(col)
	switch raw[0] {
	case 'n':
		return nil, ""
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "malformed JSON string"
		}
		if s == "" && k == kindText && col != "id" {
			return "", ""
		}
		return p.textValue(col, s)
	case 't', 'f':
		if k != kindText {
			return nil, "true or false where a " + kindWord(k) + " goes"
		}
		return string(raw), ""
	case '{', '[':
		return nil, "an object or list where a " + kindWord(k) + " goes"
	}
	// a number
	switch k {
	case kindFloat:
		return floatValue(string(raw))
	case kindInt:
		return intValue(string(raw))
	case kindTime:
		return nil, "a number where a timestamp goes: " + timestampForms
	}
	return string(raw), "" // ids and other text keep their digits
}

// kindWord names what a column holds, for messages.
func kindWord(k kind) string {
	switch k {
	case kindFloat:
		return "number"
	case kindInt:
		return "whole number"
	case kindTime:
		return "timestamp"
	}
	return "text value"
}
