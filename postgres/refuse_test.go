package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// A user's own deals table with stricter types than the product's refuses
// values the product's own table would take; InsertRows names each such
// row, its column and value (CONTRACT §9) and writes nothing, whether the
// value is refused before the server sees it or by the server.
func TestInsertRowsTheTableRefuses(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	old := testNow.Add(-20 * 24 * time.Hour)
	tests := []struct {
		name   string
		column string // the column under test and its type
		typ    string
		value  any
		reason string // "" when the value is taken
	}{
		{"text in a bigint", "contact_id", "bigint", "abc", "not a whole number, which the column (bigint) needs"},
		{"a whole number with spaces in a bigint", "contact_id", "bigint", " 42 ", ""},
		{"a signed whole number in a bigint", "contact_id", "bigint", "-42", ""},
		{"past bigint's range", "contact_id", "bigint", "99999999999999999999", "out of range for the column (bigint)"},
		{"past integer's range", "contact_id", "integer", "3000000000", "out of range for the column (integer)"},
		{"past smallint's range", "contact_id", "smallint", "40000", "out of range for the column (smallint)"},
		{"two signs", "contact_id", "integer", "+-4", "not a whole number, which the column (integer) needs"},
		{"a fraction in an integer", "amount", "integer", 55.5, "not a whole number, which the column (integer) needs"},
		{"a whole float in an integer", "amount", "integer", 55.0, ""},
		{"past numeric(5,2)", "amount", "numeric(5,2)", 12345.6, "numeric field overflow"},
		{"within numeric(5,2)", "amount", "numeric(5,2)", 999.99, ""},
		{"text in a uuid", "contact_id", "uuid", "nope", "not a uuid, which the column (uuid) needs"},
		{"a braced upper-case uuid", "contact_id", "uuid", "{0F8E2D4C-6B1A-4C3E-9D5F-7A9B1C3E5D70}", ""},
		{"31 hex digits", "contact_id", "uuid", "0f8e2d4c-6b1a-4c3e-9d5f-7a9b1c3e5d7", "not a uuid, which the column (uuid) needs"},
		{"longer than varchar(5)", "name", "varchar(5)", "Christopher", "longer than the 5 characters the column (character varying(5)) holds"},
		{"five letters of two bytes in varchar(5)", "name", "varchar(5)", "ÄÖÜßé", ""},
		{"trailing spaces past varchar(5)", "name", "varchar(5)", "Chris   ", ""},
		{"longer than char(3)", "contact_id", "char(3)", "abcd", "longer than the 3 characters the column (character(3)) holds"},
		{"text in a boolean", "contact_id", "boolean", "maybe", `invalid input syntax for type boolean: "maybe"`},
		{"not a label of an enum", "stage", "ptd_stage_test", "proposal", "not one of the values of the column (ptd_stage_test: Proposal, Trial)"},
		{"a label of an enum", "stage", "ptd_stage_test", "Trial", ""},
		// A CHECK names no column: the row is refused as a whole.
		{"a CHECK", "stage", "text CHECK (stage <> 'Lost')", "Lost", `violates check constraint "deals_stage_check"`},
		{"a NOT NULL", "name", "text NOT NULL", nil, `null value in column "name"`},
		{"a missing foreign key", "contact_id", "bigint REFERENCES ptd_contacts_test (id)", "9", "violates foreign key constraint"},
	}
	mustExec(t, db, "CREATE TABLE ptd_contacts_test (id bigint PRIMARY KEY)")
	mustExec(t, db, "CREATE TYPE ptd_stage_test AS ENUM ('Proposal', 'Trial')")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cols := map[string]string{"id": "text PRIMARY KEY", "name": "text", "stage": "text", "amount": "numeric", "contact_id": "text"}
			cols[tc.column] = tc.typ
			mustExec(t, db, "DROP TABLE IF EXISTS deals")
			mustExec(t, db, fmt.Sprintf(`CREATE TABLE deals (id %s, name %s, stage %s, amount %s, contact_id %s,
				created_at timestamptz, updated_at timestamptz, last_activity_date timestamptz)`,
				cols["id"], cols["name"], cols["stage"], cols["amount"], cols["contact_id"]))
			row := func(id string) proactive.Row {
				return proactive.Row{"id": id, "name": "Deal", "stage": "Proposal", "amount": 10.0, "contact_id": nil, "created_at": old}
			}
			bad := row("d2")
			bad[tc.column] = tc.value
			err := db.InsertRows(ctx, proactive.TableDeals, []string{"id", "name", "stage", "amount", "contact_id", "created_at"},
				[]proactive.Row{row("d1"), bad, row("d3")})
			if tc.reason == "" {
				require.NoError(t, err)
				require.Equal(t, 3, mustCount(t, db, "SELECT count(*) FROM deals"))
				return
			}
			requireCode(t, proactive.EINVALID, err)
			var rr *proactive.RejectedRows
			require.ErrorAs(t, err, &rr)
			require.Len(t, rr.Rows, 1, "%v", rr.Rows)
			got := rr.Rows[0]
			require.Equal(t, 1, got.Index)
			if strings.Contains(tc.typ, "CHECK") {
				require.Empty(t, got.Column)
				require.Empty(t, got.Value)
			} else {
				require.Equal(t, tc.column, got.Column, "the refused value's column")
			}
			if tc.value != nil && got.Column != "" {
				require.Equal(t, *textOf(tc.value), got.Value)
			}
			require.Contains(t, got.Reason, tc.reason)
			require.Zero(t, mustCount(t, db, "SELECT count(*) FROM deals"), "nothing is written")
		})
	}
}

