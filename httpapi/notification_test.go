package httpapi

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

func TestListNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	ctx := context.Background()
	now := e.now()
	a := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityCritical, proactive.SyncFail, 95, "HubSpot down", time.Minute, 5})
	// A second alert queued for two channels through the outbox.
	saved, err := storetest.SaveAlert(ctx, e.store, proactive.Alert{
		InsightType: proactive.InsightType, Priority: proactive.SeverityHigh, Title: "Leads waiting",
		AffectedEntities: proactive.AffectedEntities{Type: proactive.ResponseDelay, Count: 2, UrgencyScore: 80},
		SourceAgent:      proactive.SourceAgent, DedupKey: "response_delay_x_" + now.Format("2006-01-02"), CreatedAt: now,
	}, now, "scan-1", proactive.ChannelSlack, proactive.ChannelWebhook)
	require.NoError(t, err)
	require.NotEqual(t, a.ID, saved.ID)

	claimed, err := e.store.ClaimNotifications(ctx, proactive.ClaimParams{Now: now, Limit: 10, Lease: time.Minute, Channel: proactive.ChannelWebhook})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.NoError(t, e.store.FailNotification(ctx, claimed[0].ID, claimed[0].Attempts, "webhook answered 400 Bad Request", nil))

	list := func(query string) []proactive.Notification {
		t.Helper()
		resp := e.do(request{method: http.MethodGet, path: "/api/v1/notifications" + query, token: newToken})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var out []proactive.Notification
		decodeJSON(t, resp, &out)
		return out
	}
	all := list("")
	require.Len(t, all, 2)
	failed := list("?status=failed")
	require.Len(t, failed, 1, "a notification that keeps failing is visible, never dropped")
	require.Equal(t, proactive.ChannelWebhook, failed[0].Channel)
	require.Equal(t, saved.ID, failed[0].AlertID)
	require.Equal(t, "webhook answered 400 Bad Request", failed[0].LastError)
	require.Len(t, list("?status=pending"), 1)
	require.Len(t, list("?limit=1"), 1)

	for _, q := range []string{"?status=lost", "?limit=0", "?limit=x"} {
		resp := e.do(request{method: http.MethodGet, path: "/api/v1/notifications" + q, token: newToken})
		requireError(t, resp, http.StatusBadRequest)
	}
	resp := e.do(request{method: http.MethodGet, path: "/api/v1/notifications"})
	requireError(t, resp, http.StatusUnauthorized)
}

func TestRetryNotification(t *testing.T) {
	t.Parallel()
	var woken atomic.Int32
	e := newEnv(t, envOptions{tokens: []string{newToken}, onRetried: func() { woken.Add(1) }})
	ctx := context.Background()
	now := e.now()
	_, err := storetest.SaveAlert(ctx, e.store, proactive.Alert{
		InsightType: proactive.InsightType, Priority: proactive.SeverityCritical, Title: "Sync down",
		AffectedEntities: proactive.AffectedEntities{Type: proactive.SyncFail, Count: 1, UrgencyScore: 95},
		SourceAgent:      proactive.SourceAgent, DedupKey: "sync_fail_x_" + now.Format("2006-01-02"), CreatedAt: now,
	}, now, "scan-1", proactive.ChannelSlack, proactive.ChannelWebhook)
	require.NoError(t, err)
	claimed, err := e.store.ClaimNotifications(ctx, proactive.ClaimParams{Now: now, Limit: 10, Lease: time.Minute, Channel: proactive.ChannelSlack})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	failed := claimed[0]
	require.NoError(t, e.store.FailNotification(ctx, failed.ID, failed.Attempts, "not retried: slack answered 404 Not Found (no_service)", nil))

	retry := func(id, token string) *http.Response {
		t.Helper()
		return e.do(request{method: http.MethodPost, path: "/api/v1/notifications/" + id + "/retry", token: token})
	}
	requireError(t, retry(failed.ID, ""), http.StatusUnauthorized)
	require.Zero(t, woken.Load())

	resp := retry(failed.ID, newToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var res map[string]any
	decodeJSON(t, resp, &res)
	require.Equal(t, map[string]any{"id": failed.ID, "retried": true}, res)
	require.EqualValues(t, 1, woken.Load(), "the delivery worker is woken")

	ns, err := e.store.ListNotifications(ctx, proactive.NotificationFilter{})
	require.NoError(t, err)
	for _, n := range ns {
		if n.ID == failed.ID {
			require.Equal(t, proactive.NotificationPending, n.Status)
			require.Zero(t, n.Attempts)
			require.Contains(t, n.LastError, "404", "kept until the next attempt")
		}
	}

	msg := requireError(t, retry(failed.ID, newToken), http.StatusConflict)
	require.Contains(t, msg, "pending", "says why: it is no longer failed")
	unknown := "7d7b8a4e-3c2f-4e1a-9b5d-2f6e8c0a1b3c"
	require.Contains(t, requireError(t, retry(unknown, newToken), http.StatusNotFound), unknown)
	requireError(t, retry("not-a-uuid", newToken), http.StatusBadRequest)
	require.EqualValues(t, 1, woken.Load())
}
