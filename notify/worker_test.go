package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/notifytest"
	"github.com/ptd-agents/ptd-proactive/notify/webhook"
)

func alert(id string, p proactive.Severity, typ proactive.AnomalyType) proactive.Alert {
	return notifytest.Alert(id, p, typ)
}

// webhookKeys counts the accepted webhook posts by idempotency key, after
// checking each one's signature and that the body is the keyed alert.
func webhookKeys(t *testing.T, rc *notifytest.Receiver) map[string]int {
	t.Helper()
	keys := map[string]int{}
	for _, r := range rc.Accepted() {
		require.True(t, webhook.Verify(webhookSecret, r.Body, r.Header.Get(webhook.HeaderSignature)), "bad signature")
		var b webhook.Body
		require.NoError(t, json.Unmarshal(r.Body, &b))
		require.NotNil(t, b.Alert)
		a := *b.Alert
		key := r.Header.Get(webhook.HeaderIdempotencyKey)
		require.Equal(t, fmt.Sprintf("%s:webhook:%s", a.ID, a.Priority), key)
		keys[key]++
	}
	return keys
}

// slackTitles counts the accepted Slack posts by message text.
func slackTitles(t *testing.T, rc *notifytest.Receiver) map[string]int {
	t.Helper()
	titles := map[string]int{}
	for _, r := range rc.Accepted() {
		var m struct{ Text string }
		require.NoError(t, json.Unmarshal(r.Body, &m))
		titles[m.Text]++
	}
	return titles
}

func mailSubject(t *testing.T, m notifytest.Mail) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	require.NoError(t, err)
	return msg.Header.Get("Subject")
}

// mailSubjects lists the subjects of the messages the server accepted.
func mailSubjects(t *testing.T, srv *notifytest.SMTPServer) []string {
	t.Helper()
	var out []string
	for _, m := range srv.Mails() {
		out = append(out, mailSubject(t, m))
	}
	return out
}

func TestDeliversEachNewOrEscalatedAlertOncePerChannel(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		now := time.Now().UTC().Add(-time.Minute)
		a := h.save(t, "scan-1", alert("a", proactive.SeverityCritical, proactive.HealthDrop), now)
		b := h.save(t, "scan-1", alert("b", proactive.SeverityCritical, proactive.SyncFail), now)
		c := h.save(t, "scan-1", alert("c", proactive.SeverityHigh, proactive.DealStall), now)
		h.save(t, "scan-1", alert("d", proactive.SeverityMedium, proactive.ResponseDelay), now)
		h.save(t, "scan-2", alert("e", proactive.SeverityCritical, proactive.ResponseDelay), now)

		// Routing (seed defaults): slack critical+high (a b c e), email
		// critical (a b | e), webhook everything (a b c d e).
		w := h.worker(t, nil)
		res := h.drain(t, w, 30*time.Second)
		require.Equal(t, notify.DrainResult{Delivered: 12}, res)

		require.Len(t, h.slack.Requests(), 4)
		require.Len(t, slackTitles(t, h.slack), 4)
		keys := webhookKeys(t, h.hook)
		require.Len(t, keys, 5)
		for _, r := range h.hook.Accepted() {
			require.Equal(t, webhook.HeaderEventCreated, r.Header.Get(webhook.HeaderEvent))
			require.Equal(t, "1", r.Header.Get(webhook.HeaderAttempt))
		}
		mails := h.smtp.Mails()
		require.Len(t, mails, 2, "one message per scan")
		subjects := []string{mailSubject(t, mails[0]), mailSubject(t, mails[1])}
		require.ElementsMatch(t, []string{"2 Critical Alerts Need Attention", "1 Critical Alerts Need Attention"}, subjects)
		for _, m := range mails {
			require.Equal(t, []string{"ops@ptd.example"}, m.To)
			require.True(t, m.TLS)
		}

		ns := h.list(t, "")
		require.Len(t, ns, 12)
		for _, n := range ns {
			require.Equal(t, proactive.NotificationDelivered, n.Status, n.Channel)
			require.Equal(t, 1, n.Attempts)
			require.NotNil(t, n.DeliveredAt)
			require.Empty(t, n.LastError)
		}
		require.Equal(t, 4, h.outcomes.get("slack/delivered"))
		require.Equal(t, 3, h.outcomes.get("email/delivered"))
		require.Equal(t, 5, h.outcomes.get("webhook/delivered"))

		// Nothing new queued: nothing sent again.
		require.Equal(t, notify.DrainResult{}, h.drain(t, w, 10*time.Second))
		require.Len(t, h.slack.Requests(), 4)
		require.Len(t, h.hook.Requests(), 5)
		require.Len(t, h.smtp.Mails(), 2)

		// An escalation (c: high → critical) notifies again, as an escalation.
		h.escalate(t, "scan-3", c.ID, proactive.SeverityCritical, time.Now().UTC())
		require.Equal(t, notify.DrainResult{Delivered: 3}, h.drain(t, w, 30*time.Second))
		require.Len(t, h.slack.Accepted(), 5)
		require.Len(t, h.smtp.Mails(), 3)
		last := h.hook.Accepted()[5]
		require.Equal(t, c.ID+":webhook:critical", last.Header.Get(webhook.HeaderIdempotencyKey))
		require.Equal(t, webhook.HeaderEventEscalated, last.Header.Get(webhook.HeaderEvent))
		require.Equal(t, "1 Critical Alerts Need Attention", mailSubject(t, h.smtp.Mails()[2]))
		_, _ = a, b
	})
}

