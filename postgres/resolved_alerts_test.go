package postgres

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
	"github.com/ptd-agents/ptd-proactive/scan"
)

var _ scan.ResolvedAlertFinder = (*deskTx)(nil)

// TestResolvedOpenAlertsMatchesTheAlertsOwnReading: the set-based finder
// closes exactly the alerts lifecycle.AlertResolved closes from each open
// alert's own case ids: legacy rows (no case_ids, null, no source_data)
// never; an empty list, a non-list, all resolved, unknown or malformed
// ids, and an upper-case id (texts compared, as AlertResolved does)
// always; one unresolved never; expired, resolved and foreign rows are
// not open.
func TestResolvedOpenAlertsMatchesTheAlertsOwnReading(t *testing.T) {
	db, _ := mustMigrate(t)
	ctx := t.Context()
	open := proactive.Case{ID: uuid.NewString(), Type: proactive.DealStall, Key: "deal_stall:1", Label: "d1",
		State: proactive.CaseOpen, Severity: proactive.SeverityHigh, PeakSeverity: proactive.SeverityHigh,
		OpenedAt: testNow, LastSeenAt: testNow, Details: json.RawMessage(`{}`), Seq: 1, UpdatedAt: testNow}
	done := open
	done.ID, done.Key, done.State, done.ResolvedAt, done.ResolveReason = uuid.NewString(), "deal_stall:2", proactive.CaseResolved, &testNow, "unseen"
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, []proactive.Case{open, done}) }))

	rows := map[string]string{
		"legacy":        `{"x": 1}`,
		"null":          `{"case_ids": null}`,
		"empty":         `{"case_ids": []}`,
		"resolved":      `{"case_ids": ["` + done.ID + `"]}`,
		"unknown":       `{"case_ids": ["` + uuid.NewString() + `", "not-a-uuid", 5]}`,
		"one open":      `{"case_ids": ["` + done.ID + `", "` + open.ID + `"]}`,
		"upper":         `{"case_ids": ["` + toUpper(open.ID) + `"]}`,
		"not a list":    `{"case_ids": "x"}`,
		"no data":       ``,
		"expired":       `{"case_ids": []}`,
		"closed":        `{"case_ids": []}`,
		"other's alert": `{"case_ids": []}`,
	}
	for title, sd := range rows {
		agent, expires, resolved := proactive.SourceAgent, testNow.Add(time.Hour), (*time.Time)(nil)
		switch title {
		case "expired":
			expires = testNow.Add(-time.Hour)
		case "closed":
			resolved = &testNow
		case "other's alert":
			agent = "someone"
		}
		var data any
		if sd != "" {
			data = sd
		}
		mustExec(t, db, `INSERT INTO proactive_insights (insight_type, priority, title, content, source_agent, source_data, dedup_key, expires_at, resolved_at, created_at)
			VALUES ('deal_stall', 'high', $1, '', $2, $3::jsonb, $1, $4, $5, $6)`, title, agent, data, expires, resolved, testNow.Add(-time.Minute))
	}

	var got, want []string
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error {
		ids, err := tx.(*deskTx).ResolvedOpenAlerts(ctx, testNow)
		got = ids
		if err != nil {
			return err
		}
		as, err := tx.OpenAlerts(ctx, testNow)
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
		return err
	}))
	require.Equal(t, want, got)
	titles := map[string]bool{}
	for _, id := range got {
		var title string
		require.NoError(t, db.pool.QueryRow(ctx, `SELECT title FROM proactive_insights WHERE id::text = $1`, id).Scan(&title))
		titles[title] = true
	}
	require.Equal(t, map[string]bool{"empty": true, "resolved": true, "unknown": true, "not a list": true, "upper": true}, titles)
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
