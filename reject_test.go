package proactive

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A table's refusal names its first refused row (rows counted from 1, the
// value quoted when the column is known) and how many more there are.
func TestRejectedRowsError(t *testing.T) {
	t.Parallel()
	typed := RejectedRow{Index: 2, Column: "contact_id", Value: "abc", Reason: "not a whole number"}
	check := RejectedRow{Index: 4, Reason: "violates check constraint"}
	tests := []struct {
		name string
		rows []RejectedRow
		want string
	}{
		{"none", nil, "table deals refused no row"},
		{"one with its column", []RejectedRow{typed}, `table deals refused row 3, column contact_id, value "abc": not a whole number`},
		{"one without a column", []RejectedRow{check}, "table deals refused row 5: violates check constraint"},
		{"two", []RejectedRow{typed, check}, `table deals refused row 3, column contact_id, value "abc": not a whole number (and 1 more row)`},
		{"three", []RejectedRow{typed, check, check}, `table deals refused row 3, column contact_id, value "abc": not a whole number (and 2 more rows)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, (&RejectedRows{Table: "deals", Rows: tc.rows}).Error())
		})
	}
}