func TestRetriesAfter500sTimeoutsAndSMTPTemporaryErrors(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.hook.Respond(func(n int, _ *http.Request) (int, time.Duration) {
			if n < 2 {
				return http.StatusInternalServerError, 0
			}
			return http.StatusOK, 0
		})
		h.slack.Respond(func(n int, _ *http.Request) (int, time.Duration) {
			if n == 0 {
				return http.StatusOK, 3 * testTimeout // slower than the client waits
			}
			return http.StatusOK, 0
		})
		h.smtp.Reject(func(n int) error {
			if n == 0 {
				return notifytest.ErrTemporary()
			}
			return nil
		})
		a := h.save(t, "scan-1", alert("a", proactive.SeverityCritical, proactive.HealthDrop), time.Now())

		res := h.drain(t, h.worker(t, nil), 30*time.Second)
		require.Equal(t, notify.DrainResult{Delivered: 3}, res)

		attempts := map[string]int{}
		for _, n := range h.list(t, proactive.NotificationDelivered) {
			attempts[n.Channel] = n.Attempts
		}
		require.Equal(t, map[string]int{"webhook": 3, "slack": 2, "email": 2}, attempts)

		// The webhook saw three posts of the same notification, the same key
		// each time, and accepted one.
		reqs := h.hook.Requests()
		require.Len(t, reqs, 3)
		for i, r := range reqs {
			require.Equal(t, a.ID+":webhook:critical", r.Header.Get(webhook.HeaderIdempotencyKey))
			require.Equal(t, fmt.Sprint(i+1), r.Header.Get(webhook.HeaderAttempt))
		}
		require.Len(t, webhookKeys(t, h.hook), 1)
		require.Len(t, h.slack.Accepted(), 1)
		require.Len(t, h.smtp.Mails(), 1)
		require.Equal(t, 2, h.outcomes.get("webhook/retry"))
		require.Equal(t, 1, h.outcomes.get("slack/retry"))
		require.Equal(t, 1, h.outcomes.get("email/retry"))
		require.Contains(t, h.logs.String(), "will retry")
	})
}

