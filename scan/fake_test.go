package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// fakeStore answers the checks from memory and records what the scan asks
// of it. Methods a scan does not call panic (the embedded nil Store).
type fakeStore struct {
	proactive.Store

	pingErr                              error
	healthErr, dealErr, syncErr, leadErr error
	trends                               []proactive.HealthTrend
	deals                                []proactive.Deal
	syncs                                []proactive.SyncFailureGroup
	leads                                []proactive.Lead
	healthSkipped, dealSkipped           proactive.Skipped
	outcomes                             map[proactive.AnomalyType]proactive.SaveOutcome
	saveErr                              map[proactive.AnomalyType]error

	mu      sync.Mutex
	healthQ proactive.HealthQuery
	saved   []proactive.SaveAlertParams
	runs    []proactive.ScanRun
}

func (f *fakeStore) Ping(context.Context) error { return f.pingErr }

func (f *fakeStore) HealthTrends(_ context.Context, q proactive.HealthQuery) ([]proactive.HealthTrend, proactive.Skipped, error) {
	f.mu.Lock()
	f.healthQ = q
	f.mu.Unlock()
	return f.trends, f.healthSkipped, f.healthErr
}

func (f *fakeStore) StalledDeals(context.Context, proactive.DealQuery) ([]proactive.Deal, proactive.Skipped, error) {
	return f.deals, f.dealSkipped, f.dealErr
}

func (f *fakeStore) SyncFailures(context.Context, proactive.SyncQuery) ([]proactive.SyncFailureGroup, proactive.Skipped, error) {
	return f.syncs, nil, f.syncErr
}

func (f *fakeStore) WaitingLeads(context.Context, proactive.LeadQuery) ([]proactive.Lead, proactive.Skipped, error) {
	return f.leads, nil, f.leadErr
}

func (f *fakeStore) SaveAlert(_ context.Context, p proactive.SaveAlertParams) (proactive.SaveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	typ := p.Alert.AffectedEntities.Type
	if err := f.saveErr[typ]; err != nil {
		return proactive.SaveResult{}, err
	}
	f.saved = append(f.saved, p)
	out := f.outcomes[typ]
	if out == "" {
		out = proactive.Inserted
	}
	return proactive.SaveResult{Outcome: out, ID: string(typ) + "-id"}, nil
}

func (f *fakeStore) RecordScan(_ context.Context, r proactive.ScanRun) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, r)
	return nil
}

// fullFake finds one anomaly of each type.
func fullFake() *fakeStore {
	now := storetest.Now()
	return &fakeStore{
		trends: []proactive.HealthTrend{{Email: "john@example.com", Previous: 80, Current: 50, Readings: 2}},
		deals:  []proactive.Deal{{ID: "1", Name: "Big Deal", Stage: "Proposal", LastActivity: now.Add(-20 * 24 * time.Hour)}},
		syncs:  []proactive.SyncFailureGroup{{Source: "hubspot", ErrorType: "rate_limit", Count: 3}},
		leads:  []proactive.Lead{{ID: "7", Name: "Sam", CreatedAt: now.Add(-7 * time.Hour)}},
	}
}

func runFake(t *testing.T, f *fakeStore, opts scan.Options) (proactive.ScanResult, string, error) {
	t.Helper()
	var logs bytes.Buffer
	opts.Store = f
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	sc, err := scan.New(opts)
	require.NoError(t, err)
	res, err := sc.Run(context.Background(), scan.Params{Now: storetest.Now(), Trigger: "test"})
	return res, logs.String(), err
}

func TestScanCheckErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		set     func(*fakeStore)
		fails   bool
		errors  []proactive.MonitorError // when the scan runs
		message string                   // in res.Error when it fails
	}{
		{
			name: "a check that cannot run is reported; the others run",
			set: func(f *fakeStore) {
				f.syncErr = proactive.Errorf(proactive.ENOTFOUND, "no table sync_errors: run migrate")
			},
			errors: []proactive.MonitorError{{Monitor: "checkSyncFailures", Error: "no table sync_errors: run migrate"}},
		},
		{
			name: "an unexpected check error is reported too, never swallowed",
			set: func(f *fakeStore) {
				f.healthErr = proactive.Errorf(proactive.EINTERNAL, "column health_score is text")
				f.leadErr = proactive.Errorf(proactive.ENOTFOUND, "no column leads.status")
			},
			errors: []proactive.MonitorError{
				{Monitor: "checkHealthScoreDrops", Error: "column health_score is text"},
				{Monitor: "checkLeadResponseTimes", Error: "no column leads.status"},
			},
		},
		{
			name: "an unreachable database during a check fails the scan",
			set: func(f *fakeStore) {
				f.dealErr = proactive.Errorf(proactive.EUNAVAILABLE, "the database does not answer")
			},
			fails:   true,
			message: "checkDealPipelineStalls: the database does not answer",
		},
		{
			name: "an unreachable database before the checks fails the scan",
			set: func(f *fakeStore) {
				f.pingErr = proactive.Errorf(proactive.EUNAVAILABLE, "the database does not answer")
			},
			fails:   true,
			message: "the database does not answer",
		},
		{
			name: "an alert that cannot be stored fails the scan, naming it",
			set: func(f *fakeStore) {
				f.saveErr = map[proactive.AnomalyType]error{proactive.SyncFail: proactive.Errorf(proactive.EINTERNAL, "disk full")}
			},
			fails:   true,
			message: `save alert "HubSpot - rate_limit: 3 Sync Failures": disk full`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fullFake()
			tc.set(f)
			res, logs, err := runFake(t, f, scan.Options{})
			require.Len(t, f.runs, 1, "every scan is recorded")
			require.Equal(t, !tc.fails, f.runs[0].Success)
			if tc.fails {
				require.Error(t, err)
				require.False(t, res.Success)
				require.Equal(t, tc.message, res.Error)
				require.Contains(t, logs, "[PTD Proactive] Error: ")
				return
			}
			require.NoError(t, err)
			require.True(t, res.Success)
			require.Equal(t, tc.errors, res.Errors)
			require.Len(t, f.saved, 4-len(tc.errors), "the checks that ran are stored")
			require.Equal(t, len(tc.errors), f.runs[0].Errors)
			for _, e := range tc.errors {
				require.Contains(t, logs, "["+e.Monitor+"] Error: "+e.Error)
			}
		})
	}
}

func TestScanCountsSaveOutcomes(t *testing.T) {
	f := fullFake()
	f.outcomes = map[proactive.AnomalyType]proactive.SaveOutcome{
		proactive.DealStall: proactive.Escalated,
		proactive.SyncFail:  proactive.Duplicate,
	}
	res, logs, err := runFake(t, f, scan.Options{})
	require.NoError(t, err)
	require.Equal(t, 3, res.AlertsSaved, "inserted and escalated count as saved")
	require.Equal(t, 1, res.AlertsEscalated)
	require.Equal(t, 1, res.DuplicatesSkipped)
	var saved []proactive.SaveOutcome
	for i, g := range res.AlertGroups {
		saved = append(saved, g.Saved)
		require.Equal(t, string(g.Type)+"-id", g.AlertID)
		require.Equal(t, g.AlertID, res.Alerts[i].ID)
	}
	require.Equal(t, []proactive.SaveOutcome{proactive.Inserted, proactive.Escalated, proactive.Duplicate, proactive.Inserted}, saved)
	require.Contains(t, logs, "[saveAlert] Escalated alert: Deal Stalled: Big Deal")
	require.Contains(t, logs, "[saveAlert] Skipping duplicate alert: sync_fail_hubspot_rate_limit_2025-12-10")
	require.Contains(t, logs, "[PTD Proactive] Complete. Saved 3 new alerts in")
}

