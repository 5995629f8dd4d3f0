package backtest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/backtest"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// stores opens a fresh, migrated SQLite store and, when PostgreSQL is
// configured, a fresh PostgreSQL one.
func stores(t *testing.T) map[string]proactive.Store {
	t.Helper()
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bt.db"))
	require.NoError(t, err)
	t.Cleanup(func() { lite.Close() })
	out := map[string]proactive.Store{"sqlite": lite}
	if os.Getenv(testdb.EnvURL) != "" || os.Getenv(testdb.EnvRequire) == "1" {
		pg, err := postgres.Open(ctx, testdb.MustDatabase(t), postgres.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { pg.Close() })
		out["postgres"] = pg
	}
	for _, st := range out {
		_, err := st.Migrate(ctx)
		require.NoError(t, err)
	}
	return out
}

// reading is one daily health reading at 06:00 UTC on 2026-01-day.
func reading(email string, day int, score float64) proactive.Row {
	return proactive.Row{"email": email, "firstname": "F", "lastname": "L", "health_score": score, "health_zone": "GREEN",
		"calculated_at": time.Date(2026, 1, day, 6, 0, 0, 0, time.UTC)}
}

// The replayed month, worked out by hand (default thresholds; scans at
// 00:00 see the readings of 06:00 the day before):
//
//   - steady@x.com reads 80 every day: never a case.
//   - drop@x.com reads 80 until Jan 10, 50 from Jan 11: the scan of Jan 12
//     opens a critical case; the week's average keeps it a drop (≥ 10)
//     through Jan 16, within the recovery margin (≥ 7) on Jan 17, and the
//     scan of Jan 18 resolves it: open 144 h.
//   - twice@x.com reads 80 but 65 on Jan 5 and Jan 20: a case opened on
//     Jan 6 and resolved on Jan 7, then another on Jan 21 resolved on Jan
//     22 (24 h each): 3 health cases, 2 entities, median 24 h. Alerts: one
//     a day with an open case — Jan 6, 12–16 and 21.
//   - deal 7 in Proposal, idle since Dec 1: a case from Jan 2 to the end
//     (Jan 25: 552 h), an alert every day (24).
//   - lead 3, new since Jan 10 10:00 and never contacted: a case from Jan
//     11 (14 h late) to the end: 336 h, 15 alerts.
func seedMonth(t *testing.T, st proactive.Store) {
	t.Helper()
	var rows []proactive.Row
	for day := 1; day <= 30; day++ {
		rows = append(rows, reading("steady@x.com", day, 80))
		drop := 80.0
		if day >= 11 {
			drop = 50
		}
		rows = append(rows, reading("drop@x.com", day, drop))
		twice := 80.0
		if day == 5 || day == 20 {
			twice = 65
		}
		rows = append(rows, reading("twice@x.com", day, twice))
	}
	storetest.MustInsert(t, st, proactive.TableHealthScores, rows...)
	dec1 := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	storetest.MustInsert(t, st, proactive.TableDeals, proactive.Row{"id": "7", "name": "Team Bootcamp - Acme", "stage": "Proposal",
		"amount": 1000.0, "created_at": dec1.AddDate(0, -1, 0), "updated_at": dec1, "last_activity_date": dec1})
	storetest.MustInsert(t, st, proactive.TableLeads, proactive.Row{"id": "3", "name": "Sara Khan", "email": "sara@x.net",
		"created_at": time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC), "status": "new", "source": "Website"})
}

func TestReplayMonth(t *testing.T) {
	t.Parallel()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			seedMonth(t, st)
			o := outcomes(t, "drop@x.com,2026-01-20", "steady@x.com,2026-01-25", "deal-7,2026-01-15", "lead-3,2026-02-01")
			rep, err := backtest.Run(ctx, backtest.Options{Store: st, From: at(t, "2026-01-02"), To: at(t, "2026-01-25"), Outcomes: o})
			require.NoError(t, err)
			require.Equal(t, 24, rep.Steps)
			require.Empty(t, rep.CheckErrors)
			want := []backtest.CheckReport{
				{Type: proactive.HealthDrop, Alerts: 7, CasesOpened: 3, Entities: 2, MedianOpenHours: fp(24),
					Hits: ip(1), Precision: fp(1.0 / 3), OutcomesConsidered: ip(2), Recall: fp(0.5), MedianLeadDays: fp(8)},
				{Type: proactive.DealStall, Alerts: 24, CasesOpened: 1, Entities: 1, StillOpen: 1, MedianOpenHours: fp(552),
					Hits: ip(1), Precision: fp(1), OutcomesConsidered: ip(1), Recall: fp(1), MedianLeadDays: fp(13)},
				{Type: proactive.SyncFail, Hits: ip(0)},
				{Type: proactive.ResponseDelay, Alerts: 15, CasesOpened: 1, Entities: 1, StillOpen: 1, MedianOpenHours: fp(336),
					Hits: ip(1), Precision: fp(1), OutcomesConsidered: ip(1), Recall: fp(1), MedianLeadDays: fp(21)},
			}
			require.Equal(t, want, rep.Checks)

			// Nothing was written: no case, no alert, no scan record.
			require.NoError(t, st.View(ctx, func(tx proactive.DeskTx) error {
				n, err := tx.CountCases(ctx)
				require.Empty(t, n)
				return err
			}))
			alerts, err := st.ListAlerts(ctx, proactive.AlertFilter{})
			require.NoError(t, err)
			require.Empty(t, alerts)
			_, err = st.LastScan(ctx)
			require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), "a backtest records no scan")
		})
	}
}

