package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// FuzzAlertID feeds any text as an alert id to GetAlert and DismissAlert.
// Properties: no panic; a malformed id is EINVALID and an unknown one
// ENOTFOUND, each with a message; the stored alert's id is found in every
// form uuid.Parse reads (upper case, braces, urn:uuid:, surrounding
// spaces).
func FuzzAlertID(f *testing.F) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "ptd.db"))
	require.NoError(f, err)
	f.Cleanup(func() { db.Close() })
	_, err = db.Migrate(ctx)
	require.NoError(f, err)
	now := storetest.Now()
	saved, err := storetest.SaveAlert(ctx, db, proactive.Alert{Priority: proactive.SeverityHigh, Title: "t", DedupKey: "health_drop_a@x.y_2025-12-10",
		AffectedEntities: proactive.AffectedEntities{Type: proactive.HealthDrop}}, now, "scan")
	require.NoError(f, err)
	for _, s := range []string{saved.ID, strings.ToUpper(saved.ID), "{" + saved.ID + "}", "urn:uuid:" + saved.ID, " " + saved.ID + "\n",
		"", "x", "3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10", "'; DROP TABLE proactive_insights; --", "\x00", "\xff\xfe", strings.Repeat("a", 4096)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		a, getErr := db.GetAlert(ctx, id)
		dismissErr := db.DismissAlert(ctx, id)
		u, parseErr := uuid.Parse(strings.TrimSpace(id))
		switch {
		case parseErr != nil:
			requireCode(t, proactive.EINVALID, getErr)
			requireCode(t, proactive.EINVALID, dismissErr)
		case u.String() == saved.ID:
			require.NoError(t, getErr)
			require.NoError(t, dismissErr)
			require.Equal(t, saved.ID, a.ID)
		default:
			requireCode(t, proactive.ENOTFOUND, getErr)
			requireCode(t, proactive.ENOTFOUND, dismissErr)
		}
	})
}

// requireCode checks an error's code and that it carries a message.
func requireCode(t *testing.T, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, proactive.ErrorCode(err), "%v", err)
	require.NotEmpty(t, proactive.ErrorMessage(err))
}