func TestScanPassesDedupWindowChannelsAndScanID(t *testing.T) {
	f := fullFake()
	th := proactive.DefaultThresholds()
	th.DedupWindowHours = 1.5
	route := func(a proactive.Alert) []string {
		if a.Priority == proactive.SeverityCritical {
			return []string{proactive.ChannelSlack, proactive.ChannelWebhook}
		}
		return nil
	}
	_, _, err := runFake(t, f, scan.Options{Thresholds: th, Route: route})
	require.NoError(t, err)
	require.Len(t, f.saved, 4)
	for _, p := range f.saved {
		require.Equal(t, 90*time.Minute, p.DedupWindow)
		require.Equal(t, storetest.Now(), p.Now)
		require.Equal(t, storetest.Now(), p.Alert.CreatedAt)
		require.Equal(t, f.saved[0].ScanID, p.ScanID, "one scan id per scan")
		require.Equal(t, route(p.Alert), p.Channels)
	}
	require.NotEmpty(t, f.saved[0].ScanID)
	require.Equal(t, []string{proactive.ChannelSlack, proactive.ChannelWebhook}, f.saved[0].Channels, "the health drop is critical")
}

// The health check asks the store for drops from the medium threshold on;
// the store's filter allows for floating point (storetest holds both stores
// to a drop exactly on it).
func TestScanHealthPrefilterIsTheMediumThreshold(t *testing.T) {
	f := fullFake()
	_, _, err := runFake(t, f, scan.Options{})
	require.NoError(t, err)
	require.Equal(t, proactive.DefaultThresholds().HealthDropMedium, f.healthQ.MinDrop)
	require.Equal(t, proactive.HealthWindowDays, f.healthQ.WindowDays)
	require.Equal(t, 7, f.healthQ.TrendDays)
}

func TestScanReportsSkippedRows(t *testing.T) {
	f := fullFake()
	f.healthSkipped = proactive.Skipped{proactive.SkipScoreOutOfRange: 2, proactive.SkipNullEmail: 1}
	f.dealSkipped = proactive.Skipped{proactive.SkipNegativeAmount: 3}
	f.leadErr = proactive.Errorf(proactive.ENOTFOUND, "no table leads")
	res, _, err := runFake(t, f, scan.Options{})
	require.NoError(t, err)
	require.Equal(t, []proactive.SkippedRows{
		{Monitor: "checkHealthScoreDrops", Reason: proactive.SkipNullEmail, Count: 1},
		{Monitor: "checkHealthScoreDrops", Reason: proactive.SkipScoreOutOfRange, Count: 2},
		{Monitor: "checkDealPipelineStalls", Reason: proactive.SkipNegativeAmount, Count: 3},
	}, res.SkippedRows)
}

// CONTRACT §6: the arrays are arrays, never null, with nothing found and on
// a failed scan alike.
func TestScanJSONArraysWhenEmptyOrFailed(t *testing.T) {
	for _, f := range []*fakeStore{
		{},
		{pingErr: proactive.Errorf(proactive.EUNAVAILABLE, "the database does not answer")},
	} {
		res, _, _ := runFake(t, f, scan.Options{})
		b, err := json.Marshal(res)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		for _, key := range []string{"insights", "predictions", "alert_groups", "errors"} {
			require.Equal(t, []any{}, m[key], "%s in %s", key, b)
		}
		require.Equal(t, map[string]any{"health_drops": 0.0, "deal_stalls": 0.0, "sync_failures": 0.0, "response_delays": 0.0}, m["breakdown"])
	}
}

// The per-check lines carry the scan's id like every other line of it.
func TestScanLogLinesCarryTheScanID(t *testing.T) {
	var logs bytes.Buffer
	sc, err := scan.New(scan.Options{Store: fullFake(), Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	require.NoError(t, err)
	_, err = sc.Run(context.Background(), scan.Params{Now: storetest.Now(), Trigger: "test"})
	require.NoError(t, err)
	ids := map[string]bool{}
	lines := 0
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(line, &rec))
		id, _ := rec["scan_id"].(string)
		require.NotEmpty(t, id, "no scan_id in %s", line)
		ids[id] = true
		lines++
	}
	require.Len(t, ids, 1)
	require.GreaterOrEqual(t, lines, 8)
}
