// Package csvout writes records as CSV (RFC 4180) whose header is the keys
// of the records' JSON and whose cells are the JSON values: text as it is,
// numbers and booleans as JSON writes them, null as an empty cell, objects
// and arrays as compact JSON. The CLI's and the API's --csv / format=csv
// answers are the --json answers in rows.
//
// Cells are written as the data holds them: a label starting with "=" is
// not escaped for spreadsheets (the file is an export of the data, and a
// changed value would no longer match the JSON).
package csvout

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
)

// Keys returns the top-level keys of v's JSON object in the order the
// encoder writes them (struct order; sorted for maps).
func Keys(v any) ([]string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("csv header: %T is not a JSON object", v)
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("csv header: %w", err)
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("csv header: %w", err)
		}
	}
	return keys, nil
}

// Write writes the header (columns), then one row per element of rows (a
// slice of values that marshal to JSON objects). A column a record lacks
// is an empty cell.
func Write(w io.Writer, columns []string, rows any) error {
	rv := reflect.ValueOf(rows)
	if rv.Kind() != reflect.Slice {
		return fmt.Errorf("write csv: %T is not a slice", rows)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	rec := make([]string, len(columns))
	for i := range rv.Len() {
		b, err := marshal(rv.Index(i).Interface())
		if err != nil {
			return fmt.Errorf("write csv row %d: %w", i+1, err)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("write csv row %d: not a JSON object: %w", i+1, err)
		}
		for j, c := range columns {
			if rec[j], err = Cell(obj[c]); err != nil {
				return fmt.Errorf("write csv row %d, column %s: %w", i+1, c, err)
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv row %d: %w", i+1, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// marshal is json.Marshal without HTML escaping ("<" stays "<" in a
// nested object's cell).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Cell renders one JSON value as a CSV cell: absent or null is empty, a
// string its text, anything else its compact JSON.
func Cell(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}
