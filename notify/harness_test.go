package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/email"
	"github.com/ptd-agents/ptd-proactive/notify/notifytest"
	"github.com/ptd-agents/ptd-proactive/notify/slack"
	"github.com/ptd-agents/ptd-proactive/notify/webhook"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// Secrets of the test peers; none may show in an error, a stored last
// error or a log line.
const (
	webhookSecret = "whsec-0ae1-test-signing-key"
	smtpPassword  = "smtp-P4ssw0rd-secret"
)

// testTimeout bounds the notifiers' calls in these tests: short enough for
// the timeout tests, long enough for a loaded machine.
const testTimeout = time.Second

// forEachStore runs fn on a fresh SQLite store and a fresh PostgreSQL store
// (skipped without PTD_TEST_DATABASE_URL, unless PTD_REQUIRE_POSTGRES=1).
func forEachStore(t *testing.T, fn func(t *testing.T, st proactive.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, mustOpenSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, mustOpenPostgres(t))
	})
}

func mustOpenSQLite(t *testing.T) proactive.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ptd.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(t.Context())
	require.NoError(t, err)
	return st
}

func mustOpenPostgres(t *testing.T) proactive.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), testdb.MustDatabase(t), postgres.Options{MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(t.Context())
	require.NoError(t, err)
	return st
}

// syncBuffer is a log sink safe for the worker's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// outcomes counts OnDelivery calls by "channel/outcome".
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) record(channel, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[channel+"/"+outcome]++
}

func (o *outcomes) get(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[key]
}

// Owners of the harness (notify.owners): Coach Ann has a Slack webhook and
// an address, Bob an address only.
const (
	ownerAnn = "Coach Ann"
	ownerBob = "Bob"
	annEmail = "ann@ptd.example"
	bobEmail = "bob@ptd.example"
)

// harness is a store with the three channels pointed at real local peers,
// and owners with their own destinations.
type harness struct {
	st        proactive.Store
	slack     *notifytest.Receiver
	annSlack  *notifytest.Receiver // Coach Ann's own Slack webhook
	hook      *notifytest.Receiver
	smtp      *notifytest.SMTPServer
	notifiers map[string]notify.Notifier
	router    *notify.Router
	logs      *syncBuffer
	outcomes  *outcomes
}

func newHarness(t *testing.T, st proactive.Store) *harness {
	t.Helper()
	h := &harness{
		st:       st,
		slack:    notifytest.NewReceiver(t),
		annSlack: notifytest.NewReceiver(t),
		hook:     notifytest.NewReceiver(t),
		smtp:     notifytest.NewSMTPServer(t, "ptd", smtpPassword),
		logs:     &syncBuffer{},
		outcomes: &outcomes{},
	}
	h.hook.Path = "/hooks/ptd-hook-url-token-secret"
	h.annSlack.Path = "/services/T0A/B0A/ann-0wn-s3cr3t-token"
	// The defaults of CONTRACT §11.1: resolved messages on the webhook only.
	h.router = notify.NewRouter([]notify.Route{
		{Channel: "slack", Owners: []string{ownerAnn}},
		{Channel: "email", Owners: []string{ownerAnn, ownerBob}},
		{Channel: "webhook", SendResolved: true},
	})
	sl, err := slack.New(slack.Options{WebhookURL: h.slack.URL(), Owners: map[string]string{ownerAnn: h.annSlack.URL()}, Timeout: testTimeout})
	require.NoError(t, err)
	em, err := email.New(email.Options{URL: h.smtp.URL(), From: "alerts@ptd.example", To: []string{"ops@ptd.example"},
		Owners:    map[string]string{ownerAnn: annEmail, ownerBob: bobEmail},
		TLSConfig: h.smtp.ClientTLS, Timeout: 5 * time.Second})
	require.NoError(t, err)
	wh, err := webhook.New(webhook.Options{URL: h.hook.URL(), Secret: webhookSecret, Timeout: testTimeout})
	require.NoError(t, err)
	h.notifiers = map[string]notify.Notifier{sl.Name(): sl, em.Name(): em, wh.Name(): wh}
	t.Cleanup(func() { h.requireNoSecrets(t) })
	return h
}

