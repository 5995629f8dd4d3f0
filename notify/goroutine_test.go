package notify_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
)

// memStore is an in-memory outbox with one alert per notification: no
// driver goroutines, so the goroutine count only moves with the worker's.
type memStore struct {
	mu sync.Mutex
	ns []proactive.Notification
}

func (m *memStore) add(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ns = append(m.ns, proactive.Notification{ID: id, AlertID: id, Channel: proactive.ChannelWebhook,
		IdempotencyKey: id + ":webhook:high", Priority: proactive.SeverityHigh, Status: proactive.NotificationPending})
}

func (m *memStore) ClaimNotifications(_ context.Context, p proactive.ClaimParams) ([]proactive.Notification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []proactive.Notification
	for i := range m.ns {
		if m.ns[i].Status == proactive.NotificationPending && !m.ns[i].NextAttemptAt.After(p.Now) && len(out) < p.Limit {
			m.ns[i].Status = proactive.NotificationSending
			m.ns[i].Attempts++
			out = append(out, m.ns[i])
		}
	}
	return out, nil
}

func (m *memStore) set(id string, f func(*proactive.Notification)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.ns {
		if m.ns[i].ID == id {
			f(&m.ns[i])
			return nil
		}
	}
	return proactive.Errorf(proactive.ENOTFOUND, "no notification %s", id)
}

func (m *memStore) CompleteNotification(_ context.Context, id string, _ int, now time.Time) error {
	return m.set(id, func(n *proactive.Notification) { n.Status, n.DeliveredAt = proactive.NotificationDelivered, &now })
}

func (m *memStore) FailNotification(_ context.Context, id string, _ int, msg string, retryAt *time.Time) error {
	return m.set(id, func(n *proactive.Notification) {
		n.LastError, n.Status = msg, proactive.NotificationFailed
		if retryAt != nil {
			n.Status, n.NextAttemptAt = proactive.NotificationPending, *retryAt
		}
	})
}

func (m *memStore) RetryNotifications(_ context.Context, p proactive.RetryParams) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for i := range m.ns {
		if m.ns[i].Status == proactive.NotificationFailed && (p.ID == "" || p.ID == m.ns[i].ID) &&
			(p.Channel == "" || p.Channel == m.ns[i].Channel) {
			m.ns[i].Status, m.ns[i].Attempts, m.ns[i].NextAttemptAt = proactive.NotificationPending, 0, p.Now
			n++
		}
	}
	return n, nil
}

func (m *memStore) ListNotifications(context.Context, proactive.NotificationFilter) ([]proactive.Notification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]proactive.Notification(nil), m.ns...), nil
}

func (m *memStore) GetAlert(_ context.Context, id string) (proactive.Alert, error) {
	return alert(id, proactive.SeverityHigh, proactive.DealStall), nil
}

// countingNotifier counts its calls and sends nothing.
type countingNotifier struct{ calls *atomic.Int32 }

func (countingNotifier) Name() string { return proactive.ChannelWebhook }

func (c countingNotifier) Notify(context.Context, []notify.Message) (bool, error) {
	c.calls.Add(1)
	return false, nil
}

// TestWorkerLeavesNoGoroutineBehind: Stop, the end of Start's context and
// Drain each leave exactly the goroutines there were before. Not parallel:
// it counts the process's goroutines.
func TestWorkerLeavesNoGoroutineBehind(t *testing.T) {
	st := &memStore{}
	var calls atomic.Int32
	w, err := notify.NewWorker(notify.Options{Store: st, PollInterval: 10 * time.Millisecond,
		Notifiers: map[string]notify.Notifier{proactive.ChannelWebhook: countingNotifier{&calls}}})
	require.NoError(t, err)
	before := runtime.NumGoroutine()
	requireBack := func(what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Fatalf("%s left a goroutine: %d before, %d now:\n%s", what, before, n, buf[:runtime.Stack(buf, true)])
		}
	}

	w.Start(t.Context())
	w.Start(t.Context()) // a second Start starts nothing
	require.Equal(t, before+1, runtime.NumGoroutine(), "one goroutine per started worker")
	st.add("a")
	require.Eventually(t, func() bool { return calls.Load() == 1 }, 5*time.Second, 5*time.Millisecond)
	w.Stop()
	w.Stop()
	requireBack("Stop")

	ctx, cancel := context.WithCancel(t.Context())
	w.Start(ctx)
	st.add("b")
	require.Eventually(t, func() bool { return calls.Load() == 2 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	requireBack("the end of Start's context")
	w.Stop() // after its context ended: nothing to wait for

	st.add("c")
	res, err := w.Drain(t.Context())
	require.NoError(t, err)
	require.Equal(t, notify.DrainResult{Delivered: 1}, res)
	requireBack("Drain")
}
