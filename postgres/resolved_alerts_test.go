package postgres

import (
	"testing"

	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

var _ scan.ResolvedAlertFinder = (*deskTx)(nil)

// TestResolvedOpenAlertsMatchesTheAlertsOwnReading: the set-based finder
// closes exactly the alerts lifecycle.AlertResolved closes from each open
// alert's own case ids (storetest.ResolvedAlertFinder).
func TestResolvedOpenAlertsMatchesTheAlertsOwnReading(t *testing.T) {
	db, _ := mustMigrate(t)
	storetest.ResolvedAlertFinder(t, db)
}