func TestAPermanentFailureIsFailedForGoodAndVisible(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.hook.Respond(func(int, *http.Request) (int, time.Duration) { return http.StatusBadRequest, 0 })
		h.slack.Respond(func(int, *http.Request) (int, time.Duration) { return http.StatusNotFound, 0 })
		h.smtp.Reject(func(int) error { return notifytest.ErrPermanent() })
		h.save(t, "scan-1", alert("a", proactive.SeverityCritical, proactive.HealthDrop), time.Now())

		res := h.drain(t, h.worker(t, nil), 30*time.Second)
		require.Equal(t, 3, res.Failed)
		require.Zero(t, res.Delivered)
		require.Zero(t, res.Queued)
		require.Contains(t, res.LastErrors["webhook"], "400")

		failed := h.list(t, proactive.NotificationFailed)
		require.Len(t, failed, 3)
		want := map[string]string{"webhook": "400 Bad Request", "slack": "404 Not Found", "email": "554"}
		for _, n := range failed {
			require.Equal(t, 1, n.Attempts, "no retry after a permanent failure")
			require.Contains(t, n.LastError, "not retried")
			require.Contains(t, n.LastError, want[n.Channel])
		}
		require.Len(t, h.hook.Requests(), 1)
		require.Len(t, h.slack.Requests(), 1)
		require.Equal(t, 1, h.outcomes.get("webhook/failed"))
		require.Contains(t, h.logs.String(), "failed for good")
	})
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.hook.Respond(func(int, *http.Request) (int, time.Duration) { return http.StatusServiceUnavailable, 0 })
		h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)

		res := h.drain(t, h.worker(t, func(o *notify.Options) { o.MaxAttempts = 3 }), 30*time.Second)
		require.Equal(t, 1, res.Failed)
		failed := h.list(t, proactive.NotificationFailed)
		require.Len(t, failed, 1)
		require.Equal(t, 3, failed[0].Attempts)
		require.Contains(t, failed[0].LastError, "gave up after 3 attempts")
		require.Contains(t, failed[0].LastError, "503")
		require.Len(t, h.hook.Requests(), 3)
	})
}

func TestDrainStopsAtItsBoundAndLeavesTheRestQueued(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.hook.Respond(func(int, *http.Request) (int, time.Duration) { return http.StatusBadGateway, 0 })
		h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)

		slow := func(o *notify.Options) { o.Backoff = func(int) time.Duration { return time.Hour } }
		start := time.Now()
		res := h.drain(t, h.worker(t, slow), 5*time.Second)
		require.Less(t, time.Since(start), 4*time.Second, "a retry beyond the bound is not waited for")
		require.Equal(t, 1, res.Queued)
		require.Contains(t, res.LastErrors["webhook"], "502")

		pending := h.list(t, proactive.NotificationPending)
		require.Len(t, pending, 1)
		require.Equal(t, 1, pending[0].Attempts)
		require.Contains(t, pending[0].LastError, "502")
		require.WithinDuration(t, time.Now().Add(time.Hour), pending[0].NextAttemptAt, time.Minute)

		// The next run, once the retry is due, delivers it.
		h.hook.Respond(nil)
		later := func(o *notify.Options) { o.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } }
		require.Equal(t, notify.DrainResult{Delivered: 1}, h.drain(t, h.worker(t, later), 10*time.Second))
		require.Len(t, webhookKeys(t, h.hook), 1)
	})
}

