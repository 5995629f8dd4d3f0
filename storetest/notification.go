package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// mustClaim claims due notifications at a moment.
func mustClaim(t *testing.T, s proactive.Store, at time.Time, limit int, channel string) []proactive.Notification {
	t.Helper()
	ns, err := s.ClaimNotifications(t.Context(), proactive.ClaimParams{Now: at, Limit: limit, Lease: time.Minute, Channel: channel})
	require.NoError(t, err, "claim at %s", ts(at))
	return ns
}

// mustList lists notifications.
func mustList(t *testing.T, s proactive.Store, f proactive.NotificationFilter) []proactive.Notification {
	t.Helper()
	ns, err := s.ListNotifications(t.Context(), f)
	require.NoError(t, err)
	return ns
}

// byID finds a notification by id.
func byID(t *testing.T, ns []proactive.Notification, id string) proactive.Notification {
	t.Helper()
	for _, n := range ns {
		if n.ID == id {
			return n
		}
	}
	require.Failf(t, "notification not listed", "id %s", id)
	return proactive.Notification{}
}

func testNotifications(t *testing.T, open opener) {
	now := Now()
	// setup stores one alert queued for slack and webhook.
	setup := func(t *testing.T) proactive.Store {
		s := open(t)
		mustSave(t, s, newAlert("k", proactive.SeverityCritical, proactive.HealthDrop, now), now,
			proactive.ChannelSlack, proactive.ChannelWebhook)
		return s
	}
	cases := []struct {
		name string
		run  func(t *testing.T, s proactive.Store)
	}{
		{"claim leases due notifications and counts an attempt", func(t *testing.T, s proactive.Store) {
			ns := mustClaim(t, s, now, 10, "")
			require.Len(t, ns, 2)
			for _, n := range ns {
				require.Equal(t, proactive.NotificationSending, n.Status)
				require.Equal(t, 1, n.Attempts)
			}
			require.Empty(t, mustClaim(t, s, now.Add(30*time.Second), 10, ""), "leased")
			again := mustClaim(t, s, now.Add(2*time.Minute), 10, "")
			require.Len(t, again, 2, "the lease ran out: the worker is presumed dead")
			for _, n := range again {
				require.Equal(t, 2, n.Attempts)
			}
		}},
		{"channel filter and limit", func(t *testing.T, s proactive.Store) {
			ns := mustClaim(t, s, now, 10, proactive.ChannelSlack)
			require.Len(t, ns, 1)
			require.Equal(t, proactive.ChannelSlack, ns[0].Channel)
			require.Empty(t, mustClaim(t, s, now, 10, proactive.ChannelEmail), "no email notification queued")
			require.Len(t, mustClaim(t, s, now, 1, ""), 1, "limit")
			require.Empty(t, mustClaim(t, s, now, 1, ""))
		}},
		{"fail with a retry time: pending again, due then", func(t *testing.T, s proactive.Store) {
			ns := mustClaim(t, s, now, 1, proactive.ChannelSlack)
			require.Len(t, ns, 1)
			retry := now.Add(10 * time.Minute)
			require.NoError(t, s.FailNotification(t.Context(), ns[0].ID, ns[0].Attempts, "slack answered 503", &retry))
			n := byID(t, mustList(t, s, proactive.NotificationFilter{}), ns[0].ID)
			require.Equal(t, proactive.NotificationPending, n.Status)
			require.Equal(t, "slack answered 503", n.LastError)
			require.Equal(t, ts(retry), ts(n.NextAttemptAt))
			require.Empty(t, mustClaim(t, s, now.Add(5*time.Minute), 10, proactive.ChannelSlack), "not due yet")
			due := mustClaim(t, s, retry, 10, proactive.ChannelSlack)
			require.Len(t, due, 1, "due at its retry time")
			require.Equal(t, 2, due[0].Attempts)
		}},
		{"complete: delivered, never claimed again", func(t *testing.T, s proactive.Store) {
			ns := mustClaim(t, s, now, 1, proactive.ChannelWebhook)
			require.Len(t, ns, 1)
			done := now.Add(time.Second)
			require.NoError(t, s.CompleteNotification(t.Context(), ns[0].ID, ns[0].Attempts, done))
			n := byID(t, mustList(t, s, proactive.NotificationFilter{}), ns[0].ID)
			require.Equal(t, proactive.NotificationDelivered, n.Status)
			require.Equal(t, ts(done), tsp(n.DeliveredAt))
			require.Empty(t, mustClaim(t, s, now.Add(time.Hour), 10, proactive.ChannelWebhook))
		}},
		{"fail for good: failed, kept, never claimed again", func(t *testing.T, s proactive.Store) {
			ns := mustClaim(t, s, now, 1, proactive.ChannelWebhook)
			require.Len(t, ns, 1)
			require.NoError(t, s.FailNotification(t.Context(), ns[0].ID, ns[0].Attempts, "gave up after 5 attempts", nil))
			failed := mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationFailed})
			require.Len(t, failed, 1)
			require.Equal(t, ns[0].ID, failed[0].ID)
			require.Equal(t, "gave up after 5 attempts", failed[0].LastError)
			require.Empty(t, mustClaim(t, s, now.Add(time.Hour), 10, proactive.ChannelWebhook))
		}},
		{"list: newest first, by status, limit", func(t *testing.T, s proactive.Store) {
			later := now.Add(time.Hour)
			mustSave(t, s, newAlert("k2", proactive.SeverityCritical, proactive.DealStall, later), later, proactive.ChannelEmail)
			all := mustList(t, s, proactive.NotificationFilter{})
			require.Len(t, all, 3)
			require.Equal(t, proactive.ChannelEmail, all[0].Channel, "newest first")
			require.Equal(t, ts(later), ts(all[0].CreatedAt))
			one := mustList(t, s, proactive.NotificationFilter{Limit: 1})
			require.Len(t, one, 1)
			require.Equal(t, all[0].ID, one[0].ID)
			require.Len(t, mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationPending}), 3)
			require.Empty(t, mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationDelivered}))
		}},
		{"a limit of 0 claims nothing", func(t *testing.T, s proactive.Store) {
			require.Empty(t, mustClaim(t, s, now, 0, ""))
			require.Len(t, mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationPending}), 2)
		}},
		{"complete after a failed attempt: the error goes, a second completion keeps the first time", func(t *testing.T, s proactive.Store) {
			ns := mustClaim(t, s, now, 1, proactive.ChannelSlack)
			require.Len(t, ns, 1)
			retry := now.Add(time.Minute)
			require.NoError(t, s.FailNotification(t.Context(), ns[0].ID, ns[0].Attempts, "slack answered 503", &retry))
			again := mustClaim(t, s, retry, 1, proactive.ChannelSlack)
			require.Len(t, again, 1)
			require.Equal(t, 2, again[0].Attempts)
			done := retry.Add(time.Second)
			require.NoError(t, s.CompleteNotification(t.Context(), again[0].ID, again[0].Attempts, done))
			require.NoError(t, s.CompleteNotification(t.Context(), again[0].ID, again[0].Attempts, done.Add(time.Hour)))
			n := byID(t, mustList(t, s, proactive.NotificationFilter{}), ns[0].ID)
			require.Equal(t, proactive.NotificationDelivered, n.Status)
			require.Empty(t, n.LastError)
			require.Equal(t, ts(done), tsp(n.DeliveredAt))
		}},
		{"a late failure from a worker whose lease ran out never undoes a delivery", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			stale := mustClaim(t, s, now, 1, proactive.ChannelSlack) // worker A, lease of a minute
			require.Len(t, stale, 1)
			later := now.Add(2 * time.Minute)
			taken := mustClaim(t, s, later, 1, proactive.ChannelSlack) // worker B, after A's lease ran out
			require.Len(t, taken, 1)
			require.Equal(t, stale[0].ID, taken[0].ID)
			require.NoError(t, s.CompleteNotification(ctx, taken[0].ID, taken[0].Attempts, later))

			retry := later.Add(time.Minute)
			requireCode(t, proactive.ECONFLICT, s.FailNotification(ctx, stale[0].ID, stale[0].Attempts, "timeout", &retry), "A's retry")
			requireCode(t, proactive.ECONFLICT, s.FailNotification(ctx, stale[0].ID, stale[0].Attempts, "timeout", nil), "A gives up")
			require.NoError(t, s.CompleteNotification(ctx, stale[0].ID, stale[0].Attempts, retry), "A's late completion is recorded")
			n := byID(t, mustList(t, s, proactive.NotificationFilter{}), stale[0].ID)
			require.Equal(t, proactive.NotificationDelivered, n.Status)
			require.Empty(t, n.LastError)
			require.Equal(t, ts(later), tsp(n.DeliveredAt))
			require.Empty(t, mustClaim(t, s, retry.Add(time.Hour), 10, proactive.ChannelSlack), "never sent again")
		}},
		{"a late failure after another worker gave up or put it back is refused", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			stale := mustClaim(t, s, now, 2, "")
			require.Len(t, stale, 2)
			later := now.Add(2 * time.Minute)
			taken := mustClaim(t, s, later, 2, "")
			require.Len(t, taken, 2)
			retry := later.Add(time.Hour)
			require.NoError(t, s.FailNotification(ctx, taken[0].ID, taken[0].Attempts, "gave up", nil))
			require.NoError(t, s.FailNotification(ctx, taken[1].ID, taken[1].Attempts, "503", &retry))
			for _, n := range stale {
				requireCode(t, proactive.ECONFLICT, s.FailNotification(ctx, n.ID, n.Attempts, "late", &later))
			}
			all := mustList(t, s, proactive.NotificationFilter{})
			require.Equal(t, proactive.NotificationFailed, byID(t, all, taken[0].ID).Status)
			require.Equal(t, "gave up", byID(t, all, taken[0].ID).LastError)
			require.Equal(t, proactive.NotificationPending, byID(t, all, taken[1].ID).Status)
			require.Equal(t, ts(retry), ts(byID(t, all, taken[1].ID).NextAttemptAt), "the retry time stays")
		}},
		{"a late completion from a worker whose lease ran out is recorded: the peer has it", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			stale := mustClaim(t, s, now, 1, proactive.ChannelWebhook)
			require.Len(t, stale, 1)
			later := now.Add(2 * time.Minute)
			taken := mustClaim(t, s, later, 1, proactive.ChannelWebhook)
			require.Len(t, taken, 1)
			require.NoError(t, s.FailNotification(ctx, taken[0].ID, taken[0].Attempts, "gave up", nil))
			require.NoError(t, s.CompleteNotification(ctx, stale[0].ID, stale[0].Attempts, later.Add(time.Second)))
			n := byID(t, mustList(t, s, proactive.NotificationFilter{}), stale[0].ID)
			require.Equal(t, proactive.NotificationDelivered, n.Status)
			require.Equal(t, ts(later.Add(time.Second)), tsp(n.DeliveredAt))
		}},
		{"a late failure never takes a notification from the worker that re-claimed it", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			a := mustClaim(t, s, now, 1, proactive.ChannelSlack) // worker A, lease of a minute
			require.Len(t, a, 1)
			require.Equal(t, 1, a[0].Attempts)
			later := now.Add(2 * time.Minute)
			b := mustClaim(t, s, later, 1, proactive.ChannelSlack) // worker B, after A's lease ran out; still sending
			require.Len(t, b, 1)
			require.Equal(t, a[0].ID, b[0].ID)
			require.Equal(t, 2, b[0].Attempts)

			retry := later.Add(time.Minute)
			err := s.FailNotification(ctx, a[0].ID, a[0].Attempts, "timeout", &retry)
			requireCode(t, proactive.ECONFLICT, err, "A's late retry")
			require.Contains(t, proactive.ErrorMessage(err), "attempt 2", "the error says who holds it")
			requireCode(t, proactive.ECONFLICT, s.FailNotification(ctx, a[0].ID, a[0].Attempts, "timeout", nil), "A gives up late")
			n := byID(t, mustList(t, s, proactive.NotificationFilter{}), a[0].ID)
			require.Equal(t, proactive.NotificationSending, n.Status, "still B's")
			require.Equal(t, 2, n.Attempts)
			require.Empty(t, n.LastError)
			require.Empty(t, mustClaim(t, s, later.Add(30*time.Second), 10, proactive.ChannelSlack), "B's lease holds")

			require.NoError(t, s.FailNotification(ctx, b[0].ID, b[0].Attempts, "slack answered 503", &retry), "B's own failure")
			n = byID(t, mustList(t, s, proactive.NotificationFilter{}), a[0].ID)
			require.Equal(t, proactive.NotificationPending, n.Status)
			require.Equal(t, "slack answered 503", n.LastError)
			require.Equal(t, ts(retry), ts(n.NextAttemptAt))
			requireCode(t, proactive.ECONFLICT, s.FailNotification(ctx, b[0].ID, b[0].Attempts, "twice", nil), "B's claim is over")
			requireCode(t, proactive.ECONFLICT, s.FailNotification(ctx, a[0].ID, 3, "a claim not made yet", nil))
			c := mustClaim(t, s, retry, 1, proactive.ChannelSlack)
			require.Len(t, c, 1)
			require.Equal(t, 3, c[0].Attempts)
			requireCode(t, proactive.ECONFLICT, s.FailNotification(ctx, b[0].ID, b[0].Attempts, "late again", nil))
			require.NoError(t, s.FailNotification(ctx, c[0].ID, c[0].Attempts, "gave up", nil))
			require.Equal(t, proactive.NotificationFailed, byID(t, mustList(t, s, proactive.NotificationFilter{}), a[0].ID).Status)
		}},
		{"malformed ids and attempts", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			retry := now.Add(time.Minute)
			requireCode(t, proactive.EINVALID, s.CompleteNotification(ctx, "not-a-uuid", 1, now))
			requireCode(t, proactive.EINVALID, s.FailNotification(ctx, "not-a-uuid", 1, "x", &retry))
			_, err := s.RetryNotifications(ctx, proactive.RetryParams{Now: now, ID: "not-a-uuid"})
			requireCode(t, proactive.EINVALID, err)
			ns := mustClaim(t, s, now, 1, proactive.ChannelSlack)
			require.Len(t, ns, 1)
			requireCode(t, proactive.EINVALID, s.FailNotification(ctx, ns[0].ID, 0, "x", nil), "no claim has attempt 0")
			requireCode(t, proactive.EINVALID, s.CompleteNotification(ctx, ns[0].ID, 0, now))
			require.Equal(t, proactive.NotificationSending, byID(t, mustList(t, s, proactive.NotificationFilter{}), ns[0].ID).Status)
		}},
		{"unknown ids", func(t *testing.T, s proactive.Store) {
			requireCode(t, proactive.ENOTFOUND, s.CompleteNotification(t.Context(), unknownID, 1, now))
			retry := now.Add(time.Minute)
			requireCode(t, proactive.ENOTFOUND, s.FailNotification(t.Context(), unknownID, 1, "x", &retry))
			requireCode(t, proactive.ENOTFOUND, s.FailNotification(t.Context(), unknownID, 1, "x", nil))
			_, err := s.RetryNotifications(t.Context(), proactive.RetryParams{Now: now, ID: unknownID})
			requireCode(t, proactive.ENOTFOUND, err)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, setup(t))
		})
	}

	t.Run("concurrent claimers never receive the same notification", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const alerts, workers = 10, 8
		for i := range alerts {
			mustSave(t, s, newAlert(fmt.Sprintf("k%d", i), proactive.SeverityHigh, proactive.SyncFail, now), now,
				proactive.ChannelSlack, proactive.ChannelWebhook)
		}
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
			errs = make([]error, workers)
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ns, err := s.ClaimNotifications(t.Context(), proactive.ClaimParams{Now: now, Limit: 3, Lease: time.Hour})
					if err != nil || len(ns) == 0 {
						errs[w] = err
						return
					}
					mu.Lock()
					for _, n := range ns {
						seen[n.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, seen, 2*alerts, "every notification claimed")
		for id, n := range seen {
			require.Equal(t, 1, n, "notification %s claimed %d times", id, n)
		}
	})
}

