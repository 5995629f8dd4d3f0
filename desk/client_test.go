package desk_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// history answers ClientHistory from memory.
type history map[string]proactive.ClientHistory

func (h history) ClientHistory(_ context.Context, email string) (proactive.ClientHistory, error) {
	return h[proactive.NormEmail(email)], nil
}

func TestClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	day := func(d int, h int) time.Time { return time.Date(2025, 12, d, h, 0, 0, 0, time.UTC) }
	score := 40.0
	w.svc.Source = history{"jane@x.com": {
		Readings: []proactive.ClientReading{{Email: "Jane@x.com", Score: &score, CalculatedAt: day(1, 6)}},
		Deals:    []proactive.ClientDeal{{ID: "7", Name: "Renewal"}},
		Leads:    []proactive.ClientLead{},
	}}
	var recorded [][]proactive.CaseEvent
	w.svc.Recorded = func(evs []proactive.CaseEvent) { recorded = append(recorded, evs) }

	w.src.set("jane@x.com", 30)
	w.src.set("bob@x.com", 30)
	w.src.deals = []proactive.Deal{{ID: "7", Name: "Renewal", Stage: "Proposal", LastActivity: day(1, 12).Add(-40 * 24 * time.Hour)}}
	w.scan(day(1, 12))
	_, err := w.svc.Act(context.Background(), "health_drop:jane@x.com", lifecycle.Action{Kind: lifecycle.ActComment, Note: "called", By: "ann"}, day(1, 13))
	require.NoError(t, err)
	require.Len(t, recorded, 1)
	require.Equal(t, proactive.EventCommented, recorded[0][0].Kind)
	// An ack of an acknowledged case records nothing.
	_, err = w.svc.Act(context.Background(), "health_drop:jane@x.com", lifecycle.Action{Kind: lifecycle.ActAck}, day(1, 13))
	require.NoError(t, err)
	_, err = w.svc.Act(context.Background(), "health_drop:jane@x.com", lifecycle.Action{Kind: lifecycle.ActAck}, day(1, 13))
	require.NoError(t, err)
	require.Len(t, recorded, 3)
	require.Empty(t, recorded[2])

	v, err := w.svc.Client(context.Background(), "  JANE@x.com ", day(1, 14))
	require.NoError(t, err)
	require.Equal(t, "jane@x.com", v.Email)
	var keys []string
	for _, c := range v.Cases {
		keys = append(keys, c.Key)
		require.NotEmpty(t, c.Events)
	}
	require.ElementsMatch(t, []string{"health_drop:jane@x.com", "deal_stall:deal-7"}, keys)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"email", "readings", "cases", "deals", "leads", "deals_joinable"} {
		require.Contains(t, m, k)
	}
	require.Equal(t, []any{}, m["leads"])
	ev := m["cases"].([]any)[0].(map[string]any)["events"].([]any)
	require.Equal(t, "opened", ev[0].(map[string]any)["kind"])

	// Known only from its cases (no history): still shown.
	v, err = w.svc.Client(context.Background(), "bob@x.com", day(1, 14))
	require.NoError(t, err)
	require.Len(t, v.Cases, 1)

	for _, bad := range []string{"", "  ", "not-an-email"} {
		_, err = w.svc.Client(context.Background(), bad, day(1, 14))
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), bad)
	}
	_, err = w.svc.Client(context.Background(), "nobody@x.com", day(1, 14))
	require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err))
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"14d": 14 * 24 * time.Hour, "1d": 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute, " 1h30m ": 90 * time.Minute,
	} {
		got, err := desk.ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0d", "-1d", "1.5d", "d", "0s", "-5m", "tomorrow", "1w"} {
		_, err := desk.ParseDuration(in)
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), in)
	}
}