// TestCrashMidBatch kills a worker in the middle of a batch (its store
// calls fail from then on, as in a dead process, and its context is
// cancelled) and starts a second worker once the lease has expired: every
// alert reaches every receiver, and the receiver that deduplicates by
// idempotency key sees each exactly once.
func TestCrashMidBatch(t *testing.T) {
	t.Parallel()
	const alerts = 6
	for _, tc := range []struct {
		name string
		// afterSend: the kill comes after the receiver accepted the k-th
		// post and before the worker recorded it; otherwise just before
		// the k-th post.
		afterSend bool
	}{
		{"killed between two sends", false},
		{"killed after a send, before recording it", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEachStore(t, func(t *testing.T, st proactive.Store) {
				h := newHarness(t, st)
				now := time.Now()
				for i := range alerts {
					h.saveTo(t, "scan-1", alert(fmt.Sprint("crash", i), proactive.SeverityCritical, proactive.HealthDrop), now,
						proactive.ChannelSlack, proactive.ChannelWebhook)
				}

				// Worker 1 claims everything (one batch per channel) and dies
				// at its 9th call: slack done, webhook midway.
				const killAt = 9
				ctx1, kill1 := context.WithCancel(t.Context())
				dead := &killableStore{Store: st}
				kill := func() {
					dead.dead.Store(true)
					kill1()
				}
				var calls atomic.Int32
				wrapped := map[string]notify.Notifier{}
				for name, n := range h.notifiers {
					wrapped[name] = hookNotifier{Notifier: n, around: func(ctx context.Context, _ []notify.Message, send func() (bool, error)) (bool, error) {
						k := calls.Add(1)
						if k == killAt && !tc.afterSend {
							kill()
							return true, ctx.Err()
						}
						retry, err := send()
						if k == killAt {
							kill()
						}
						return retry, err
					}}
				}
				const lease = 2 * time.Second
				w1 := h.worker(t, func(o *notify.Options) {
					o.Store, o.Notifiers, o.Lease, o.BatchSize = dead, wrapped, lease, 100
				})
				w1.Start(ctx1)
				require.Eventually(t, func() bool { return ctx1.Err() != nil }, 20*time.Second, 10*time.Millisecond)
				w1.Stop()
				killedAt := time.Now()

				// What the dead worker left: the undelivered ones are still
				// leased ("sending"); nothing was released or failed.
				ns := h.list(t, "")
				delivered := len(byChannel(h.list(t, proactive.NotificationDelivered), proactive.ChannelWebhook))
				require.Equal(t, killAt-alerts-1, delivered)
				require.Len(t, h.list(t, proactive.NotificationSending), 2*alerts-(killAt-1))
				require.Len(t, ns, 2*alerts)

				// Worker 2 (a restarted process) delivers the rest once the
				// lease expires, and never before.
				w2 := h.worker(t, func(o *notify.Options) { o.Lease = lease })
				w2.Start(t.Context())
				defer w2.Stop()
				require.Eventually(t, func() bool {
					return len(h.list(t, proactive.NotificationDelivered)) == 2*alerts
				}, 30*time.Second, 20*time.Millisecond)
				require.GreaterOrEqual(t, time.Since(killedAt), lease-500*time.Millisecond)

				titles := slackTitles(t, h.slack)
				require.Len(t, titles, alerts)
				for title, n := range titles {
					require.Equal(t, 1, n, "slack got %q more than once", title)
				}
				keys := webhookKeys(t, h.hook)
				require.Len(t, keys, alerts, "every alert reached the webhook")
				total := 0
				for _, n := range keys {
					total += n
				}
				if tc.afterSend {
					// The post accepted just before the death is sent again,
					// with the same key: the receiver drops the repeat.
					require.Equal(t, alerts+1, total)
				} else {
					require.Equal(t, alerts, total, "no post was sent twice")
				}
				for _, n := range h.list(t, proactive.NotificationDelivered) {
					require.LessOrEqual(t, n.Attempts, 2)
				}
			})
		})
	}
}

