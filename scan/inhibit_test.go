package scan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// hubspotRule is §11.1's example: a failing HubSpot sync inhibits deal
// stalls (their data may be stale).
func hubspotRule() []proactive.InhibitRule {
	return []proactive.InhibitRule{{SourceType: proactive.SyncFail, SourceMatch: "hubspot_*", TargetType: proactive.DealStall}}
}

// casesOf returns the desk's unresolved cases by type.
func casesOf(desk *memstore.Desk) map[proactive.AnomalyType]proactive.Case {
	out := map[proactive.AnomalyType]proactive.Case{}
	for _, c := range desk.AllCases() {
		if c.State.Unresolved() {
			out[c.Type] = c
		}
	}
	return out
}

// notifiedAlerts returns the ids of the alerts the outbox holds messages
// for, with their count.
func notifiedAlerts(desk *memstore.Desk) map[string]int {
	out := map[string]int{}
	for _, n := range desk.Outbox() {
		out[n.AlertID]++
	}
	return out
}

// CONTRACT §11.8: under the HubSpot rule a failing HubSpot sync inhibits
// the stalled deals: their alert is still stored and their cases carry
// inhibited_by, suppressed.inhibited counts them, and nobody is notified
// of them; once the rule is gone the next scan clears inhibited_by and the
// notification owed goes out (an update).
func TestInhibitionHoldsBackStalledDeals(t *testing.T) {
	f := fullFake()
	desk := memstore.New(uuid.NewString)
	settings := proactive.DefaultSettings()
	settings.Inhibit = hubspotRule()
	res, _, err := runFake(t, f, scan.Options{Desk: desk, Notify: router{}, Settings: settings})
	require.NoError(t, err)

	require.Equal(t, 1, res.Suppressed.Inhibited, "the one stalled deal, actionable and inhibited")
	var dealAlert string
	for _, g := range res.AlertGroups {
		if g.Type == proactive.DealStall {
			require.Equal(t, proactive.Inserted, g.Saved, "an inhibited group's alert is stored all the same")
			dealAlert = g.AlertID
		}
	}
	require.NotEmpty(t, dealAlert)
	cases := casesOf(desk)
	require.Equal(t, "sync_fail:hubspot_rate_limit", cases[proactive.DealStall].InhibitedBy)
	for _, typ := range []proactive.AnomalyType{proactive.HealthDrop, proactive.SyncFail, proactive.ResponseDelay} {
		require.Empty(t, cases[typ].InhibitedBy, "%s is no target of the rule", typ)
	}
	notified := notifiedAlerts(desk)
	require.Zero(t, notified[dealAlert], "no notification for an alert whose members are all inhibited")
	require.Len(t, notified, 3, "the other three alerts are notified")

	// The same again: still inhibited, still nothing sent for it.
	res, _, err = runFake(t, f, scan.Options{Desk: desk, Notify: router{}, Settings: settings})
	require.NoError(t, err)
	require.Equal(t, 1, res.Suppressed.Inhibited)
	require.Zero(t, notifiedAlerts(desk)[dealAlert])

	// The rule removed: inhibited_by cleared, the held notification owed.
	res, _, err = runFake(t, f, scan.Options{Desk: desk, Notify: router{}, Settings: proactive.DefaultSettings()})
	require.NoError(t, err)
	require.Zero(t, res.Suppressed.Inhibited)
	require.Empty(t, casesOf(desk)[proactive.DealStall].InhibitedBy)
	for _, g := range res.AlertGroups {
		if g.Type == proactive.DealStall {
			require.Equal(t, proactive.Updated, g.Saved, "the member held back is new to its alert now")
			require.Equal(t, dealAlert, g.AlertID)
		}
	}
	require.NotZero(t, notifiedAlerts(desk)[dealAlert], "the notification owed goes out")
}

// A rule whose source no case matches inhibits nothing; a sync failure of
// another source is no HubSpot one.
func TestInhibitionNeedsAMatchingSourceCase(t *testing.T) {
	f := fullFake()
	f.syncs[0].Source = "stripe"
	desk := memstore.New(uuid.NewString)
	settings := proactive.DefaultSettings()
	settings.Inhibit = hubspotRule()
	res, _, err := runFake(t, f, scan.Options{Desk: desk, Notify: router{}, Settings: settings})
	require.NoError(t, err)
	require.Zero(t, res.Suppressed.Inhibited)
	require.Empty(t, casesOf(desk)[proactive.DealStall].InhibitedBy)
	require.Len(t, notifiedAlerts(desk), 4)
}

// columnsFake is a fakeStore that lacks some configured columns.
type columnsFake struct {
	*fakeStore
	missing []proactive.ConfiguredColumn
	asked   int
}

func (c *columnsFake) MissingColumns(_ context.Context, cols proactive.Columns) ([]proactive.ConfiguredColumn, error) {
	c.asked++
	return c.missing, nil
}

// CONTRACT §11.1: a configured column the database lacks is logged, once
// per scan; the checks run as if it were unset.
func TestScanLogsMissingColumnsOnce(t *testing.T) {
	settings := proactive.DefaultSettings()
	settings.Columns = proactive.Columns{ClientOwner: "coach", ClientValue: "package_value"}
	missing := proactive.ConfiguredColumn{Key: "columns.client_owner", Table: proactive.TableHealthScores, Column: "coach"}
	src := &columnsFake{fakeStore: fullFake(), missing: []proactive.ConfiguredColumn{missing}}
	res, logs, err := runFake(t, src.fakeStore, scan.Options{Source: src, Settings: settings})
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	require.Equal(t, 1, src.asked)
	require.Equal(t, 1, strings.Count(logs, "columns.client_owner names the column coach, which table client_health_scores lacks"), logs)
	require.Equal(t, "coach", src.healthQ.OwnerColumn, "the checks still ask: the store reads it as unset")

	// Nothing configured: nothing asked.
	src = &columnsFake{fakeStore: fullFake()}
	_, logs, err = runFake(t, src.fakeStore, scan.Options{Source: src})
	require.NoError(t, err)
	require.Zero(t, src.asked)
	require.NotContains(t, logs, "lacks")
}