// options are the worker options of a test: fast retries, short lease.
func (h *harness) options() notify.Options {
	return notify.Options{
		Store:        h.st,
		Notifiers:    h.notifiers,
		Logger:       slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Lease:        30 * time.Second,
		PollInterval: 50 * time.Millisecond,
		Backoff:      func(int) time.Duration { return 20 * time.Millisecond },
		OnDelivery:   h.outcomes.record,
	}
}

func (h *harness) worker(t *testing.T, edit func(*notify.Options)) *notify.Worker {
	t.Helper()
	o := h.options()
	if edit != nil {
		edit(&o)
	}
	w, err := notify.NewWorker(o)
	require.NoError(t, err)
	return w
}

// save stores an alert as a scan would: routed, at now, under scanID.
func (h *harness) save(t *testing.T, scanID string, a proactive.Alert, now time.Time) proactive.SaveResult {
	t.Helper()
	return h.saveTo(t, scanID, a, now, h.router.Channels(a)...)
}

func (h *harness) saveTo(t *testing.T, scanID string, a proactive.Alert, now time.Time, channels ...string) proactive.SaveResult {
	t.Helper()
	res, err := storetest.SaveAlert(t.Context(), h.st, a, now, scanID, channels...)
	require.NoError(t, err)
	return res
}

// escalate raises a stored alert to prio and queues its escalation for the
// channels that want it, as a scan's desk transaction does.
func (h *harness) escalate(t *testing.T, scanID, id string, prio proactive.Severity, now time.Time) {
	t.Helper()
	require.NoError(t, h.st.Update(t.Context(), func(tx proactive.DeskTx) error {
		a, err := tx.GetAlert(t.Context(), id)
		if err != nil {
			return err
		}
		a.Priority = prio
		if err := tx.RewriteAlert(t.Context(), a); err != nil {
			return err
		}
		var ns []proactive.Notification
		for _, ch := range h.router.Channels(a) {
			ns = append(ns, proactive.Notification{ID: uuid.NewString(), AlertID: id, Channel: ch, Event: proactive.EventEscalation,
				Priority: prio, IdempotencyKey: id + ":" + ch + ":" + string(prio), Status: proactive.NotificationPending,
				NextAttemptAt: now, CreatedAt: now, ScanID: scanID})
		}
		return tx.Enqueue(t.Context(), ns)
	}))
}

// queue stores what a scan's desk transaction stores for one alert event:
// the alert (a new row) and a notification per destination the router
// gives for the notified members' severity sev and owners. It returns the
// alert with its id.
func (h *harness) queue(t *testing.T, scanID string, a proactive.Alert, event string, sev proactive.Severity, owners []string,
	payload *proactive.NotificationPayload, now time.Time) proactive.Alert {
	t.Helper()
	a.ID = h.saveTo(t, scanID, a, now).ID
	require.NoError(t, h.st.Update(t.Context(), func(tx proactive.DeskTx) error {
		var ns []proactive.Notification
		for _, d := range h.router.AlertDestinations(a, sev, owners) {
			ns = append(ns, proactive.Notification{ID: uuid.NewString(), AlertID: a.ID, Channel: d.Channel, Recipient: d.Recipient,
				Event: event, Payload: payload, Priority: a.Priority, Status: proactive.NotificationPending,
				IdempotencyKey: fmt.Sprintf("%s:%s:%s:%s:%d", a.ID, d.Channel, d.Recipient, event, now.UnixNano()),
				NextAttemptAt:  now, CreatedAt: now, ScanID: scanID})
		}
		if len(ns) == 0 {
			return nil
		}
		return tx.Enqueue(t.Context(), ns)
	}))
	return a
}

