package backtest_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/backtest"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

// history generates days of daily data for clients ending at end, in the
// demo's proportions: one health reading per client per day at 06:00;
// one client in 53 falls critically, one in 41 high, one in 37 medium at
// some day (for ten days, then recovers), one in 43 slides three points a
// day for a week, one in 17 climbs back; two deals in five clients, one in
// eleven of them going idle for a while in a watched stage; one lead in
// four clients, one in eight of them left waiting; a burst of sync errors
// every few days.
func history(clients, days int, end time.Time) map[string][]proactive.Row {
	r := rand.New(rand.NewPCG(uint64(clients), uint64(days)))
	first := time.Date(end.Year(), end.Month(), end.Day(), 6, 0, 0, 0, time.UTC).AddDate(0, 0, -(days - 1))
	out := map[string][]proactive.Row{}
	for i := range clients {
		email := fmt.Sprintf("client%d@example.com", i+1)
		base := 62 + r.Float64()*33
		event := r.IntN(days)
		var fall, slide, climb float64
		switch {
		case i%53 == 5:
			fall = 26 + r.Float64()*12
		case i%41 == 7:
			fall = 15.5 + r.Float64()*8
		case i%37 == 11:
			fall = 10.5 + r.Float64()*3.5
		case i%43 == 13:
			slide = 3.2
		case i%17 == 3:
			climb = 1.2
		}
		for d := range days {
			score := base + r.NormFloat64()*1.5
			since := d - event
			switch {
			case fall > 0 && since >= 0 && since < 10:
				score -= fall
			case slide > 0 && since >= 0 && since < 14:
				score -= slide * float64(min(since+1, 7))
			case climb > 0:
				score -= climb * float64((days-d)%14)
			}
			score = math.Round(math.Max(0, math.Min(100, score))*10) / 10
			out[proactive.TableHealthScores] = append(out[proactive.TableHealthScores], proactive.Row{
				"email": email, "firstname": "F", "lastname": "L", "health_score": score, "health_zone": "GREEN",
				"calculated_at": first.AddDate(0, 0, d),
			})
		}
	}
	stages := []string{"Lead", "Assessment", "Proposal", "Negotiation", "Trial", "Closed Won", "Closed Lost"}
	span := time.Duration(days) * 24 * time.Hour
	start := end.Add(-span)
	for i := range clients * 2 / 5 {
		created := start.Add(time.Duration(r.Float64() * float64(span)))
		idle := r.Float64() * 10
		if i%11 == 1 || i%11 == 4 || i%11 == 7 {
			idle = 14 + r.Float64()*40
		}
		last := created.Add(time.Duration(idle * 24 * float64(time.Hour)))
		if last.After(end) {
			last = end
		}
		out[proactive.TableDeals] = append(out[proactive.TableDeals], proactive.Row{
			"id": strconv.Itoa(1000 + i), "name": fmt.Sprintf("Deal %d", i), "stage": stages[i%len(stages)],
			"amount": math.Round(500 + r.Float64()*24500), "created_at": created, "updated_at": last, "last_activity_date": last,
		})
	}
	for i := range clients / 4 {
		created := start.Add(time.Duration(r.Float64() * float64(span)))
		row := proactive.Row{"id": strconv.Itoa(5000 + i), "name": fmt.Sprintf("Lead %d", i), "email": fmt.Sprintf("lead%d@example.net", i),
			"created_at": created, "status": "contacted", "source": "Website", "last_contact_date": created.Add(2 * time.Hour)}
		if i%8 >= 2 && i%8 <= 4 {
			row["status"], row["last_contact_date"] = "new", nil
		}
		out[proactive.TableLeads] = append(out[proactive.TableLeads], row)
	}
	id := 1
	for d := 0; d < days; d += 3 {
		for k := range 6 {
			out[proactive.TableSyncErrors] = append(out[proactive.TableSyncErrors], proactive.Row{
				"id": strconv.Itoa(id), "error_type": "rate_limit", "source": "hubspot", "object_type": "contact",
				"error_message": "429", "created_at": start.Add(time.Duration(d)*24*time.Hour + time.Duration(k)*time.Hour), "retry_count": int64(0),
			})
			id++
		}
	}
	return out
}

// benchStore opens a SQLite store holding history(clients, days, end),
// generated once per path.
func benchStore(b *testing.B, path string, clients, days int, end time.Time) proactive.Store {
	b.Helper()
	ctx := context.Background()
	_, statErr := os.Stat(path)
	st, err := sqlite.Open(ctx, path)
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx) // a kept file gets the indexes it lacks
	require.NoError(b, err)
	if statErr == nil {
		return st
	}
	data := history(clients, days, end)
	for _, table := range []string{proactive.TableHealthScores, proactive.TableDeals, proactive.TableLeads, proactive.TableSyncErrors} {
		rows := data[table]
		cols := proactive.SourceColumns(table)
		for len(rows) > 0 {
			n := min(len(rows), 50_000)
			require.NoError(b, st.InsertRows(ctx, table, cols, rows[:n]))
			rows = rows[n:]
		}
	}
	return st
}

// BenchmarkBacktest replays 90 daily scans over 10,000 clients with a
// reading each a day (100 days of data) on SQLite: the default checks and
// every check but coach_workload (which needs an owner column the data
// lacks). The data is generated once per run (not timed);
// PTD_BENCH_CACHE=DIR keeps it in DIR for the next run. PTD_BENCH_STEPS=N
// replays only the last N steps (90 by default), for quicker iteration.
//
//	go test ./backtest -run '^$' -bench Backtest -benchtime 1x -timeout 60m
func BenchmarkBacktest(b *testing.B) {
	const clients, days = 10_000, 100
	end := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(b.TempDir(), "history.db")
	if dir := os.Getenv("PTD_BENCH_CACHE"); dir != "" {
		path = filepath.Join(dir, fmt.Sprintf("backtest-%d-%d.db", clients, days))
	}
	st := benchStore(b, path, clients, days, end)
	to := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
	steps := 90
	if s := os.Getenv("PTD_BENCH_STEPS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(b, err, "PTD_BENCH_STEPS")
		require.True(b, n >= 1 && n <= 90, "PTD_BENCH_STEPS: 1 to 90")
		steps = n
	}
	from := to.AddDate(0, 0, 1-steps)
	all := []proactive.AnomalyType{}
	for _, c := range rules.Registry().All() {
		if c.Type != proactive.CoachWorkload {
			all = append(all, c.Type)
		}
	}
	for _, bc := range []struct {
		name   string
		checks []proactive.AnomalyType
	}{{"default-checks", nil}, {"seven-checks", all}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := backtest.Run(context.Background(), backtest.Options{Store: st, Checks: bc.checks, From: from, To: to})
				require.NoError(b, err)
				require.Equal(b, steps, rep.Steps)
				require.Empty(b, rep.CheckErrors)
				b.ReportMetric(float64(rep.Checks[0].CasesOpened), "health_cases")
			}
		})
	}
}
