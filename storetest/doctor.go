package storetest

import (
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// tableView is a TableReport in comparable form.
type tableView struct {
	Exists         bool
	MissingColumns int
	Rows           int64
	WindowRows     int64
	Newest         string
	NewestPast     string
	Future         int64
}

func viewTables(rep proactive.DoctorReport) map[string]tableView {
	out := map[string]tableView{}
	for _, tr := range rep.Tables {
		out[tr.Table] = tableView{tr.Exists, len(tr.MissingColumns), tr.Rows, tr.WindowRows, tsp(tr.Newest), tsp(tr.NewestPast), tr.Future}
	}
	return out
}

func testDoctor(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	seed := func(t *testing.T) proactive.Store {
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores,
			reading("a@example.com", 70.0, "GREEN", now.Add(-h)),
			reading("a@example.com", 80.0, "GREEN", now.Add(-2*day)),
			reading("b@example.com", 90.0, "GREEN", now.Add(-20*day)),
			// Dated after now (a writer's clock or time zone): counted
			// apart, and not what the table's recency is judged on.
			reading("c@example.com", 60.0, "YELLOW", now.Add(2*h)),
		)
		MustInsert(t, s, proactive.TableDeals,
			deal("stalled", "Proposal", 10.0, now.Add(-20*day), nil, nil),
			deal("active", "trial", 10.0, now.Add(-30*day), nil, now.Add(-3*day)),
			deal("won", "Closed Won", 10.0, now.Add(-h), now.Add(-h), nil),
		)
		MustInsert(t, s, proactive.TableSyncErrors,
			syncErr("hubspot", "rate_limit", "contact", "a", now.Add(-h), nil),
			syncErr("hubspot", "rate_limit", "contact", "b", now.Add(-2*h), nil),
			syncErr("stripe", "timeout", "invoice", "resolved", now.Add(-3*h), now.Add(-2*h)),
			syncErr("stripe", "timeout", "invoice", "old", now.Add(-30*h), nil),
		)
		MustInsert(t, s, proactive.TableLeads,
			lead("waiting", "w@example.com", now.Add(-h), "new", nil),
			lead("contacted", "c@example.com", now.Add(-3*h), "NEW", now.Add(-2*h)),
			lead("qualified", "q@example.com", now.Add(-5*h), "qualified", nil),
			lead("ahead", "a@example.com", now.Add(3*h), "qualified", nil),
		)
		mustSave(t, s, newAlert("active", proactive.SeverityHigh, proactive.HealthDrop, now.Add(-h)), now.Add(-h))
		mustSave(t, s, newAlert("expired", proactive.SeverityHigh, proactive.HealthDrop, now.Add(-50*h)), now.Add(-50*h))
		return s
	}
	want := map[string]tableView{
		proactive.TableHealthScores: {true, 0, 4, 2, ts(now.Add(2 * h)), ts(now.Add(-h)), 1},
		proactive.TableDeals:        {true, 0, 3, 2, ts(now.Add(-h)), ts(now.Add(-h)), 0},
		proactive.TableSyncErrors:   {true, 0, 4, 2, ts(now.Add(-h)), ts(now.Add(-h)), 0},
		proactive.TableLeads:        {true, 0, 4, 1, ts(now.Add(3 * h)), ts(now.Add(-h)), 1},
		proactive.TableInsights:     {true, 0, 2, 1, ts(now.Add(-h)), ts(now.Add(-h)), 0},
	}

	t.Run("tables, rows, window rows, newest timestamps and rows dated after now", func(t *testing.T) {
		t.Parallel()
		s := seed(t)
		rep, err := s.Doctor(t.Context(), now)
		require.NoError(t, err)
		require.NotEmpty(t, rep.Database)
		require.Equal(t, want, viewTables(rep))
	})
	t.Run("a missing table is reported, the others still are", func(t *testing.T) {
		t.Parallel()
		s := seed(t)
		MustExec(t, s, "DROP TABLE "+proactive.TableLeads)
		rep, err := s.Doctor(t.Context(), now)
		require.NoError(t, err)
		got := viewTables(rep)
		require.False(t, got[proactive.TableLeads].Exists)
		require.Zero(t, got[proactive.TableLeads].Rows)
		delete(got, proactive.TableLeads)
		w := map[string]tableView{}
		for k, v := range want {
			if k != proactive.TableLeads {
				w[k] = v
			}
		}
		require.Equal(t, w, got)
	})
	t.Run("an empty database", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		rep, err := s.Doctor(t.Context(), now)
		require.NoError(t, err)
		for _, table := range append(proactive.SourceTables(), proactive.TableInsights) {
			require.Equal(t, tableView{true, 0, 0, 0, "nil", "nil", 0}, viewTables(rep)[table], table)
		}
	})
}
