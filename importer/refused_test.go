package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// refuser is a table with a constraint: it refuses, all or nothing, every
// row whose column col holds one of the values in refuse, as a store
// reports it (proactive.RejectedRows in an EINVALID error).
type refuser struct {
	col    string
	refuse map[string]string // value → reason
	stored []proactive.Row
}

// InsertRows implements proactive.Importer.
func (r *refuser) InsertRows(_ context.Context, table string, _ []string, rows []proactive.Row) error {
	var rej []proactive.RejectedRow
	for i, row := range rows {
		v := fmt.Sprint(row[r.col])
		if reason, ok := r.refuse[v]; ok {
			rej = append(rej, proactive.RejectedRow{Index: i, Column: r.col, Value: v, Reason: reason})
		}
	}
	if len(rej) > 0 {
		return proactive.Errorf(proactive.EINVALID, "insert into %s: %w", table, &proactive.RejectedRows{Table: table, Rows: rej})
	}
	r.stored = append(r.stored, rows...)
	return nil
}

// Rows the table refuses are bad rows (CONTRACT §9): named by their line,
// column and value; without --skip-invalid nothing is written, with it the
// rest is, and the refused lines join the lines that did not parse, in
// file order.
func TestImportRowsTheTableRefuses(t *testing.T) {
	t.Parallel()
	const notInt = "not a whole number, which the column (bigint) needs"
	tests := []struct {
		name    string
		file    string
		input   string
		skip    bool
		refuse  map[string]string
		wantErr string   // without skip: the message
		stored  []string // names stored
		skipped []Skip
	}{
		{
			name:    "csv, the first refused row fails the file",
			file:    "d.csv",
			input:   "name,contact_id\nA,1\nB,abc\nC,xyz\n",
			refuse:  map[string]string{"abc": notInt, "xyz": notInt},
			wantErr: `d.csv: line 3, column contact_id, value "abc": ` + notInt + `: the table deals refuses it: nothing was imported: fix the line (or the table's column), or pass --skip-invalid to import the other rows`,
		},
		{
			name:    "csv with --skip-invalid: the rest is written, refusals and parse errors in line order",
			file:    "d.csv",
			input:   "name,contact_id,amount\nA,1,5\nB,abc,5\nC,2,lots\nD,xyz,5\nE,3,5\n",
			skip:    true,
			refuse:  map[string]string{"abc": notInt, "xyz": notInt},
			stored:  []string{"A", "E"},
			skipped: []Skip{{3, "contact_id", "abc", notInt}, {4, "amount", "lots", reasonNumber}, {5, "contact_id", "xyz", notInt}},
		},
		{
			name:    "csv: a value after a quoted line break is named on its own line",
			file:    "d.csv",
			input:   "name,contact_id\n\"B\nsecond line\",abc\n",
			refuse:  map[string]string{"abc": notInt},
			wantErr: `d.csv: line 3, column contact_id, value "abc"`,
		},
		{
			name:    "ndjson: the object's line",
			file:    "d.ndjson",
			input:   "{\"name\":\"A\",\"contact_id\":\"1\"}\n\n{\"name\":\"B\",\"contact_id\":\"abc\"}\n",
			refuse:  map[string]string{"abc": notInt},
			wantErr: `d.ndjson: line 3, column contact_id, value "abc"`,
		},
		{
			name:    "every row refused, with --skip-invalid: nothing imported, no error",
			file:    "d.csv",
			input:   "name,contact_id\nB,abc\n",
			skip:    true,
			refuse:  map[string]string{"abc": notInt},
			skipped: []Skip{{2, "contact_id", "abc", notInt}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dst := &refuser{col: "contact_id", refuse: tc.refuse}
			res, err := Import(t.Context(), dst, proactive.TableDeals, tc.file, strings.NewReader(tc.input), Options{SkipInvalid: tc.skip})
			if tc.wantErr != "" {
				require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
				require.ErrorContains(t, err, tc.wantErr)
				require.Empty(t, dst.stored, "nothing is written")
				require.Zero(t, res.Imported)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, r := range dst.stored {
				names = append(names, r["name"].(string))
			}
			require.Equal(t, tc.stored, names)
			require.Equal(t, len(tc.stored), res.Imported)
			require.Equal(t, tc.skipped, res.Skipped)
		})
	}
}

// A refused number is shown as written, not in the exponent form of its
// float; a store's refusal naming a row it was not given is an error, not
// a panic.
func TestImportRefusalValues(t *testing.T) {
	t.Parallel()
	dst := &refuser{col: "amount", refuse: map[string]string{"1e+08": "numeric field overflow"}}
	_, err := Import(t.Context(), dst, proactive.TableDeals, "d.csv", strings.NewReader("name,amount\nA,100000000\n"), Options{})
	require.ErrorContains(t, err, `line 2, column amount, value "100000000": numeric field overflow`)

	bad := recorder{err: proactive.Errorf(proactive.EINVALID, "insert: %w", &proactive.RejectedRows{Table: "deals", Rows: []proactive.RejectedRow{{Index: 7, Reason: "?"}}})}
	_, err = Import(t.Context(), &bad, proactive.TableDeals, "d.csv", strings.NewReader("name\nA\n"), Options{SkipInvalid: true})
	require.ErrorContains(t, err, "nothing was imported")
	require.Len(t, bad.calls, 1)
}
