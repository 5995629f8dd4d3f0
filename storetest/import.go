package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// tableRows returns what Doctor counts in a table.
func tableRows(t *testing.T, s proactive.Store, table string) int64 {
	t.Helper()
	rep, err := s.Doctor(t.Context(), Now())
	require.NoError(t, err)
	for _, tr := range rep.Tables {
		if tr.Table == table {
			return tr.Rows
		}
	}
	require.Failf(t, "table not in the doctor report", "%s", table)
	return 0
}

// mustDeals reads the deals in the default stall stages.
func mustDeals(t *testing.T, s proactive.Store) []proactive.Deal {
	t.Helper()
	ds, _, err := Deals(t.Context(), s, proactive.DealQuery{Now: Now(), Stages: proactive.DefaultStallStages()})
	require.NoError(t, err)
	return ds
}

func testInsertRows(t *testing.T, open opener) {
	now := Now()
	old := now.Add(-20 * day)
	const (
		id1 = "0f8e2d4c-6b1a-4c3e-9d5f-7a9b1c3e5d70"
		id2 = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
	)
	cols := proactive.SourceColumns(proactive.TableDeals)
	cases := []struct {
		name string
		run  func(t *testing.T, s proactive.Store)
	}{
		{"all or nothing: a bad row writes no row", func(t *testing.T, s proactive.Store) {
			err := s.InsertRows(t.Context(), proactive.TableDeals, cols, []proactive.Row{
				{"id": id1, "name": "first", "stage": "Proposal", "created_at": old},
				{"id": id2, "name": "second", "stage": "Proposal", "created_at": old},
				{"id": id1, "name": "same id again", "stage": "Proposal", "created_at": old},
			})
			require.Error(t, err)
			require.Empty(t, mustDeals(t, s))
			require.Zero(t, tableRows(t, s, proactive.TableDeals))
		}},
		{"ids kept when given, generated when nil or absent", func(t *testing.T, s proactive.Store) {
			MustInsert(t, s, proactive.TableDeals,
				proactive.Row{"id": id1, "name": "given", "stage": "Proposal", "created_at": old},
				proactive.Row{"id": nil, "name": "nil", "stage": "Proposal", "created_at": old},
				proactive.Row{"name": "absent", "stage": "Proposal", "created_at": old},
			)
			ids := map[string]string{}
			for _, d := range mustDeals(t, s) {
				ids[d.Name] = d.ID
			}
			require.Len(t, ids, 3)
			require.Equal(t, id1, ids["given"])
			require.NotEmpty(t, ids["nil"])
			require.NotEmpty(t, ids["absent"])
			require.NotEqual(t, ids["nil"], ids["absent"])
		}},
		{"time values in any zone are stored as the instant", func(t *testing.T, s proactive.Store) {
			at := time.Date(2025, 12, 1, 10, 30, 15, 0, time.FixedZone("UTC+2", 2*3600))
			MustInsert(t, s, proactive.TableDeals,
				proactive.Row{"name": "zoned", "stage": "Trial", "amount": int64(12000), "created_at": at})
			ds := mustDeals(t, s)
			require.Len(t, ds, 1)
			require.Equal(t, ts(at), ts(ds[0].LastActivity))
			require.Equal(t, "12000.000000", nump(ds[0].Amount), "an integer amount")
		}},
		{"rows the table refuses: each named, none written", func(t *testing.T, s proactive.Store) {
			// A user's own table, stricter than the one migrate creates.
			MustExec(t, s, "DROP TABLE leads")
			MustExec(t, s, `CREATE TABLE leads (id text PRIMARY KEY, name text NOT NULL, email text, created_at timestamp,
				status text CHECK (status IN ('new', 'contacted')), source text, last_contact_date timestamp)`)
			lead := func(id string, name any, status string) proactive.Row {
				return proactive.Row{"id": id, "name": name, "status": status, "created_at": old}
			}
			err := s.InsertRows(t.Context(), proactive.TableLeads, proactive.SourceColumns(proactive.TableLeads), []proactive.Row{
				lead("l1", "fine", "new"),
				lead("l2", nil, "new"),
				lead("l3", "odd status", "waiting"),
				lead("l4", "fine too", "contacted"),
				lead("l5", nil, "waiting"),
			})
			requireCode(t, proactive.EINVALID, err)
			var rr *proactive.RejectedRows
			require.ErrorAs(t, err, &rr)
			require.Equal(t, proactive.TableLeads, rr.Table)
			var got []string
			for _, r := range rr.Rows {
				got = append(got, fmt.Sprintf("%d %s %q", r.Index, r.Column, r.Value))
			}
			require.Equal(t, []string{`1 name ""`, `2  ""`, `4 name ""`}, got,
				"every refused row once, in order; the column of a NOT NULL, none of a CHECK")
			require.Contains(t, strings.ToLower(rr.Rows[1].Reason), "check")
			require.Zero(t, tableRows(t, s, proactive.TableLeads), "nothing is written")
		}},
		{"not a source table: EINVALID", func(t *testing.T, s proactive.Store) {
			err := s.InsertRows(t.Context(), "proactive_insights", []string{"id"}, []proactive.Row{{"id": id1}})
			requireCode(t, proactive.EINVALID, err)
		}},
		{"no rows: nothing to do", func(t *testing.T, s proactive.Store) {
			require.NoError(t, s.InsertRows(t.Context(), proactive.TableLeads, proactive.SourceColumns(proactive.TableLeads), nil))
			require.Zero(t, tableRows(t, s, proactive.TableLeads))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}