func TestStartStopWake(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mustOpenSQLite(t))
	w := h.worker(t, func(o *notify.Options) { o.PollInterval = time.Hour })
	w.Stop() // stopping a stopped worker does nothing
	w.Start(t.Context())
	w.Start(t.Context()) // nor does starting a started one

	// The poll is an hour away: Wake makes the worker look now.
	h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)
	w.Wake()
	// Stopped once the worker has recorded the delivery, not merely once
	// the receiver has it: a Stop while the answer is on its way cuts the
	// send off and puts it back to pending, to be sent again (at least
	// once, by design), which would make a second post.
	delivered := func(n int) func() bool {
		return func() bool { return len(h.list(t, proactive.NotificationDelivered)) == n }
	}
	require.Eventually(t, delivered(1), 10*time.Second, 10*time.Millisecond)
	w.Stop()
	w.Stop()

	// A stopped worker may start again; it delivers what is due at once.
	h.saveTo(t, "scan-2", alert("b", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)
	w.Start(t.Context())
	require.Eventually(t, delivered(2), 10*time.Second, 10*time.Millisecond)
	w.Stop()
	require.Len(t, h.hook.Accepted(), 2, "each posted once")

	// Cancelling the context stops it too; Start then runs it again.
	ctx, cancel := context.WithCancel(t.Context())
	w.Start(ctx)
	cancel()
	h.saveTo(t, "scan-3", alert("c", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)
	require.Eventually(t, func() bool {
		w.Start(t.Context())
		return len(h.hook.Accepted()) == 3
	}, 10*time.Second, 50*time.Millisecond)
	w.Stop()
}

func TestStopPutsAnInterruptedSendBackToPending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mustOpenSQLite(t))
	arrived := make(chan struct{}, 1) // the receiver holds the post, then answers in a minute
	h.hook.Respond(func(int, *http.Request) (int, time.Duration) {
		arrived <- struct{}{}
		return http.StatusOK, time.Minute
	})
	h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)
	w := h.worker(t, func(o *notify.Options) { o.Lease = time.Hour })
	w.Start(t.Context())
	select {
	case <-arrived: // the send is under way
	case <-time.After(10 * time.Second):
		t.Fatal("the post never reached the receiver")
	}
	w.Stop()

	pending := h.list(t, proactive.NotificationPending)
	require.Len(t, pending, 1, "an interrupted notification is pending again at once, not held for its hour-long lease")
	require.Equal(t, 1, pending[0].Attempts)
	require.False(t, pending[0].NextAttemptAt.After(time.Now()))
}

func TestAlertGoneIsFailedForGood(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mustOpenSQLite(t))
	h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)
	w := h.worker(t, func(o *notify.Options) { o.Store = missingAlerts{o.Store} })
	res := h.drain(t, w, 10*time.Second)
	require.Equal(t, 1, res.Failed)
	failed := h.list(t, proactive.NotificationFailed)
	require.Len(t, failed, 1)
	require.Contains(t, failed[0].LastError, "no longer exists")
	require.Empty(t, h.hook.Requests())
}

// missingAlerts answers ENOTFOUND for every alert.
type missingAlerts struct{ notify.Store }

func (missingAlerts) GetAlert(_ context.Context, id string) (proactive.Alert, error) {
	return proactive.Alert{}, proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", id)
}

func TestUnconfiguredChannelsStayPending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mustOpenSQLite(t))
	h.saveTo(t, "scan-1", alert("a", proactive.SeverityCritical, proactive.HealthDrop), time.Now(),
		proactive.ChannelSlack, proactive.ChannelWebhook)
	w := h.worker(t, func(o *notify.Options) {
		o.Notifiers = map[string]notify.Notifier{proactive.ChannelWebhook: o.Notifiers[proactive.ChannelWebhook]}
	})
	require.Equal(t, []string{"webhook"}, w.Channels())
	require.Equal(t, notify.DrainResult{Delivered: 1}, h.drain(t, w, 10*time.Second))
	pending := h.list(t, proactive.NotificationPending)
	require.Len(t, pending, 1)
	require.Equal(t, proactive.ChannelSlack, pending[0].Channel)
	require.Zero(t, pending[0].Attempts)
}

