package scan_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/demo"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

// With health_forecast enabled, health_drop takes its trends from the
// scan's one read of every client's series instead of its own aggregate:
// on the demo's data, on both stores, every health drop comes out the
// same — entity, severity, urgency, figures, owner, revenue — and so do
// the clients kept open by the recovery margin (the cases left open).
func TestHealthDropFromTheSharedPassIsTheSame(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cols := demo.Columns()
	stores := map[string]func(t *testing.T) proactive.Store{
		"sqlite": func(t *testing.T) proactive.Store {
			st, err := sqlite.OpenWith(context.Background(), filepath.Join(t.TempDir(), "demo.db"), sqlite.Options{Columns: cols})
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			_, err = st.Migrate(context.Background()) // adds the configured columns
			require.NoError(t, err)
			return st
		},
	}
	if os.Getenv("PTD_TEST_DATABASE_URL") != "" || os.Getenv("PTD_REQUIRE_POSTGRES") == "1" {
		stores["postgres"] = func(t *testing.T) proactive.Store {
			url := testdb.MustDatabase(t)
			st, err := postgres.Open(context.Background(), url, postgres.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			_, err = st.Migrate(context.Background())
			require.NoError(t, err)
			// PostgreSQL keeps the user's columns: added as a user would.
			conn, err := pgx.Connect(context.Background(), url)
			require.NoError(t, err)
			defer conn.Close(context.Background())
			_, err = conn.Exec(context.Background(), `ALTER TABLE client_health_scores ADD COLUMN coach text, ADD COLUMN package_value double precision;
				ALTER TABLE deals ADD COLUMN owner text`)
			require.NoError(t, err)
			return st
		}
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			ctx := context.Background()
			im, ok := st.(proactive.Importer)
			require.True(t, ok)
			require.NoError(t, demo.Load(ctx, im, demo.Generate(demo.Options{Now: now, Clients: 400, Seed: 7, Columns: demo.Columns()})))
			settings := proactive.Settings{Thresholds: proactive.DefaultThresholds(), Columns: cols}
			type drops struct {
				urgent []proactive.Anomaly // the group's primary and related
				counts []proactive.AnomalyCount
				opened int // cases opened, of health_drop (and health_forecast's, the same both times)
			}
			run := func(checks ...proactive.AnomalyType) (drops, []string) {
				sc, err := scan.New(scan.Options{Store: st, Checks: checks, Settings: settings, Logger: slog.New(slog.DiscardHandler)})
				require.NoError(t, err)
				res, err := sc.Run(ctx, scan.Params{Now: now, Trigger: "test", DryRun: true})
				require.NoError(t, err)
				var out drops
				for _, g := range res.Groups {
					if g.Type == proactive.HealthDrop {
						out.urgent = append(out.urgent, g.Primary)
						out.urgent = append(out.urgent, g.Related...)
					}
				}
				for _, c := range res.AnomalyCounts {
					if c.Type == proactive.HealthDrop {
						out.counts = append(out.counts, c)
					}
				}
				out.opened = res.Cases.Opened - forecasts(res)
				var errs []string
				for _, e := range res.Errors {
					errs = append(errs, e.Monitor+": "+e.Error)
				}
				return out, errs
			}
			alone, errs := run(proactive.HealthDrop)
			require.Empty(t, errs)
			shared, errs := run(proactive.HealthDrop, proactive.HealthForecast)
			require.Empty(t, errs)
			require.NotEmpty(t, alone.urgent, "the demo has health drops")
			require.Equal(t, alone, shared)
			require.True(t, slices.ContainsFunc(alone.urgent, func(a proactive.Anomaly) bool { return a.Owner != "" }), "owners come through the names read")
		})
	}
}

// forecasts counts the scan's health_forecast anomalies (each opens a
// case in a dry run on an empty desk, as each health drop does).
func forecasts(res proactive.ScanResult) int {
	n := 0
	for _, c := range res.AnomalyCounts {
		if c.Type == proactive.HealthForecast {
			n += c.Count
		}
	}
	return n
}
