package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
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

	// concurrent lets the scan read the checks ahead of the desk, each on
	// a goroutine of its own (scan.ConcurrentSource).
	concurrent bool
	// reading counts the reads in progress; mostReading is the most at
	// once.
	reading, mostReading atomic.Int32

	mu      sync.Mutex
	healthQ proactive.HealthQuery
	runs    []proactive.ScanRun
}

func (f *fakeStore) Ping(context.Context) error { return f.pingErr }

func (f *fakeStore) ConcurrentReads() bool { return f.concurrent }

// read counts one read in progress until the returned function is called.
func (f *fakeStore) read() (done func()) {
	n := f.reading.Add(1)
	for m := f.mostReading.Load(); n > m && !f.mostReading.CompareAndSwap(m, n); m = f.mostReading.Load() {
	}
	return func() { f.reading.Add(-1) }
}

// stream hands xs to fn one at a time, then returns skipped and err (a
// failing read delivers nothing).
func stream[T any](xs []T, fn func(T) error, skipped proactive.Skipped, err error) (proactive.Skipped, error) {
	if err != nil {
		return skipped, err
	}
	for _, x := range xs {
		if err := fn(x); err != nil {
			return nil, err
		}
	}
	return skipped, nil
}

func (f *fakeStore) HealthTrends(_ context.Context, q proactive.HealthQuery, fn func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	defer f.read()()
	f.mu.Lock()
	f.healthQ = q
	f.mu.Unlock()
	return stream(f.trends, fn, f.healthSkipped, f.healthErr)
}

func (f *fakeStore) StalledDeals(_ context.Context, _ proactive.DealQuery, fn func(proactive.Deal) error) (proactive.Skipped, error) {
	defer f.read()()
	return stream(f.deals, fn, f.dealSkipped, f.dealErr)
}

func (f *fakeStore) SyncFailures(_ context.Context, _ proactive.SyncQuery, fn func(proactive.SyncFailureGroup) error) (proactive.Skipped, error) {
	defer f.read()()
	return stream(f.syncs, fn, nil, f.syncErr)
}

func (f *fakeStore) WaitingLeads(_ context.Context, _ proactive.LeadQuery, fn func(proactive.Lead) error) (proactive.Skipped, error) {
	defer f.read()()
	return stream(f.leads, fn, nil, f.leadErr)
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

// faultyDesk is an in-memory desk whose alert inserts fail for some types.
type faultyDesk struct {
	*memstore.Desk
	insertErr map[proactive.AnomalyType]error
}

func (d *faultyDesk) Update(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	return d.Desk.Update(ctx, func(tx proactive.DeskTx) error { return fn(faultyTx{tx, d.insertErr}) })
}

type faultyTx struct {
	proactive.DeskTx
	insertErr map[proactive.AnomalyType]error
}

func (t faultyTx) InsertAlert(ctx context.Context, a proactive.Alert) (string, error) {
	if err := t.insertErr[a.AffectedEntities.Type]; err != nil {
		return "", err
	}
	return t.DeskTx.InsertAlert(ctx, a)
}

// alertsOf lists the desk's open alerts.
func alertsOf(t *testing.T, d proactive.Desk) []proactive.Alert {
	t.Helper()
	var out []proactive.Alert
	require.NoError(t, d.View(context.Background(), func(tx proactive.DeskTx) error {
		var err error
		out, err = tx.OpenAlerts(context.Background(), storetest.Now())
		return err
	}))
	return out
}

func runFake(t *testing.T, f *fakeStore, opts scan.Options) (proactive.ScanResult, string, error) {
	t.Helper()
	var logs bytes.Buffer
	opts.Store = f
	if opts.Desk == nil {
		opts.Desk = memstore.New(uuid.NewString)
	}
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
	} {
		for _, concurrent := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, concurrent reads %v", tc.name, concurrent), func(t *testing.T) {
				f := fullFake()
				f.concurrent = concurrent
				tc.set(f)
				desk := memstore.New(uuid.NewString)
				res, logs, err := runFake(t, f, scan.Options{Desk: desk})
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
				require.Len(t, alertsOf(t, desk), 4-len(tc.errors), "the checks that ran are stored")
				require.Equal(t, len(tc.errors), f.runs[0].Errors)
				for _, e := range tc.errors {
					require.Contains(t, logs, "["+e.Monitor+"] Error: "+e.Error)
				}
			})
		}
	}
}

// An alert that cannot be stored fails the scan, naming it, and nothing of
// the scan is left half-written: its cases roll back with it.
func TestScanAlertWriteFailureRollsBack(t *testing.T) {
	f := fullFake()
	desk := &faultyDesk{Desk: memstore.New(uuid.NewString), insertErr: map[proactive.AnomalyType]error{
		proactive.SyncFail: proactive.Errorf(proactive.EINTERNAL, "disk full")}}
	res, logs, err := runFake(t, f, scan.Options{Desk: desk})
	require.Error(t, err)
	require.False(t, res.Success)
	require.Equal(t, `save alert "HubSpot - rate_limit: 3 Sync Failures": disk full`, res.Error)
	require.Contains(t, logs, "[PTD Proactive] Error: ")
	require.Empty(t, alertsOf(t, desk.Desk), "no alert of the failed scan stays")
	require.Empty(t, desk.AllCases(), "no case of the failed scan stays")
	require.Len(t, f.runs, 1)
	require.False(t, f.runs[0].Success)
}

