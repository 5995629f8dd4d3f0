// Package metrics exposes ptd-proactive's Prometheus metrics: scan duration,
// anomalies by type and severity, alerts stored and skipped as duplicates,
// check errors by check, the time of the last successful scan, schedule
// ticks, notification deliveries, the risk desk's cases by state and type,
// and case transitions by kind.
//
// Every Metrics value owns its own prometheus.Registry: nothing is
// registered globally, so tests and several servers in one process never
// collide. All names start with ptd_proactive_.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Namespace prefixes every metric name.
const Namespace = "ptd_proactive"

// Outcomes of a scan, the outcome label of the scan duration histogram.
const (
	ScanSuccess = "success"
	ScanFailure = "failure"
)

// Outcomes of a schedule tick, the outcome label of the ticks counter.
const (
	TickRan       = "ran"        // this replica claimed the tick and ran the scan
	TickTaken     = "taken"      // another replica claimed the tick
	TickBusy      = "busy"       // a scan was already running in this process: tick left to others
	TickRunFailed = "run_failed" // claimed, but the scan returned an error
	TickError     = "error"      // the tick could not be claimed (database error)
)

// Metrics holds the collectors of one process. Its methods are safe for
// concurrent use; a nil *Metrics ignores every observation.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	scanDuration  *prometheus.HistogramVec
	anomalies     *prometheus.CounterVec
	alerts        *prometheus.CounterVec
	checkErrors   *prometheus.CounterVec
	skippedRows   *prometheus.CounterVec
	lastSuccess   prometheus.Gauge
	scanRunning   prometheus.Gauge
	ticks         *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	notifications *queueCollector
	transitions   *prometheus.CounterVec
	cases         *caseCollector
}

// New returns Metrics with a fresh registry holding the product's
// collectors plus the Go runtime and process collectors. Label values
// known in advance (types, severities, outcomes, checks) start at zero, so
// the series exist before the first scan; checks are the checks whose
// series start at zero.
func New(checks []proactive.Check) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		now: time.Now,
		scanDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "scan_duration_seconds",
			Help:      "Duration of monitoring scans, by outcome (success: the scan ran; failure: it could not run).",
			Buckets:   []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"outcome"}),
		anomalies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "anomalies_total",
			Help:      "Anomalies detected by scans, by anomaly type and severity.",
		}, []string{"type", "severity"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "alerts_total",
			Help:      "Alert groups handled by scans, by outcome: inserted (new alert stored), escalated (stored alert raised to a higher priority), duplicate (skipped by dedup).",
		}, []string{"outcome"}),
		checkErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "check_errors_total",
			Help:      "Checks that could not run during a scan (a missing table, say), by check.",
		}, []string{"monitor"}),
		skippedRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "skipped_rows_total",
			Help:      "Source rows skipped as making no sense, by check and reason.",
		}, []string{"monitor", "reason"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "last_success_timestamp_seconds",
			Help:      "Unix time at which the last successful scan of this process finished; 0 before the first.",
		}),
		scanRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "scan_running",
			Help:      "1 while a scan runs in this process, else 0.",
		}),
		ticks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "schedule_ticks_total",
			Help:      "Ticks of the built-in schedule seen by this process, by outcome: ran, taken (by another replica), busy (a scan was running here), run_failed, error (claim failed).",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "notification_deliveries_total",
			Help:      "Notification delivery attempts, by channel and outcome.",
		}, []string{"channel", "outcome"}),
		notifications: &queueCollector{scraped[map[proactive.NotificationStatus]int]{desc: prometheus.NewDesc(
			prometheus.BuildFQName(Namespace, "", "notifications"),
			"Notifications in the outbox by status (pending, sending, failed), as last read from the database.",
			[]string{"status"}, nil,
		)}},
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "case_transitions_total",
			Help:      "Case events recorded by this process, by kind: opened, escalated and resolved by scans; acknowledged, snoozed, assigned, commented and resolved by actions through the API (dismisses included).",
		}, []string{"kind"}),
		cases: &caseCollector{scraped: scraped[[]proactive.CaseCount]{desc: prometheus.NewDesc(
			prometheus.BuildFQName(Namespace, "", "cases"),
			"Cases on the risk desk by stored state and type (every case, resolved ones included), as last read from the database.",
			[]string{"state", "type"}, nil,
		)}},
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.scanDuration, m.anomalies, m.alerts, m.checkErrors, m.skippedRows,
		m.lastSuccess, m.scanRunning, m.ticks, m.deliveries, m.notifications,
		m.transitions, m.cases,
	)
	for _, o := range []string{ScanSuccess, ScanFailure} {
		m.scanDuration.WithLabelValues(o)
	}
	for _, k := range []proactive.EventKind{proactive.EventOpened, proactive.EventEscalated, proactive.EventResolved,
		proactive.EventAcknowledged, proactive.EventSnoozed, proactive.EventAssigned, proactive.EventCommented} {
		m.transitions.WithLabelValues(string(k))
	}
	for _, c := range checks {
		m.cases.types = append(m.cases.types, c.Type)
		m.checkErrors.WithLabelValues(c.Monitor)
		for _, s := range proactive.Severities() {
			m.anomalies.WithLabelValues(string(c.Type), string(s))
		}
	}
	for _, o := range []proactive.SaveOutcome{proactive.Inserted, proactive.Escalated, proactive.Duplicate} {
		m.alerts.WithLabelValues(string(o))
	}
	for _, o := range []string{TickRan, TickTaken, TickBusy, TickRunFailed, TickError} {
		m.ticks.WithLabelValues(o)
	}
	return m
}

