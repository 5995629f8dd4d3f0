package postgres

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// precheck finds, in one pass and without the server, the values of rows
// that the columns' types surely refuse: text that is no whole number for
// an integer column, a fraction or a number out of range for one, text
// that is no uuid for a uuid column, text longer than a character
// column's length, a value that is none of an enum column's labels
// (enums: each enum column's labels). It errs on the side of letting a
// value through: the server judges what it lets pass (rowWriter). One
// refusal per row, the first of cols; in the order of rows.
func precheck(cols []string, types map[string]string, enums map[string]enumType, rows []proactive.Row) []proactive.RejectedRow {
	labels := map[string]map[string]bool{}
	for c, e := range enums {
		labels[c] = make(map[string]bool, len(e.labels))
		for _, l := range e.labels {
			labels[c][l] = true
		}
	}
	var out []proactive.RejectedRow
	for i, row := range rows {
		for _, c := range cols {
			v, ok := row[c]
			if !ok || v == nil {
				continue
			}
			text := textOf(v)
			reason := refusal(types[c], v)
			if reason == "" && text != nil && labels[c] != nil && !labels[c][*text] {
				reason = fmt.Sprintf("not one of the values of the column (%s: %s)", types[c], listLabels(enums[c].labels))
			}
			if reason != "" {
				r := proactive.RejectedRow{Index: i, Column: c, Reason: reason}
				if text != nil {
					r.Value = *text
				}
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// listLabels names an enum's labels, the first ten and how many more.
func listLabels(labels []string) string {
	const most = 10
	if len(labels) <= most {
		return strings.Join(labels, ", ")
	}
	return strings.Join(labels[:most], ", ") + fmt.Sprintf(", … %d more", len(labels)-most)
}

// intBits is the width of PostgreSQL's integer type typ (format_type's
// name), 0 when typ is no integer type.
func intBits(typ string) int {
	switch typ {
	case "smallint":
		return 16
	case "integer":
		return 32
	case "bigint":
		return 64
	}
	return 0
}

// refusal says why a column of type typ (format_type's spelling) cannot
// take v, "" when it may.
func refusal(typ string, v any) string {
	if bits := intBits(typ); bits > 0 {
		return intRefusal(typ, bits, v)
	}
	switch {
	case typ == "uuid":
		if s, ok := v.(string); ok && s != "" && !uuidText(s) {
			return "not a uuid, which the column (uuid) needs"
		}
	case strings.HasPrefix(typ, "character varying(") || strings.HasPrefix(typ, "character("):
		n, err := strconv.Atoi(strings.TrimSuffix(typ[strings.IndexByte(typ, '(')+1:], ")"))
		if s, ok := v.(string); ok && err == nil && utf8.RuneCountInString(strings.TrimRight(s, " ")) > n {
			return fmt.Sprintf("longer than the %d characters the column (%s) holds", n, typ)
		}
	}
	return ""
}

// intRefusal is refusal for an integer column of bits bits.
func intRefusal(typ string, bits int, v any) string {
	outOfRange := fmt.Sprintf("out of range for the column (%s)", typ)
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return fmt.Sprintf("not a whole number, which the column (%s) needs", typ)
		}
		if x < -math.Ldexp(1, bits-1) || x >= math.Ldexp(1, bits-1) {
			return outOfRange
		}
	case int64:
		if bits < 64 && (x < -(1<<(bits-1)) || x >= 1<<(bits-1)) {
			return outOfRange
		}
	case string:
		s := strings.TrimSpace(x)
		if !intSyntax(s) {
			return fmt.Sprintf("not a whole number, which the column (%s) needs", typ)
		}
		if _, err := strconv.ParseInt(s, 10, bits); err != nil && strings.Trim(s, "+-0123456789") == "" {
			return outOfRange
		}
	}
	return ""
}

// intSyntax reports whether s may be an integer to PostgreSQL: a sign,
// then decimal digits, or 0x, 0o or 0b and digits of that base, with
// single underscores between digits (PostgreSQL 16 reads the last two
// forms; 15 refuses them, which the server then says).
func intSyntax(s string) bool {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	digits := "0123456789"
	if len(s) > 2 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			digits, s = "0123456789abcdefABCDEF", s[2:]
		case 'o', 'O':
			digits, s = "01234567", s[2:]
		case 'b', 'B':
			digits, s = "01", s[2:]
		}
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for _, r := range s {
		if r != '_' && !strings.ContainsRune(digits, r) {
			return false
		}
	}
	return true
}

// uuidText reports whether s may be a uuid to PostgreSQL: 32 hexadecimal
// digits, hyphens between them, braces around them.
func uuidText(s string) bool {
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	n := 0
	for _, r := range s {
		switch {
		case r == '-':
		case strings.ContainsRune("0123456789abcdefABCDEF", r):
			n++
		default:
			return false
		}
	}
	return n == 32
}