// Outcomes across scans: a second scan the same day stores nothing new;
// an escalation rewrites the alert; a new member updates it.
func TestScanOutcomes(t *testing.T) {
	f := fullFake()
	desk := memstore.New(uuid.NewString)
	res, _, err := runFake(t, f, scan.Options{Desk: desk})
	require.NoError(t, err)
	require.Equal(t, 4, res.AlertsSaved)
	require.Equal(t, 4, res.Cases.Opened)
	require.Equal(t, 4, res.Cases.Open)
	var saved []proactive.SaveOutcome
	for i, g := range res.AlertGroups {
		saved = append(saved, g.Saved)
		require.NotEmpty(t, g.AlertID)
		require.Equal(t, g.AlertID, res.Alerts[i].ID)
	}
	require.Equal(t, []proactive.SaveOutcome{proactive.Inserted, proactive.Inserted, proactive.Inserted, proactive.Inserted}, saved)

	res, logs, err := runFake(t, f, scan.Options{Desk: desk})
	require.NoError(t, err)
	require.Zero(t, res.AlertsSaved)
	require.Equal(t, 4, res.DuplicatesSkipped)
	require.Zero(t, res.Cases.Opened)
	require.Contains(t, logs, "[saveAlert] Skipping duplicate alert: sync_fail_hubspot_rate_limit_2025-12-10")

	// The deal escalates (35 days: critical); a second lead arrives.
	f.deals[0].LastActivity = storetest.Now().Add(-35 * 24 * time.Hour)
	f.leads = append(f.leads, proactive.Lead{ID: "8", Name: "Ola", CreatedAt: storetest.Now().Add(-8 * time.Hour)})
	res, logs, err = runFake(t, f, scan.Options{Desk: desk})
	require.NoError(t, err)
	saved = nil
	for _, g := range res.AlertGroups {
		saved = append(saved, g.Saved)
	}
	require.Equal(t, []proactive.SaveOutcome{proactive.Duplicate, proactive.Escalated, proactive.Duplicate, proactive.Updated}, saved)
	require.Equal(t, 2, res.AlertsSaved, "escalated and updated count as saved")
	require.Equal(t, 1, res.AlertsEscalated)
	require.Equal(t, 1, res.AlertsUpdated)
	require.Equal(t, 1, res.Cases.Escalated)
	require.Equal(t, 1, res.Cases.Opened)
	require.Contains(t, logs, "[saveAlert] Escalated alert: Deal Stalled: Big Deal")
	require.Contains(t, logs, "[PTD Proactive] Complete. Saved 2 new alerts in")
	require.Len(t, alertsOf(t, desk), 4, "still one alert per type and day")
}

// router admits critical and high alerts on Slack and everything on the
// webhook, and sends resolved messages on the webhook.
type router struct{}

func (router) AlertDestinations(a proactive.Alert, sev proactive.Severity, owners []string) []proactive.Destination {
	out := []proactive.Destination{{Channel: proactive.ChannelWebhook}}
	if sev == proactive.SeverityCritical || sev == proactive.SeverityHigh {
		out = append(out, proactive.Destination{Channel: proactive.ChannelSlack})
	}
	return out
}

func (router) ResolvedRoutes() []proactive.ResolvedRoute {
	return []proactive.ResolvedRoute{{Channel: proactive.ChannelWebhook, Priorities: proactive.Severities()}}
}

func TestScanQueuesNotificationsOnTheWallClock(t *testing.T) {
	f := fullFake()
	desk := memstore.New(uuid.NewString)
	wall := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	_, _, err := runFake(t, f, scan.Options{Desk: desk, Notify: router{}, Clock: func() time.Time { return wall }})
	require.NoError(t, err)
	out := desk.Outbox()
	require.Len(t, out, 6, "webhook ×4, Slack for the critical health drop and the high sync failure")
	scanID := out[0].ScanID
	require.NotEmpty(t, scanID)
	for _, n := range out {
		require.Equal(t, scanID, n.ScanID, "one scan id per scan")
		require.Equal(t, proactive.EventAlert, n.Event)
		require.Equal(t, wall, n.NextAttemptAt, "due on the wall clock, whatever --now")
		require.Equal(t, proactive.NotificationPending, n.Status)
		require.NotEmpty(t, n.AlertID)
	}
	_, _, err = runFake(t, f, scan.Options{Desk: desk, Notify: router{}})
	require.NoError(t, err)
	require.Len(t, desk.Outbox(), 6, "a duplicate notifies nobody")
}

// The health check asks the store for drops from the medium threshold on;
// the store's filter allows for floating point (storetest holds both stores
// to a drop exactly on it).
func TestScanHealthPrefilterIsTheMediumThreshold(t *testing.T) {
	f := fullFake()
	_, _, err := runFake(t, f, scan.Options{})
	require.NoError(t, err)
	th := proactive.DefaultThresholds()
	require.Equal(t, th.HealthDropMedium-th.RecoveryMargin, f.healthQ.MinDrop, "drops within the recovery margin keep cases open")
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
		{Monitor: "checkHealthScoreDrops", Table: proactive.TableHealthScores, Reason: proactive.SkipNullEmail, Count: 1},
		{Monitor: "checkHealthScoreDrops", Table: proactive.TableHealthScores, Reason: proactive.SkipScoreOutOfRange, Count: 2},
		{Monitor: "checkDealPipelineStalls", Table: proactive.TableDeals, Reason: proactive.SkipNegativeAmount, Count: 3},
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
	sc, err := scan.New(scan.Options{Store: fullFake(), Desk: memstore.New(uuid.NewString), Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
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
