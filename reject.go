package proactive

import (
	"fmt"
	"strings"
)

// RejectedRow is a row a store refused to write (Importer.InsertRows): a
// value its column's type cannot take, or one its constraints refuse (a
// NOT NULL, a CHECK, a foreign key). A row that collides with a stored
// one is no rejected row but a conflict (ECONFLICT).
type RejectedRow struct {
	// Index is the row's position in the rows given, from 0.
	Index int
	// Column is the refused value's column; "" when the store cannot tell
	// (a CHECK over several columns).
	Column string
	// Value is the refused value as text; "" with Column.
	Value string
	// Reason is what the database said of it.
	Reason string
}

// String reads like `row 3, column contact_id, value "abc": invalid input
// syntax for type bigint` (rows counted from 1).
func (r RejectedRow) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", r.Index+1)
	if r.Column != "" {
		fmt.Fprintf(&b, ", column %s, value %q", r.Column, r.Value)
	}
	return b.String() + ": " + r.Reason
}

// RejectedRows is the cause an InsertRows error carries (code EINVALID)
// when the table refused rows: every refused row, in the order of the rows
// given. Nothing was written.
type RejectedRows struct {
	// Table is the table written to.
	Table string
	// Rows are the refused rows, by Index.
	Rows []RejectedRow
}

// Error implements error: the first refused row and how many there are.
func (e *RejectedRows) Error() string {
	if len(e.Rows) == 0 {
		return "table " + e.Table + " refused no row"
	}
	msg := "table " + e.Table + " refused " + e.Rows[0].String()
	if n := len(e.Rows) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more row", n)
		if n > 1 {
			msg += "s"
		}
		msg += ")"
	}
	return msg
}