// queueResolved queues what a scan queues for the cases it resolved: per
// resolved route, one message with the cases its priorities admit.
func (h *harness) queueResolved(t *testing.T, scanID string, cases []proactive.ResolvedCase, now time.Time) {
	t.Helper()
	require.NoError(t, h.st.Update(t.Context(), func(tx proactive.DeskTx) error {
		var ns []proactive.Notification
		for _, r := range h.router.ResolvedRoutes() {
			var admitted []proactive.ResolvedCase
			for _, c := range cases {
				if slices.Contains(r.Priorities, c.Severity) {
					admitted = append(admitted, c)
				}
			}
			if len(admitted) == 0 {
				continue
			}
			ns = append(ns, proactive.Notification{ID: uuid.NewString(), Channel: r.Channel, Event: proactive.EventResolve,
				Payload: &proactive.NotificationPayload{Cases: admitted}, Priority: admitted[0].Severity,
				IdempotencyKey: "resolved:" + scanID + ":" + r.Channel, Status: proactive.NotificationPending,
				NextAttemptAt: now, CreatedAt: now, ScanID: scanID})
		}
		if len(ns) == 0 {
			return nil
		}
		return tx.Enqueue(t.Context(), ns)
	}))
}

func (h *harness) drain(t *testing.T, w *notify.Worker, bound time.Duration) notify.DrainResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	res, err := w.Drain(ctx)
	require.NoError(t, err)
	return res
}

func (h *harness) list(t *testing.T, status proactive.NotificationStatus) []proactive.Notification {
	t.Helper()
	ns, err := h.st.ListNotifications(t.Context(), proactive.NotificationFilter{Status: status})
	require.NoError(t, err)
	return ns
}

// requireNoSecrets checks the logs and every stored last error.
func (h *harness) requireNoSecrets(t *testing.T) {
	t.Helper()
	secrets := append(notify.URLSecrets(h.slack.URL()), notify.URLSecrets(h.hook.URL())...)
	secrets = append(secrets, notify.URLSecrets(h.annSlack.URL())...)
	secrets = append(secrets, notify.URLSecrets(h.smtp.URL())...)
	secrets = append(secrets, webhookSecret, smtpPassword)
	texts := []string{h.logs.String()}
	ns, err := h.st.ListNotifications(context.Background(), proactive.NotificationFilter{})
	require.NoError(t, err)
	for _, n := range ns {
		texts = append(texts, n.LastError)
	}
	notifytest.RequireNoSecret(t, secrets, texts...)
}

// byChannel filters notifications.
func byChannel(ns []proactive.Notification, channel string) []proactive.Notification {
	var out []proactive.Notification
	for _, n := range ns {
		if n.Channel == channel {
			out = append(out, n)
		}
	}
	return out
}

// errKilled is what a killed process's store answers.
var errKilled = errors.New("process killed")

// killableStore simulates a process that dies: once killed, every call
// fails, so nothing more is recorded (no completion, no release).
type killableStore struct {
	notify.Store
	dead atomic.Bool
}

func (k *killableStore) ClaimNotifications(ctx context.Context, p proactive.ClaimParams) ([]proactive.Notification, error) {
	if k.dead.Load() {
		return nil, errKilled
	}
	return k.Store.ClaimNotifications(ctx, p)
}

func (k *killableStore) CompleteNotification(ctx context.Context, id string, attempt int, now time.Time) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Store.CompleteNotification(ctx, id, attempt, now)
}

func (k *killableStore) FailNotification(ctx context.Context, id string, attempt int, msg string, retryAt *time.Time) error {
	if k.dead.Load() {
		return errKilled
	}
	return k.Store.FailNotification(ctx, id, attempt, msg, retryAt)
}

func (k *killableStore) GetAlert(ctx context.Context, id string) (proactive.Alert, error) {
	if k.dead.Load() {
		return proactive.Alert{}, errKilled
	}
	return k.Store.GetAlert(ctx, id)
}

// hookNotifier wraps a notifier with a function run around each call.
type hookNotifier struct {
	notify.Notifier
	around func(ctx context.Context, msgs []notify.Message, send func() (bool, error)) (bool, error)
}

func (h hookNotifier) Notify(ctx context.Context, msgs []notify.Message) (bool, error) {
	return h.around(ctx, msgs, func() (bool, error) { return h.Notifier.Notify(ctx, msgs) })
}

// BatchesByScan keeps the wrapped notifier's batching.
func (h hookNotifier) BatchesByScan() bool {
	b, ok := h.Notifier.(notify.ScanBatcher)
	return ok && b.BatchesByScan()
}