func TestReplayChecksAndStep(t *testing.T) {
	t.Parallel()
	st := stores(t)["sqlite"]
	seedMonth(t, st)
	ctx := context.Background()
	// Every other day from Jan 2: Jan 2, 4, …, 24 (12 scans). twice@'s
	// first dip opens a case on Jan 6, resolved on Jan 8 (48 h); the drop's
	// case is open from Jan 12 to Jan 18 (144 h), with alerts on Jan 12, 14
	// and 16; the scans miss twice@'s second dip (Jan 20, read by no scan
	// as the newest reading).
	rep, err := backtest.Run(ctx, backtest.Options{Store: st, From: at(t, "2026-01-02"), To: at(t, "2026-01-25"),
		Step: 48 * time.Hour, Checks: []proactive.AnomalyType{proactive.HealthDrop}})
	require.NoError(t, err)
	require.Equal(t, 12, rep.Steps)
	require.Len(t, rep.Checks, 1)
	require.Equal(t, backtest.CheckReport{Type: proactive.HealthDrop, Alerts: 4, CasesOpened: 2, Entities: 2, MedianOpenHours: fp(96)}, rep.Checks[0])

	b, err := json.Marshal(rep)
	require.NoError(t, err)
	require.JSONEq(t, `{"from":"2026-01-02T00:00:00Z","to":"2026-01-25T00:00:00Z","step":"2d","steps":12,"checks":{"health_drop":{
		"alerts":4,"cases_opened":2,"entities":2,"still_open":0,"median_open_hours":96,
		"precision":null,"recall":null,"median_lead_days":null,"hits":null,"outcomes_considered":null}}}`, string(b))
}

func TestRunRefuses(t *testing.T) {
	t.Parallel()
	st := stores(t)["sqlite"]
	ctx := context.Background()
	_, err := backtest.Run(ctx, backtest.Options{Store: st, From: at(t, "2026-01-02"), To: at(t, "2026-01-01")})
	require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
	require.Contains(t, err.Error(), "--to 2026-01-01T00:00:00Z is before --from 2026-01-02T00:00:00Z")
	_, err = backtest.Run(ctx, backtest.Options{Store: st, From: at(t, "2026-01-01"), To: at(t, "2026-01-02"), Step: -time.Hour})
	require.Contains(t, err.Error(), "--step")
	_, err = backtest.Run(ctx, backtest.Options{Store: st, From: at(t, "2026-01-01"), To: at(t, "2026-01-02"), Checks: []proactive.AnomalyType{"nope"}})
	require.ErrorContains(t, err, `unknown alert type "nope"`)
}

func TestStepTimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to string
		step     time.Duration
		want     int
	}{
		{"2026-01-01", "2026-01-01", 24 * time.Hour, 1},
		{"2026-01-01", "2026-01-02", 24 * time.Hour, 2},
		{"2026-01-01", "2026-01-01T23:59:59Z", 24 * time.Hour, 1},
		{"2026-01-01", "2026-03-31", 24 * time.Hour, 90},
		{"2026-01-01", "2026-01-02", 6 * time.Hour, 5},
	}
	for _, tc := range tests {
		got := backtest.StepTimes(at(t, tc.from), at(t, tc.to), tc.step)
		require.Len(t, got, tc.want, "%s → %s every %s", tc.from, tc.to, tc.step)
		require.Equal(t, at(t, tc.from), got[0])
	}
}

func TestFormatStep(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{24 * time.Hour: "1d", 14 * 24 * time.Hour: "14d", 6 * time.Hour: "6h0m0s", 36 * time.Hour: "36h0m0s"} {
		require.Equal(t, want, backtest.FormatStep(d))
	}
}

func TestReplayReportsCheckErrorsOnce(t *testing.T) {
	t.Parallel()
	st := stores(t)["sqlite"]
	seedMonth(t, st)
	// coach_workload needs the client owner column, which is not configured.
	rep, err := backtest.Run(context.Background(), backtest.Options{Store: st, From: at(t, "2026-01-02"), To: at(t, "2026-01-05"),
		Checks: []proactive.AnomalyType{proactive.HealthDrop, proactive.CoachWorkload}})
	require.NoError(t, err)
	require.Len(t, rep.CheckErrors, 1, "%+v", rep.CheckErrors)
	require.Equal(t, 4, rep.CheckErrors[0].Steps)
	require.Equal(t, at(t, "2026-01-02"), rep.CheckErrors[0].First)
	require.Len(t, rep.Checks, 2)
	require.Equal(t, proactive.CoachWorkload, rep.Checks[1].Type)
}
