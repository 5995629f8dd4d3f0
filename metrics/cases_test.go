package metrics_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/metrics"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

func TestCaseTransitions(t *testing.T) {
	t.Parallel()
	m := metrics.New(rules.Registry().All())
	for _, k := range []string{"opened", "escalated", "resolved", "acknowledged", "snoozed", "assigned", "commented"} {
		v, ok := value(t, m, "ptd_proactive_case_transitions_total", map[string]string{"kind": k})
		require.True(t, ok, "%s starts at zero", k)
		require.Zero(t, v)
	}
	m.ObserveScan(proactive.ScanResult{Success: true, Cases: proactive.CaseCounts{Opened: 3, Escalated: 1, Resolved: 2, Open: 9}}, time.Second, nil)
	m.ObserveScan(proactive.ScanResult{Success: true, DryRun: true, Cases: proactive.CaseCounts{Opened: 5}}, time.Second, nil)
	m.ObserveCaseEvents([]proactive.CaseEvent{{Kind: proactive.EventAcknowledged}, {Kind: proactive.EventAcknowledged}, {Kind: proactive.EventResolved}})
	for k, want := range map[string]float64{"opened": 3, "escalated": 1, "resolved": 3, "acknowledged": 2, "snoozed": 0} {
		v, _ := value(t, m, "ptd_proactive_case_transitions_total", map[string]string{"kind": k})
		require.Equal(t, want, v, k)
	}
}

func TestCaseGauge(t *testing.T) {
	t.Parallel()
	m := metrics.New(rules.Registry().All())
	_, ok := value(t, m, "ptd_proactive_cases", nil)
	require.False(t, ok, "off until a source is set")

	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	_, err = store.Migrate(ctx)
	require.NoError(t, err)
	now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	mk := func(id, key string, typ proactive.AnomalyType, st proactive.CaseState) proactive.Case {
		c := proactive.Case{ID: id, Type: typ, Key: key, Label: key, State: st, Severity: proactive.SeverityHigh,
			PeakSeverity: proactive.SeverityHigh, Urgency: 70, OpenedAt: now, LastSeenAt: now}
		if st == proactive.CaseResolved {
			c.ResolvedAt, c.ResolveReason = &now, proactive.ResolveCleared
		}
		return c
	}
	require.NoError(t, store.Update(ctx, func(tx proactive.DeskTx) error {
		return tx.InsertCases(ctx, []proactive.Case{
			mk("00000000-0000-4000-8000-000000000001", "health_drop:a@x.com", proactive.HealthDrop, proactive.CaseOpen),
			mk("00000000-0000-4000-8000-000000000002", "health_drop:b@x.com", proactive.HealthDrop, proactive.CaseOpen),
			mk("00000000-0000-4000-8000-000000000003", "deal_stall:deal-1", proactive.DealStall, proactive.CaseAcknowledged),
			mk("00000000-0000-4000-8000-000000000004", "deal_stall:deal-1", proactive.DealStall, proactive.CaseResolved),
		})
	}))
	var calls atomic.Int32
	counts := metrics.DeskCaseCounts(store)
	m.SetCaseCounts(metrics.CacheCaseCounts(func(ctx context.Context) ([]proactive.CaseCount, error) {
		calls.Add(1)
		return counts(ctx)
	}, time.Hour))
	for _, c := range []struct {
		state, typ string
		want       float64
	}{
		{"open", "health_drop", 2}, {"acknowledged", "deal_stall", 1}, {"resolved", "deal_stall", 1},
		{"open", "deal_stall", 0}, {"snoozed", "coach_workload", 0},
	} {
		v, ok := value(t, m, "ptd_proactive_cases", map[string]string{"state": c.state, "type": c.typ})
		require.True(t, ok, "%s %s", c.state, c.typ)
		require.Equal(t, c.want, v, "%s %s", c.state, c.typ)
	}
	require.EqualValues(t, 1, calls.Load(), "cached: one read for every scrape within the TTL")

	// An error is that metric's scrape error, not kept by the cache.
	fail := true
	m.SetCaseCounts(metrics.CacheCaseCounts(func(context.Context) ([]proactive.CaseCount, error) {
		if fail {
			return nil, errors.New("database down")
		}
		return []proactive.CaseCount{{Type: "retired_check", State: proactive.CaseOpen, Count: 4}}, nil
	}, time.Hour))
	_, err = m.Registry().Gather()
	require.ErrorContains(t, err, "database down")
	fail = false
	v, ok := value(t, m, "ptd_proactive_cases", map[string]string{"state": "open", "type": "retired_check"})
	require.True(t, ok)
	require.Equal(t, 4.0, v)
	m.SetCaseCounts(nil)
	_, ok = value(t, m, "ptd_proactive_cases", nil)
	require.False(t, ok)

	var nilM *metrics.Metrics
	nilM.SetCaseCounts(counts)
	nilM.ObserveCaseEvents([]proactive.CaseEvent{{Kind: proactive.EventOpened}})
}