// mustRetry queues failed notifications again.
func mustRetry(t *testing.T, s proactive.Store, p proactive.RetryParams) int {
	t.Helper()
	n, err := s.RetryNotifications(t.Context(), p)
	require.NoError(t, err, "retry %+v", p)
	return n
}

// failForGood claims the channel's due notifications and fails them for good.
func failForGood(t *testing.T, s proactive.Store, at time.Time, channel, msg string) []proactive.Notification {
	t.Helper()
	ns := mustClaim(t, s, at, 10, channel)
	require.NotEmpty(t, ns)
	for _, n := range ns {
		require.NoError(t, s.FailNotification(t.Context(), n.ID, n.Attempts, msg, nil))
	}
	return ns
}

func testRetryNotifications(t *testing.T, open opener) {
	now := Now()
	// setup stores two alerts, each queued for slack and webhook, and one
	// queued for email only: five notifications, all pending.
	setup := func(t *testing.T) proactive.Store {
		s := open(t)
		for _, k := range []string{"k1", "k2"} {
			mustSave(t, s, newAlert(k, proactive.SeverityCritical, proactive.HealthDrop, now), now,
				proactive.ChannelSlack, proactive.ChannelWebhook)
		}
		mustSave(t, s, newAlert("k3", proactive.SeverityCritical, proactive.SyncFail, now), now, proactive.ChannelEmail)
		return s
	}
	later := now.Add(time.Hour)
	cases := []struct {
		name string
		run  func(t *testing.T, s proactive.Store)
	}{
		{"all: only failed ones move, pending again at now with attempts reset and the last error kept", func(t *testing.T, s proactive.Store) {
			failed := failForGood(t, s, now, proactive.ChannelSlack, "slack answered 404: no_service")
			require.Len(t, failed, 2)
			webhook := mustClaim(t, s, now, 1, proactive.ChannelWebhook) // one sending
			require.Len(t, webhook, 1)
			delivered := mustClaim(t, s, now, 1, proactive.ChannelEmail)
			require.Len(t, delivered, 1)
			require.NoError(t, s.CompleteNotification(t.Context(), delivered[0].ID, delivered[0].Attempts, now))
			before := mustList(t, s, proactive.NotificationFilter{})

			require.Equal(t, 2, mustRetry(t, s, proactive.RetryParams{Now: later}))
			after := mustList(t, s, proactive.NotificationFilter{})
			for _, b := range before {
				a := byID(t, after, b.ID)
				if b.Status != proactive.NotificationFailed {
					require.Equal(t, b, a, "a %s notification is left alone", b.Status)
					continue
				}
				require.Equal(t, proactive.NotificationPending, a.Status)
				require.Zero(t, a.Attempts)
				require.Equal(t, "slack answered 404: no_service", a.LastError, "kept until the next attempt")
				require.Equal(t, ts(later), ts(a.NextAttemptAt))
				require.Nil(t, a.DeliveredAt)
			}
			require.Empty(t, mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationFailed}))
			require.Empty(t, mustClaim(t, s, later.Add(-time.Second), 10, proactive.ChannelSlack), "due at now, not before")
			again := mustClaim(t, s, later, 10, proactive.ChannelSlack)
			require.Len(t, again, 2)
			for _, n := range again {
				require.Equal(t, 1, n.Attempts, "a fresh set of attempts")
				require.NoError(t, s.CompleteNotification(t.Context(), n.ID, n.Attempts, later))
			}
			require.Zero(t, mustRetry(t, s, proactive.RetryParams{Now: later}), "none failed: nothing to do")
		}},
		{"all of one channel", func(t *testing.T, s proactive.Store) {
			failForGood(t, s, now, proactive.ChannelSlack, "revoked")
			failForGood(t, s, now, proactive.ChannelWebhook, "410 Gone")
			require.Zero(t, mustRetry(t, s, proactive.RetryParams{Now: later, Channel: proactive.ChannelEmail}), "no failed email")
			require.Equal(t, 2, mustRetry(t, s, proactive.RetryParams{Now: later, Channel: proactive.ChannelSlack}))
			for _, n := range mustList(t, s, proactive.NotificationFilter{}) {
				switch n.Channel {
				case proactive.ChannelSlack:
					require.Equal(t, proactive.NotificationPending, n.Status)
				case proactive.ChannelWebhook:
					require.Equal(t, proactive.NotificationFailed, n.Status, "another channel's stay failed")
					require.Equal(t, "410 Gone", n.LastError)
				}
			}
			require.Equal(t, 2, mustRetry(t, s, proactive.RetryParams{Now: later}), "the rest")
			require.Empty(t, mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationFailed}))
		}},
		{"one by id", func(t *testing.T, s proactive.Store) {
			failed := failForGood(t, s, now, proactive.ChannelWebhook, "410 Gone")
			require.Len(t, failed, 2)
			require.Equal(t, 1, mustRetry(t, s, proactive.RetryParams{Now: later, ID: failed[0].ID}))
			all := mustList(t, s, proactive.NotificationFilter{})
			require.Equal(t, proactive.NotificationPending, byID(t, all, failed[0].ID).Status)
			require.Zero(t, byID(t, all, failed[0].ID).Attempts)
			require.Equal(t, proactive.NotificationFailed, byID(t, all, failed[1].ID).Status, "the other stays failed")
			got := mustClaim(t, s, later, 10, proactive.ChannelWebhook)
			require.Len(t, got, 1)
			require.Equal(t, failed[0].ID, got[0].ID)
		}},
		{"one that is not failed: ECONFLICT, nothing changed", func(t *testing.T, s proactive.Store) {
			ctx := t.Context()
			pending := mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationPending})
			_, err := s.RetryNotifications(ctx, proactive.RetryParams{Now: later, ID: pending[0].ID})
			requireCode(t, proactive.ECONFLICT, err, "pending")
			require.Contains(t, proactive.ErrorMessage(err), "pending")
			sending := mustClaim(t, s, now, 1, proactive.ChannelSlack)
			_, err = s.RetryNotifications(ctx, proactive.RetryParams{Now: later, ID: sending[0].ID})
			requireCode(t, proactive.ECONFLICT, err, "sending")
			require.NoError(t, s.CompleteNotification(ctx, sending[0].ID, sending[0].Attempts, now))
			_, err = s.RetryNotifications(ctx, proactive.RetryParams{Now: later, ID: sending[0].ID})
			requireCode(t, proactive.ECONFLICT, err, "delivered")
			n := byID(t, mustList(t, s, proactive.NotificationFilter{}), sending[0].ID)
			require.Equal(t, proactive.NotificationDelivered, n.Status)
			require.Equal(t, 1, n.Attempts)
		}},
		{"an id and a channel together: EINVALID", func(t *testing.T, s proactive.Store) {
			failed := failForGood(t, s, now, proactive.ChannelSlack, "revoked")
			_, err := s.RetryNotifications(t.Context(), proactive.RetryParams{Now: later, ID: failed[0].ID, Channel: proactive.ChannelSlack})
			requireCode(t, proactive.EINVALID, err)
			require.Len(t, mustList(t, s, proactive.NotificationFilter{Status: proactive.NotificationFailed}), 2)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, setup(t))
		})
	}
}