func TestNewWorkerValidates(t *testing.T) {
	t.Parallel()
	_, err := notify.NewWorker(notify.Options{})
	require.Error(t, err)
	_, err = notify.NewWorker(notify.Options{Store: missingAlerts{}, Notifiers: map[string]notify.Notifier{"x": nil}})
	require.Error(t, err)
}

func TestDrainAlongsideARunningWorker(t *testing.T) {
	t.Parallel()
	h := newHarness(t, mustOpenSQLite(t))
	h.hook.Respond(func(n int, _ *http.Request) (int, time.Duration) {
		if n == 0 {
			return http.StatusInternalServerError, 0
		}
		return http.StatusOK, 0
	})
	h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)

	// Drain's retry is 2 s away; a running worker whose clock is 3 s ahead
	// (less than the lease) takes it first. Drain must notice and return,
	// not spin until its bound.
	drainer := h.worker(t, func(o *notify.Options) { o.Backoff = func(int) time.Duration { return 2 * time.Second } })
	other := h.worker(t, func(o *notify.Options) {
		o.Now = func() time.Time { return time.Now().Add(3 * time.Second) }
		o.PollInterval = 20 * time.Millisecond
	})
	var res notify.DrainResult
	done := make(chan struct{})
	go func() {
		defer close(done)
		res = h.drain(t, drainer, 20*time.Second)
	}()
	require.Eventually(t, func() bool {
		p := h.list(t, proactive.NotificationPending)
		return len(p) == 1 && p[0].Attempts == 1 // the drainer's first attempt failed
	}, 10*time.Second, 5*time.Millisecond)
	start := time.Now()
	other.Start(t.Context())
	defer other.Stop()
	<-done
	require.Less(t, time.Since(start), 8*time.Second)
	require.Len(t, h.hook.Accepted(), 1)
	require.Len(t, h.list(t, proactive.NotificationDelivered), 1)
	require.Zero(t, res.Queued)
}

// TestOneEmailPerScanSurvivesARetry: a scan's email that fails once is
// retried as one message, even though the backoff is jittered (each call
// gives a different delay).
func TestOneEmailPerScanSurvivesARetry(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.smtp.Reject(func(n int) error {
			if n == 0 {
				return notifytest.ErrTemporary()
			}
			return nil
		})
		now := time.Now()
		for i := range 3 {
			h.saveTo(t, "scan-1", alert(fmt.Sprint("r", i), proactive.SeverityCritical, proactive.HealthDrop), now, proactive.ChannelEmail)
		}
		var calls atomic.Int64
		jittered := func(o *notify.Options) {
			o.Backoff = func(int) time.Duration { return time.Duration(10+200*calls.Add(1)) * time.Millisecond }
		}
		require.Equal(t, notify.DrainResult{Delivered: 3}, h.drain(t, h.worker(t, jittered), 30*time.Second))
		require.Equal(t, []string{"3 Critical Alerts Need Attention"}, mailSubjects(t, h.smtp),
			"the retry is one message, not one per alert")
		for _, n := range h.list(t, proactive.NotificationDelivered) {
			require.Equal(t, 2, n.Attempts)
		}
	})
}

// TestOneEmailPerScanAcrossClaims: a backlog bigger than one claim does not
// cut a scan's email in two.
func TestOneEmailPerScanAcrossClaims(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		start := time.Now().Add(-time.Hour)
		for s := range 3 {
			for i := range 4 {
				h.saveTo(t, fmt.Sprint("scan-", s), alert(fmt.Sprintf("s%da%d", s, i), proactive.SeverityCritical, proactive.HealthDrop),
					start.Add(time.Duration(s)*15*time.Minute), proactive.ChannelEmail)
			}
		}
		res := h.drain(t, h.worker(t, func(o *notify.Options) { o.BatchSize = 5 }), 30*time.Second)
		require.Equal(t, notify.DrainResult{Delivered: 12}, res)
		want := "4 Critical Alerts Need Attention"
		require.Equal(t, []string{want, want, want}, mailSubjects(t, h.smtp), "one message per scan")
	})
}

