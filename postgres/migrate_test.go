package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMigrateFresh(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	t.Logf("%+v", rep)
	require.Empty(t, rep.Warnings)
	for _, want := range []string{"table client_health_scores", "table deals", "table sync_errors", "table leads",
		"table proactive_insights", "table ptd_notifications", "table ptd_scan_runs", "table ptd_schedule_ticks",
		"index ptd_health_email_calculated_at_idx", "index ptd_insights_dedup_idx", "index ptd_leads_new_idx"} {
		require.Contains(t, rep.Created, want)
	}
	again, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again.Created)
	require.Empty(t, again.Warnings)
}