// Refused rows are found wherever they are among many, the server's
// refusals too (a chunk is written in halves down to them): each once, in
// order, and a unique collision stays a conflict, not a refused row.
func TestInsertRowsFindsEveryRefusedRow(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db, `CREATE TABLE leads (id bigint PRIMARY KEY, name text, email text, created_at timestamptz,
		status text CHECK (status IN ('new', 'contacted')), source text, last_contact_date timestamptz)`)
	const n = 2*insertChunk + 500
	refused := map[int]bool{0: true, 3: true, insertChunk - 1: true, insertChunk: true, 7777: true, n - 1: true}
	rows := make([]proactive.Row, n)
	for i := range rows {
		status := "new"
		if refused[i] {
			status = "waiting" // the CHECK refuses it: only the server knows
		}
		rows[i] = proactive.Row{"id": fmt.Sprint(i + 1), "name": "L", "status": status, "created_at": testNow}
	}
	rows[42]["id"] = "x42" // refused before the server sees it
	refused[42] = true
	err := db.InsertRows(ctx, proactive.TableLeads, []string{"id", "name", "status", "created_at"}, rows)
	var rr *proactive.RejectedRows
	require.ErrorAs(t, err, &rr)
	var got []int
	for _, r := range rr.Rows {
		got = append(got, r.Index)
	}
	require.Equal(t, []int{0, 3, 42, insertChunk - 1, insertChunk, 7777, n - 1}, got)
	require.Zero(t, mustCount(t, db, "SELECT count(*) FROM leads"), "nothing is written")

	// Without them, every other row goes in.
	var good []proactive.Row
	for i, r := range rows {
		if !refused[i] {
			good = append(good, r)
		}
	}
	require.NoError(t, db.InsertRows(ctx, proactive.TableLeads, []string{"id", "name", "status", "created_at"}, good))
	require.Equal(t, n-len(refused), mustCount(t, db, "SELECT count(*) FROM leads"))

	// An id already stored is a conflict, whatever else the rows hold.
	err = db.InsertRows(ctx, proactive.TableLeads, []string{"id", "name", "status", "created_at"},
		[]proactive.Row{{"id": "9000", "name": "new one", "status": "new"}, {"id": "2", "name": "again", "status": "waiting"}})
	requireCode(t, proactive.ECONFLICT, err)
	require.False(t, errorsAsRejected(err))
}

// errorsAsRejected reports whether err carries refused rows.
func errorsAsRejected(err error) bool {
	var rr *proactive.RejectedRows
	return errors.As(err, &rr)
}

// An enum's labels are named up to ten, then how many more.
func TestListLabels(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a, b", listLabels([]string{"a", "b"}))
	twelve := strings.Split("a b c d e f g h i j k l", " ")
	require.Equal(t, "a, b, c, d, e, f, g, h, i, j, … 2 more", listLabels(twelve))
	require.Equal(t, "a, b, c, d, e, f, g, h, i, j", listLabels(twelve[:10]))
}