// Registry returns the registry, for callers that add collectors of their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or negotiated) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:          m.reg, // counts its own scrape errors
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: false,
	})
}

// ScanStarted marks a scan as running in this process (the scan_running
// gauge); ObserveScan marks it finished.
func (m *Metrics) ScanStarted() {
	if m == nil {
		return
	}
	m.scanRunning.Set(1)
}

// ObserveScan records one finished scan: its duration d, the anomalies of
// res's groups by type and severity, the outcome of each group's alert,
// the checks that could not run, the skipped rows, the cases it opened,
// escalated and resolved (not for a dry run, which changes nothing), and —
// when err is nil and res.Success — the time of the last success. A failed scan still
// counts what it reported before it failed (alerts already stored stay
// stored).
func (m *Metrics) ObserveScan(res proactive.ScanResult, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.scanRunning.Set(0)
	ok := err == nil && res.Success
	outcome := ScanFailure
	if ok {
		outcome = ScanSuccess
	}
	m.scanDuration.WithLabelValues(outcome).Observe(d.Seconds())
	for _, c := range res.AnomalyCounts {
		m.anomalies.WithLabelValues(string(c.Type), string(c.Severity)).Add(float64(c.Count))
	}
	for _, g := range res.AlertGroups {
		if g.Saved != "" {
			m.alerts.WithLabelValues(string(g.Saved)).Inc()
		}
	}
	for _, e := range res.Errors {
		m.checkErrors.WithLabelValues(e.Monitor).Inc()
	}
	for _, s := range res.SkippedRows {
		m.skippedRows.WithLabelValues(s.Monitor, s.Reason).Add(float64(s.Count))
	}
	if !res.DryRun {
		m.transitions.WithLabelValues(string(proactive.EventOpened)).Add(float64(res.Cases.Opened))
		m.transitions.WithLabelValues(string(proactive.EventEscalated)).Add(float64(res.Cases.Escalated))
		m.transitions.WithLabelValues(string(proactive.EventResolved)).Add(float64(res.Cases.Resolved))
	}
	if ok {
		m.lastSuccess.Set(float64(m.now().UnixNano()) / 1e9)
	}
}

// ObserveTick counts one tick of the built-in schedule by outcome (TickRan,
// TickTaken, TickBusy, TickRunFailed, TickError).
func (m *Metrics) ObserveTick(outcome string) {
	if m == nil {
		return
	}
	m.ticks.WithLabelValues(outcome).Inc()
}

// ObserveDelivery counts one notification delivery attempt on channel
// (slack, email, webhook) with its outcome (for instance delivered,
// retry, failed).
func (m *Metrics) ObserveDelivery(channel, outcome string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(channel, outcome).Inc()
}

// QueueFunc reports how many notifications the outbox holds per status. It
// is called at scrape time with a context bounded by QueueTimeout.
type QueueFunc func(ctx context.Context) (map[proactive.NotificationStatus]int, error)

// QueueTimeout bounds one call of the QueueFunc during a scrape.
const QueueTimeout = 3 * time.Second

// SetNotificationQueue makes the ptd_proactive_notifications gauge report
// f's counts at every scrape. Statuses f omits report nothing; an error of
// f is reported as a scrape error for this metric only. A nil f turns the
// gauge off.
func (m *Metrics) SetNotificationQueue(f QueueFunc) {
	if m == nil {
		return
	}
	m.notifications.set(f)
}

// StoreQueue returns a QueueFunc that counts the pending, sending and
// failed notifications of s, at most limit of each (a count at the limit
// means "at least"; ≤ 0 means 10,000).
func StoreQueue(s proactive.NotificationStore, limit int) QueueFunc {
	if limit <= 0 {
		limit = 10000
	}
	return func(ctx context.Context) (map[proactive.NotificationStatus]int, error) {
		out := make(map[proactive.NotificationStatus]int, 3)
		for _, st := range []proactive.NotificationStatus{proactive.NotificationPending, proactive.NotificationSending, proactive.NotificationFailed} {
			ns, err := s.ListNotifications(ctx, proactive.NotificationFilter{Status: st, Limit: limit})
			if err != nil {
				return nil, err
			}
			out[st] = len(ns)
		}
		return out, nil
	}
}
