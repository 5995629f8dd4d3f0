// Package termtext makes text that comes from the data (client and lead
// names, deal titles, error messages of peers and databases) safe to print
// on a terminal: a control character in a lead's name must not clear the
// operator's screen, move the cursor, retitle the window or hide the lines
// above it.
//
// String escapes the C0 controls but newline and tab, DEL, the C1 controls
// (U+0080–U+009F, which some terminals obey like ESC sequences) and bytes
// that are not UTF-8 (a lone 0x9B is CSI to an 8-bit terminal), writing
// them the way Go writes them in a quoted string (\x1b, \u009b, \xff), so
// the text stays readable and the odd byte is visible. Line does the same
// for one line or table cell, escaping newline and tab as well. Everything
// else, printable Unicode included, is left as it is.
//
// Only human-readable output goes through here; JSON output is already
// escaped by its encoder and is printed as it is.
//
// The package holds the rest of what human output shares as well: Count
// and Noun for "1 row" / "2 rows", and Style for colour on a terminal,
// whose Styled texts Fprintf prints as they are (never on JSON or CSV).
package termtext

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String returns s with every control character but newline and tab, and
// every byte that is not UTF-8, escaped.
func String(s string) string { return escape(s, false) }

// Line returns s escaped as String does, with newline and tab escaped as
// well: for text that must stay on one line or in one table cell.
func Line(s string) string { return escape(s, true) }

// Fprintf formats like fmt.Fprintf and writes the result to w, with every
// string (of any string type), error and fmt.Stringer among args passed
// through String first
// (the format is the program's own and is written as it is), except
// Styled texts, escaped when they were made. Other arguments (numbers,
// times) cannot carry control characters.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	return fmt.Fprintf(w, format, cleanArgs(args, String)...)
}

// Fprintln is fmt.Fprintln with the arguments cleaned as Fprintf does.
func Fprintln(w io.Writer, args ...any) (int, error) {
	return fmt.Fprintln(w, cleanArgs(args, String)...)
}

// cleanArgs returns args with strings, errors and Stringers replaced by
// their cleaned text.
func cleanArgs(args []any, clean func(string) string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case Styled:
			out[i] = string(v) // escaped when it was made
		case string:
			out[i] = clean(v)
		case error:
			out[i] = clean(v.Error())
		case fmt.Stringer:
			out[i] = clean(v.String())
		default:
			// Named string types (a severity, a status read from the
			// database) carry text as well.
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				out[i] = clean(rv.String())
			} else {
				out[i] = a
			}
		}
	}
	return out
}

// unsafe reports whether r must be escaped: C0 controls (newline and tab
// only when line is set), DEL and the C1 controls.
func unsafe(r rune, line bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return line
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

// escape does String's and Line's work, copying only when needed.
func escape(s string, line bool) string {
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafe(r, line) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unsafe(r, line):
			// \n, \t, \x1b, \x7f, \u009b: as Go quotes them.
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
