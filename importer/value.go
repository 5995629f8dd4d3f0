package importer

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// kind is how a column's text becomes a value.
type kind int

// The column kinds.
const (
	kindText kind = iota
	kindFloat
	kindInt
	kindTime
)

// columnKind returns the kind of a source-table column (CONTRACT §2).
func columnKind(col string) kind {
	switch col {
	case "health_score", "amount":
		return kindFloat
	case "retry_count":
		return kindInt
	case "calculated_at", "created_at", "updated_at", "last_activity_date", "resolved_at", "last_contact_date":
		return kindTime
	}
	return kindText
}

// Reasons a value is refused.
const (
	reasonNumber    = "not a number"
	reasonWhole     = "not a whole number"
	timestampForms  = "write RFC 3339 (2025-01-15T10:30:00Z), YYYY-MM-DD HH:MM:SS or YYYY-MM-DD"
	reasonTimestamp = "not a timestamp: " + timestampForms
	reasonUTF8      = "not UTF-8 text: save the file as UTF-8"
	reasonNUL       = "contains a NUL character"
)

// kindOf returns the kind of a column of the parser's table: a configured
// value column is a number, any other column as columnKind says.
func (p *parser) kindOf(col string) kind {
	if p.values[col] {
		return kindFloat
	}
	return columnKind(col)
}

// textValue types one column's text (a CSV cell or a JSON string). An
// empty text, or a blank id, is nil. reason is "" when v is good.
func (p *parser) textValue(col, s string) (v any, reason string) {
	if s == "" {
		return nil, ""
	}
	switch p.kindOf(col) {
	case kindFloat:
		return floatValue(strings.TrimSpace(s))
	case kindInt:
		return intValue(strings.TrimSpace(s))
	case kindTime:
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, ""
		}
		t, ok := ParseTime(s)
		if !ok {
			return nil, reasonTimestamp
		}
		return t, ""
	}
	if col == "id" && strings.TrimSpace(s) == "" {
		return nil, ""
	}
	if !utf8.ValidString(s) {
		return nil, reasonUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, reasonNUL
	}
	return s, ""
}

// floatValue parses a finite decimal number; blank is nil.
func floatValue(s string) (any, string) {
	if s == "" {
		return nil, ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, reasonNumber
	}
	return f, ""
}

// intValue parses a whole number ("3", or "3.0" as a spreadsheet writes
// it); blank is nil.
func intValue(s string) (any, string) {
	if s == "" {
		return nil, ""
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return nil, reasonWhole
	}
	return int64(f), ""
}

// upperTZ returns s (at least 11 bytes) with a lower-case "t" separator at
// byte 10 and a trailing "z" in upper case. Only those bytes change: a
// full strings.ToUpper could change the length of s (a dotless ı becomes
// a one-byte I) and so the positions read after it.
func upperTZ(s string) string {
	if s[10] != 't' && s[len(s)-1] != 'z' {
		return s
	}
	b := []byte(s)
	if b[10] == 't' {
		b[10] = 'T'
	}
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	return string(b)
}

// ParseTime reads a timestamp as the importer accepts it, and returns it
// in UTC:
//
//	2025-01-15T10:30:00Z, 2025-01-15T10:30:00.123+02:00   RFC 3339
//	2025-01-15 10:30:00, 2025-01-15T10:30:00              no zone: UTC
//	2025-01-15 10:30, 2025-01-15T10:30                    no seconds (as spreadsheets write): UTC
//	2025-01-15 10:30:00.123456+00, … +00:00, … +0000      as PostgreSQL and Supabase print them
//	2025-01-15                                            midnight UTC
//
// Fractional seconds are optional everywhere; "T" and "Z" may be lower case.
func ParseTime(s string) (time.Time, bool) {
	if len(s) == len(time.DateOnly) {
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil
	}
	if len(s) == len("2006-01-02 15:04") { // a spreadsheet's minutes, no seconds
		s = upperTZ(s)
		if s[10] != 'T' && s[10] != ' ' {
			return time.Time{}, false
		}
		t, err := time.Parse(time.DateOnly+s[10:11]+"15:04", s)
		return t, err == nil
	}
	if len(s) < len(time.DateTime) {
		return time.Time{}, false
	}
	s = upperTZ(s)
	sep := s[10]
	if sep != 'T' && sep != ' ' {
		return time.Time{}, false
	}
	// After the seconds: an optional fraction, then the zone.
	zone := s[len(time.DateTime):]
	if len(zone) > 0 && (zone[0] == '.' || zone[0] == ',') {
		zone = strings.TrimLeft(zone[1:], "0123456789")
	}
	layout := time.DateOnly + string(sep) + time.TimeOnly
	switch {
	case zone == "":
	case zone == "Z" || len(zone) == 6 && zone[3] == ':': // Z, +hh:mm
		layout += "Z07:00"
	case len(zone) == 3: // +hh
		layout += "Z07"
	case len(zone) == 5: // +hhmm
		layout += "Z0700"
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
