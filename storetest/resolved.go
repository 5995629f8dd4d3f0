package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// testDeskResolvedAlerts holds DeskTx.ResolvedOpenAlerts, a store's
// finder of the alerts whose cases are all resolved, to the alerts' own
// reading (lifecycle.AlertResolved over each open alert's case ids):
// legacy rows (no case_ids, null, no
// source_data) never close; an empty list, a non-list, all resolved,
// unknown or malformed ids and an upper-case id (ids compared as texts)
// always; one unresolved never; expired, closed and foreign rows are not
// open; the alerts it is told to leave out are left out.
func testDeskResolvedAlerts(t *testing.T, newDesk deskOpener) {
	t.Parallel()
	d := newDesk(t)
	ctx := t.Context()
	now := Now()
	open := proactive.Case{ID: uuid.NewString(), Type: proactive.DealStall, Key: "deal_stall:deal-1", Label: "d1",
		State: proactive.CaseOpen, Severity: proactive.SeverityHigh, PeakSeverity: proactive.SeverityHigh,
		OpenedAt: now, LastSeenAt: now, Details: json.RawMessage(`{}`), Seq: 1, UpdatedAt: now}
	done := open
	done.ID, done.Key, done.State, done.ResolvedAt, done.ResolveReason = uuid.NewString(), "deal_stall:deal-2", proactive.CaseResolved, &now, proactive.ResolveCleared
	require.NoError(t, d.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, []proactive.Case{open, done}) }))

	rows := map[string]map[string]any{
		"legacy":                     {"x": 1},
		"null":                       {"case_ids": nil},
		"empty":                      {"case_ids": []any{}},
		"resolved":                   {"case_ids": []any{done.ID}},
		"unknown":                    {"case_ids": []any{uuid.NewString(), "not-a-uuid", 5}},
		"one open":                   {"case_ids": []any{done.ID, open.ID}},
		"open as a number":           {"case_ids": []any{5, open.ID}},
		"upper":                      {"case_ids": []any{strings.ToUpper(open.ID)}},
		"not a list":                 {"case_ids": "x"},
		"the open id, not in a list": {"case_ids": open.ID},
		"no data":                    nil,
		"expired":                    {"case_ids": []any{}},
		"closed":                     {"case_ids": []any{}},
		"other's alert":              {"case_ids": []any{}},
	}
	require.NoError(t, d.Update(ctx, func(tx proactive.DeskTx) error {
		for title, sd := range rows {
			a := proactive.Alert{InsightType: "deal_stall", Priority: proactive.SeverityHigh, Title: title, SourceData: sd,
				DedupKey: "deal_stall_" + title, CreatedAt: now.Add(-time.Minute)}
			expires := now.Add(time.Hour)
			a.ExpiresAt = &expires
			switch title {
			case "expired":
				expires = now.Add(-time.Hour)
			case "closed":
				a.ResolvedAt = &now
			case "other's alert":
				a.SourceAgent = "someone"
			}
			if _, err := tx.InsertAlert(ctx, a); err != nil {
				return err
			}
		}
		return nil
	}))

	var got, want []string
	titles := map[string]bool{}
	require.NoError(t, d.Update(ctx, func(tx proactive.DeskTx) error {
		ids, err := tx.ResolvedOpenAlerts(ctx, now, nil)
		if err != nil {
			return err
		}
		got = ids
		if len(ids) > 1 {
			rest, err := tx.ResolvedOpenAlerts(ctx, now, []string{ids[0], "not-an-alert"})
			if err != nil {
				return err
			}
			require.Equal(t, ids[1:], rest, "the alerts left out are not listed")
		}
		as, err := tx.OpenAlerts(ctx, now)
		if err != nil {
			return err
		}
		for _, a := range as {
			held := lifecycle.CaseIDsOf(a)
			if held == nil {
				continue
			}
			un, err := tx.UnresolvedCaseIDs(ctx, held)
			if err != nil {
				return err
			}
			m := map[string]bool{}
			for _, id := range un {
				m[id] = true
			}
			if lifecycle.AlertResolved(a, m) {
				want = append(want, a.ID)
			}
		}
		for _, id := range got {
			a, err := tx.GetAlert(ctx, id)
			if err != nil {
				return err
			}
			titles[a.Title] = true
		}
		return nil
	}))
	require.Equal(t, want, got, "in the order of OpenAlerts")
	require.Equal(t, map[string]bool{"empty": true, "resolved": true, "unknown": true, "not a list": true, "upper": true,
		"the open id, not in a list": true}, titles)
}