// TestALateFailureLeavesAnotherWorkersClaimAlone: a worker whose send
// failed after its lease ran out and another worker re-claimed the
// notification (and is still sending it) records nothing: the notification
// stays with the other worker, whose own outcome is recorded.
func TestALateFailureLeavesAnotherWorkersClaimAlone(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)
		var taken []proactive.Notification
		w := h.worker(t, func(o *notify.Options) {
			o.Notifiers = map[string]notify.Notifier{proactive.ChannelWebhook: hookNotifier{
				Notifier: o.Notifiers[proactive.ChannelWebhook],
				around: func(ctx context.Context, _ []notify.Message, _ func() (bool, error)) (bool, error) {
					d, _ := notify.DeliveryFrom(ctx)
					require.Equal(t, 1, d.Attempt)
					// Meanwhile this worker's lease runs out and another
					// worker claims the notification.
					var err error
					taken, err = st.ClaimNotifications(ctx, proactive.ClaimParams{
						Now: time.Now().Add(time.Hour), Limit: 10, Lease: time.Hour, Channel: proactive.ChannelWebhook})
					require.NoError(t, err)
					require.Len(t, taken, 1)
					return true, fmt.Errorf("post to webhook: 503 Service Unavailable")
				},
			}}
		})
		res := h.drain(t, w, 10*time.Second)
		require.Equal(t, notify.DrainResult{}, res, "not this worker's to count")
		sending := h.list(t, proactive.NotificationSending)
		require.Len(t, sending, 1, "still the other worker's")
		require.Equal(t, 2, sending[0].Attempts)
		require.Empty(t, sending[0].LastError)
		require.Contains(t, h.logs.String(), "another worker has it now")
		require.NotContains(t, h.logs.String(), "not recorded")
		require.NotContains(t, h.logs.String(), "level=ERROR")
		require.Zero(t, h.outcomes.get(proactive.ChannelWebhook+"/"+notify.OutcomeRetry))

		// The other worker's own outcome is recorded.
		require.NoError(t, st.FailNotification(t.Context(), taken[0].ID, taken[0].Attempts, "gave up", nil))
		require.Len(t, h.list(t, proactive.NotificationFailed), 1)
	})
}

// TestALateFailureLeavesAnotherWorkersDeliveryAlone: a worker whose send
// failed after another worker took the notification over (its lease ran
// out) records nothing and says so; the delivery stands.
func TestALateFailureLeavesAnotherWorkersDeliveryAlone(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st proactive.Store) {
		h := newHarness(t, st)
		h.saveTo(t, "scan-1", alert("a", proactive.SeverityHigh, proactive.DealStall), time.Now(), proactive.ChannelWebhook)
		w := h.worker(t, func(o *notify.Options) {
			o.Notifiers = map[string]notify.Notifier{proactive.ChannelWebhook: hookNotifier{
				Notifier: o.Notifiers[proactive.ChannelWebhook],
				around: func(ctx context.Context, msgs []notify.Message, _ func() (bool, error)) (bool, error) {
					d, _ := notify.DeliveryFrom(ctx)
					// Meanwhile another worker delivered it.
					require.NoError(t, st.CompleteNotification(ctx, msgs[0].NotificationID, d.Attempt, time.Now()))
					return true, fmt.Errorf("post to webhook: 503 Service Unavailable")
				},
			}}
		})
		res := h.drain(t, w, 10*time.Second)
		require.Equal(t, notify.DrainResult{}, res, "not this worker's to count")
		delivered := h.list(t, proactive.NotificationDelivered)
		require.Len(t, delivered, 1)
		require.Empty(t, delivered[0].LastError)
		require.Contains(t, h.logs.String(), "another worker")
		require.NotContains(t, h.logs.String(), "not recorded")
		require.NotContains(t, h.logs.String(), "level=ERROR")
	})
}
