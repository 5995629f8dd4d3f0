package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/metrics"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// value returns the value of the series of family name whose labels
// include all of labels, and whether it exists.
func value(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := m.Registry().Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			if !hasLabels(mt, labels) {
				continue
			}
			switch {
			case mt.Counter != nil:
				return mt.GetCounter().GetValue(), true
			case mt.Gauge != nil:
				return mt.GetGauge().GetValue(), true
			case mt.Histogram != nil:
				return float64(mt.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// mustValue is value that requires the series to exist.
func mustValue(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := value(t, m, name, labels)
	require.True(t, ok, "%s%v missing", name, labels)
	return v
}

func TestObserveScan(t *testing.T) {
	t.Parallel()
	m := metrics.New(rules.Checks())
	// Series known in advance exist at zero before the first scan.
	require.Zero(t, mustValue(t, m, "ptd_proactive_anomalies_total", map[string]string{"type": "deal_stall", "severity": "low"}))
	require.Zero(t, mustValue(t, m, "ptd_proactive_check_errors_total", map[string]string{"monitor": "checkLeadResponseTimes"}))
	require.Zero(t, mustValue(t, m, "ptd_proactive_alerts_total", map[string]string{"outcome": "duplicate"}))
	require.Zero(t, mustValue(t, m, "ptd_proactive_last_success_timestamp_seconds", nil))

	res := proactive.ScanResult{
		Success: true,
		AnomalyCounts: []proactive.AnomalyCount{
			{Type: proactive.HealthDrop, Severity: proactive.SeverityCritical, Count: 1},
			{Type: proactive.HealthDrop, Severity: proactive.SeverityHigh, Count: 2},
			{Type: proactive.SyncFail, Severity: proactive.SeverityMedium, Count: 1},
		},
		AlertGroups: []proactive.GroupSummary{
			{Type: proactive.HealthDrop, Saved: proactive.Inserted},
			{Type: proactive.SyncFail, Saved: proactive.Duplicate},
			{Type: proactive.DealStall, Saved: proactive.Escalated},
			{Type: proactive.ResponseDelay}, // a dry run stores nothing
		},
		Errors:      []proactive.MonitorError{{Monitor: "checkDealPipelineStalls", Error: "table deals is missing"}},
		SkippedRows: []proactive.SkippedRows{{Monitor: "checkHealthScoreDrops", Reason: proactive.SkipNullEmail, Count: 3}},
	}
	m.ScanStarted()
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_scan_running", nil))
	before := time.Now()
	m.ObserveScan(res, 1500*time.Millisecond, nil)
	require.Zero(t, mustValue(t, m, "ptd_proactive_scan_running", nil))

	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_scan_duration_seconds", map[string]string{"outcome": "success"}))
	require.Zero(t, mustValue(t, m, "ptd_proactive_scan_duration_seconds", map[string]string{"outcome": "failure"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_anomalies_total", map[string]string{"type": "health_drop", "severity": "critical"}))
	require.Equal(t, 2.0, mustValue(t, m, "ptd_proactive_anomalies_total", map[string]string{"type": "health_drop", "severity": "high"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_anomalies_total", map[string]string{"type": "sync_fail", "severity": "medium"}))
	require.Zero(t, mustValue(t, m, "ptd_proactive_anomalies_total", map[string]string{"type": "deal_stall", "severity": "critical"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_alerts_total", map[string]string{"outcome": "inserted"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_alerts_total", map[string]string{"outcome": "escalated"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_alerts_total", map[string]string{"outcome": "duplicate"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_check_errors_total", map[string]string{"monitor": "checkDealPipelineStalls"}))
	require.Equal(t, 3.0, mustValue(t, m, "ptd_proactive_skipped_rows_total", map[string]string{"monitor": "checkHealthScoreDrops", "reason": proactive.SkipNullEmail}))
	last := mustValue(t, m, "ptd_proactive_last_success_timestamp_seconds", nil)
	require.InDelta(t, float64(before.Unix()), last, 5)

	// A failed scan counts as a failure and leaves the last success alone.
	m.ObserveScan(proactive.ScanResult{Success: false, Error: "down"}, time.Second, errors.New("down"))
	m.ObserveScan(proactive.ScanResult{Success: false}, time.Second, nil)
	require.Equal(t, 2.0, mustValue(t, m, "ptd_proactive_scan_duration_seconds", map[string]string{"outcome": "failure"}))
	require.Equal(t, last, mustValue(t, m, "ptd_proactive_last_success_timestamp_seconds", nil))
}

func TestTicksAndDeliveries(t *testing.T) {
	t.Parallel()
	m := metrics.New(rules.Checks())
	m.ObserveTick(metrics.TickRan)
	m.ObserveTick(metrics.TickTaken)
	m.ObserveTick(metrics.TickTaken)
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_schedule_ticks_total", map[string]string{"outcome": "ran"}))
	require.Equal(t, 2.0, mustValue(t, m, "ptd_proactive_schedule_ticks_total", map[string]string{"outcome": "taken"}))
	require.Zero(t, mustValue(t, m, "ptd_proactive_schedule_ticks_total", map[string]string{"outcome": "error"}))

	_, ok := value(t, m, "ptd_proactive_notification_deliveries_total", nil)
	require.False(t, ok, "no deliveries, no series")
	m.ObserveDelivery(proactive.ChannelSlack, "delivered")
	m.ObserveDelivery(proactive.ChannelSlack, "delivered")
	m.ObserveDelivery(proactive.ChannelEmail, "retry")
	require.Equal(t, 2.0, mustValue(t, m, "ptd_proactive_notification_deliveries_total", map[string]string{"channel": "slack", "outcome": "delivered"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_notification_deliveries_total", map[string]string{"channel": "email", "outcome": "retry"}))
}

func TestNilMetricsIgnoresEverything(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	require.NotPanics(t, func() {
		m.ScanStarted()
		m.ObserveScan(proactive.ScanResult{Success: true}, time.Second, nil)
		m.ObserveTick(metrics.TickRan)
		m.ObserveDelivery("slack", "delivered")
		m.SetNotificationQueue(nil)
	})
}

func TestRegistriesAreIndependent(t *testing.T) {
	t.Parallel()
	a, b := metrics.New(rules.Checks()), metrics.New(rules.Checks()) // no global registration: no "duplicate metrics collector" panic
	a.ObserveTick(metrics.TickRan)
	require.Equal(t, 1.0, mustValue(t, a, "ptd_proactive_schedule_ticks_total", map[string]string{"outcome": "ran"}))
	require.Zero(t, mustValue(t, b, "ptd_proactive_schedule_ticks_total", map[string]string{"outcome": "ran"}))
}

func TestNotificationQueueFromTheStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	require.NoError(t, err)
	defer store.Close()
	_, err = store.Migrate(ctx)
	require.NoError(t, err)
	now := time.Now().UTC()
	_, err = storetest.SaveAlert(ctx, store, proactive.Alert{Priority: proactive.SeverityCritical, Title: "t", DedupKey: "k", CreatedAt: now,
		AffectedEntities: proactive.AffectedEntities{Type: proactive.SyncFail}}, now, "scan", proactive.ChannelSlack, proactive.ChannelWebhook)
	require.NoError(t, err)

	m := metrics.New(rules.Checks())
	_, ok := value(t, m, "ptd_proactive_notifications", nil)
	require.False(t, ok, "off until a queue function is set")
	m.SetNotificationQueue(metrics.StoreQueue(store, 0))
	require.Equal(t, 2.0, mustValue(t, m, "ptd_proactive_notifications", map[string]string{"status": "pending"}))
	require.Zero(t, mustValue(t, m, "ptd_proactive_notifications", map[string]string{"status": "failed"}))

	claimed, err := store.ClaimNotifications(ctx, proactive.ClaimParams{Now: now.Add(time.Second), Limit: 1, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.NoError(t, store.FailNotification(ctx, claimed[0].ID, claimed[0].Attempts, "gave up", nil))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_notifications", map[string]string{"status": "pending"}))
	require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_notifications", map[string]string{"status": "failed"}))

	// A failing queue function fails this metric only, not the scrape.
	m.SetNotificationQueue(func(context.Context) (map[proactive.NotificationStatus]int, error) {
		return nil, errors.New("database down")
	})
	ts := httptest.NewServer(m.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	text := string(body)
	require.Contains(t, text, "ptd_proactive_scan_duration_seconds_bucket")
	require.NotContains(t, text, "ptd_proactive_notifications{")
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		ok := strings.HasPrefix(name, "ptd_proactive_") || strings.HasPrefix(name, "go_") ||
			strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_")
		require.True(t, ok, "unexpected metric %s", name)
	}
}

func TestCacheQueue(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	fail := atomic.Bool{}
	f := func(context.Context) (map[proactive.NotificationStatus]int, error) {
		calls.Add(1)
		if fail.Load() {
			return nil, errors.New("database down")
		}
		return map[proactive.NotificationStatus]int{proactive.NotificationPending: int(calls.Load())}, nil
	}
	m := metrics.New(rules.Checks())
	m.SetNotificationQueue(metrics.CacheQueue(f, time.Hour))
	for range 5 {
		require.Equal(t, 1.0, mustValue(t, m, "ptd_proactive_notifications", map[string]string{"status": "pending"}))
	}
	require.Equal(t, int32(1), calls.Load(), "one read of the outbox for five scrapes")

	// An error is not kept: the next scrape asks again.
	fail.Store(true)
	uncached := metrics.CacheQueue(f, 0)
	_, err := uncached(context.Background())
	require.Error(t, err)
	fail.Store(false)
	counts, err := uncached(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, counts[proactive.NotificationPending])
	counts[proactive.NotificationPending] = 99 // the caller's copy
	counts, err = uncached(context.Background())
	require.NoError(t, err)
	require.Equal(t, 4, counts[proactive.NotificationPending], "ttl 0: every call reads")

	// Within the ttl, concurrent scrapes share one read.
	calls.Store(0)
	shared := metrics.CacheQueue(f, time.Hour)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { _, _ = shared(context.Background()) })
	}
	wg.Wait()
	require.Equal(t, int32(1), calls.Load())
}
