package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestListNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	ctx := context.Background()
	now := e.now()
	a := MustSaveAlert(t, e.store, now, seedAlert{proactive.SeverityCritical, proactive.SyncFail, 95, "HubSpot down", time.Minute, 5})
	// A second alert queued for two channels through the outbox.
	saved, err := e.store.SaveAlert(ctx, proactive.SaveAlertParams{
		Alert: proactive.Alert{
			InsightType: proactive.InsightType, Priority: proactive.SeverityHigh, Title: "Leads waiting",
			AffectedEntities: proactive.AffectedEntities{Type: proactive.ResponseDelay, Count: 2, UrgencyScore: 80},
			SourceAgent:      proactive.SourceAgent, DedupKey: "response_delay_x_" + now.Format("2006-01-02"), CreatedAt: now,
		},
		DedupWindow: 24 * time.Hour, Now: now, Channels: []string{proactive.ChannelSlack, proactive.ChannelWebhook}, ScanID: "scan-1",
	})
	require.NoError(t, err)
	require.NotEqual(t, a.ID, saved.ID)

	claimed, err := e.store.ClaimNotifications(ctx, proactive.ClaimParams{Now: now, Limit: 10, Lease: time.Minute, Channel: proactive.ChannelWebhook})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.NoError(t, e.store.FailNotification(ctx, claimed[0].ID, "webhook answered 400 Bad Request", nil))

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
