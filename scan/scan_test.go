package scan_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// opener opens a fresh store; calling it again opens another connection
// pool (another "process") on the same database.
type opener struct {
	name string
	open func(t *testing.T) proactive.Store
}

func openers(t *testing.T) []opener {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scan.db")
	out := []opener{{name: "sqlite", open: func(t *testing.T) proactive.Store {
		st, err := sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}}}
	if os.Getenv("PTD_TEST_DATABASE_URL") != "" || os.Getenv("PTD_REQUIRE_POSTGRES") == "1" {
		url := testdb.MustDatabase(t)
		out = append(out, opener{name: "postgres", open: func(t *testing.T) proactive.Store {
			st, err := postgres.Open(context.Background(), url, postgres.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			return st
		}})
	}
	return out
}

// seed stores one anomaly of each type at storetest.Now().
func seed(t *testing.T, st proactive.Store) {
	t.Helper()
	now := storetest.Now()
	_, err := st.Migrate(context.Background())
	require.NoError(t, err)
	storetest.MustInsert(t, st, proactive.TableHealthScores,
		proactive.Row{"email": "john@example.com", "firstname": "John", "lastname": "Smith", "health_score": 70.0, "health_zone": "GREEN", "calculated_at": now.Add(-72 * time.Hour)},
		proactive.Row{"email": "john@example.com", "firstname": "John", "lastname": "Smith", "health_score": 45.0, "health_zone": "RED", "calculated_at": now.Add(-6 * time.Hour)},
	)
	storetest.MustInsert(t, st, proactive.TableDeals,
		proactive.Row{"id": "11111111-1111-4111-8111-111111111111", "name": "Enterprise Package", "stage": "Proposal", "amount": 500.0, "updated_at": now.Add(-15 * 24 * time.Hour)},
	)
	var errs []proactive.Row
	for i := range 3 {
		errs = append(errs, proactive.Row{"error_type": "rate_limit", "source": "hubspot", "created_at": now.Add(-time.Duration(i+1) * time.Hour)})
	}
	storetest.MustInsert(t, st, proactive.TableSyncErrors, errs...)
	storetest.MustInsert(t, st, proactive.TableLeads,
		proactive.Row{"name": "Sarah Johnson", "email": "sarah@example.com", "status": "new", "created_at": now.Add(-30 * time.Hour)},
	)
}

func newScanner(t *testing.T, st proactive.Store, log *slog.Logger) *scan.Scanner {
	t.Helper()
	sc, err := scan.New(scan.Options{Store: st, Logger: log})
	require.NoError(t, err)
	return sc
}

func TestMissingTableIsReportedWhileTheOtherChecksRun(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			st := o.open(t)
			seed(t, st)
			require.NoError(t, st.(storetest.Execer).ExecForTest(context.Background(), "DROP TABLE leads"))

			var logs bytes.Buffer
			res, err := newScanner(t, st, slog.New(slog.NewTextHandler(&logs, nil))).Run(context.Background(), scan.Params{Now: storetest.Now(), Trigger: "test"})
			require.NoError(t, err)
			require.True(t, res.Success, "a check that cannot run is not a failed scan")
			require.Len(t, res.Errors, 1)
			require.Equal(t, "checkLeadResponseTimes", res.Errors[0].Monitor)
			require.Contains(t, res.Errors[0].Error, "leads")
			for typ, n := range map[proactive.AnomalyType]int{proactive.HealthDrop: 1, proactive.DealStall: 1, proactive.SyncFail: 1, proactive.ResponseDelay: 0} {
				require.Equal(t, n, res.Breakdown.Count(typ), typ)
			}
			require.Len(t, res.Breakdown, 4)
			require.Equal(t, 3, res.AlertsSaved)
			require.Contains(t, logs.String(), "[checkLeadResponseTimes] Error")
		})
	}
}

func TestConcurrentScansStoreEachKeyOnce(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			seed(t, o.open(t))
			const scans = 8
			scanners := make([]*scan.Scanner, scans)
			for i := range scanners {
				scanners[i] = newScanner(t, o.open(t), nil) // a pool each: separate connections
			}
			saved := make([]int, scans)
			errs := make([]error, scans)
			var wg sync.WaitGroup
			for i, sc := range scanners {
				wg.Go(func() {
					res, err := sc.Run(context.Background(), scan.Params{Now: storetest.Now(), Trigger: "test"})
					saved[i], errs[i] = res.AlertsSaved, err
				})
			}
			wg.Wait()
			require.NoError(t, errors.Join(errs...), "every concurrent scan succeeds")
			total := 0
			for _, n := range saved {
				total += n
			}
			require.Equal(t, 4, total, "8 concurrent scans store each of the 4 keys once: %v", saved)
			alerts, err := o.open(t).ListAlerts(context.Background(), proactive.AlertFilter{Now: storetest.Now()})
			require.NoError(t, err)
			require.Len(t, alerts, 4)
		})
	}
}

func TestUnreachableDatabaseFailsTheScan(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			st := o.open(t)
			seed(t, st)
			sc := newScanner(t, st, nil)
			require.NoError(t, st.Close())
			res, err := sc.Run(context.Background(), scan.Params{Now: storetest.Now(), Trigger: "test"})
			require.Error(t, err)
			require.False(t, res.Success)
			require.NotEmpty(t, res.Error)
			require.Zero(t, res.AlertsSaved)
		})
	}
}

func TestDryRunComputesButStoresNothing(t *testing.T) {
	st := openers(t)[0].open(t)
	seed(t, st)
	res, err := newScanner(t, st, nil).Run(context.Background(), scan.Params{Now: storetest.Now(), DryRun: true})
	require.NoError(t, err)
	require.Equal(t, 4, res.AlertGroupsCount)
	// CONTRACT §10.12: it reports what a real scan would have done…
	require.Equal(t, 4, res.AlertsSaved)
	require.Equal(t, 4, res.Cases.Opened)
	require.True(t, res.DryRun)
	for _, g := range res.AlertGroups {
		require.Empty(t, g.Saved, "saved is absent in a dry run")
		require.Empty(t, g.AlertID)
	}
	// … and writes nothing.
	alerts, err := st.ListAlerts(context.Background(), proactive.AlertFilter{Now: storetest.Now()})
	require.NoError(t, err)
	require.Empty(t, alerts)
	require.NoError(t, st.View(context.Background(), func(tx proactive.DeskTx) error {
		cs, err := tx.FindCases(context.Background(), proactive.CaseQuery{})
		require.NoError(t, err)
		require.Empty(t, cs, "no case")
		return nil
	}))
	_, err = st.LastScan(context.Background())
	require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err), "a dry run records no scan")
}

// TestResultAlertsLeaveTheCaseListsToTheRows: the scan's result keeps its
// alerts without the case ids their source data lists (a group's may name
// tens of thousands of cases), which the stored rows hold, and with the
// rest of their source data.
func TestResultAlertsLeaveTheCaseListsToTheRows(t *testing.T) {
	st := openers(t)[0].open(t)
	seed(t, st)
	res, err := newScanner(t, st, nil).Run(context.Background(), scan.Params{Now: storetest.Now()})
	require.NoError(t, err)
	require.Len(t, res.Alerts, 4)
	for _, a := range res.Alerts {
		require.NotContains(t, a.SourceData, lifecycle.SourceCaseIDs, a.Title)
		require.NotContains(t, a.SourceData, lifecycle.SourceInhibitedCaseIDs, a.Title)
		require.Contains(t, a.SourceData, lifecycle.SourceWrittenAt, a.Title)
		stored, err := st.GetAlert(context.Background(), a.ID)
		require.NoError(t, err)
		require.Len(t, lifecycle.CaseIDsOf(stored), 1, "%s: the row lists its case", a.Title)
	}
}

func TestScanLogsTheSeedLines(t *testing.T) {
	st := openers(t)[0].open(t)
	seed(t, st)
	var logs bytes.Buffer
	_, err := newScanner(t, st, slog.New(slog.NewTextHandler(&logs, nil))).Run(context.Background(), scan.Params{Now: storetest.Now()})
	require.NoError(t, err)
	for _, line := range []string{
		"[PTD Proactive] Starting comprehensive monitoring scan...",
		"[checkHealthScoreDrops] Found 1 health score anomalies",
		"[checkDealPipelineStalls] Found 1 stalled deals",
		"[checkSyncFailures] Found 1 sync failure patterns",
		"[checkLeadResponseTimes] Found 1 delayed lead responses",
		"[PTD Proactive] Found 4 total anomalies",
		"[PTD Proactive] Grouped into 4 alert groups",
		"[saveAlert] Saved alert: Client Health Drop: John Smith (john@example.com)",
		"[PTD Proactive] Complete. Saved 4 new alerts in",
	} {
		require.True(t, strings.Contains(logs.String(), line), "missing log line %q in:\n%s", line, logs.String())
	}
	logs.Reset()
	_, err = newScanner(t, st, slog.New(slog.NewTextHandler(&logs, nil))).Run(context.Background(), scan.Params{Now: storetest.Now().Add(time.Hour)})
	require.NoError(t, err)
	require.Contains(t, logs.String(), "[saveAlert] Skipping duplicate alert: health_drop_john@example.com_2025-12-10")
}

// CONTRACT §3: a drop exactly on a threshold belongs to it, although the
// stores subtract scores in floating point (32.3 − 22.3 = 9.999999999999996).
func TestHealthDropOnThresholdThroughTheStore(t *testing.T) {
	now := storetest.Now()
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			st := o.open(t)
			_, err := st.Migrate(context.Background())
			require.NoError(t, err)
			var rows []proactive.Row
			for _, r := range []struct {
				email             string
				previous, current float64
			}{
				{"medium@x.com", 32.3, 22.3},
				{"high@x.com", 30.4, 15.4},
				{"critical@x.com", 32.3, 7.3},
				{"below@x.com", 32.3, 22.4},
			} {
				rows = append(rows,
					proactive.Row{"email": r.email, "health_score": r.previous, "calculated_at": now.Add(-48 * time.Hour)},
					proactive.Row{"email": r.email, "health_score": r.current, "calculated_at": now.Add(-time.Hour)})
			}
			// A slow slide: previous 69.9 is 9.8 above current 60.1, the week
			// average (70.1 + 70.3 + 69.9) / 3 = 70.1 is 10 above (with noise).
			rows = append(rows,
				proactive.Row{"email": "slide@x.com", "health_score": 70.1, "calculated_at": now.Add(-72 * time.Hour)},
				proactive.Row{"email": "slide@x.com", "health_score": 70.3, "calculated_at": now.Add(-48 * time.Hour)},
				proactive.Row{"email": "slide@x.com", "health_score": 69.9, "calculated_at": now.Add(-24 * time.Hour)},
				proactive.Row{"email": "slide@x.com", "health_score": 60.1, "calculated_at": now.Add(-time.Hour)})
			storetest.MustInsert(t, st, proactive.TableHealthScores, rows...)

			res, err := newScanner(t, st, nil).Run(context.Background(), scan.Params{Now: now, Trigger: "test", DryRun: true})
			require.NoError(t, err)
			require.Len(t, res.Groups, 1)
			got := map[string]proactive.Severity{}
			for _, a := range res.Groups[0].Members() {
				got[a.EntityKey] = a.Severity
				if a.EntityKey == "slide@x.com" {
					d := a.Details.(rules.HealthDropDetails)
					require.Equal(t, 70.1, *d.WeekAvg)
					require.Equal(t, 10.0, d.ScoreDrop)
				}
			}
			require.Equal(t, map[string]proactive.Severity{
				"medium@x.com":   proactive.SeverityMedium,
				"high@x.com":     proactive.SeverityHigh,
				"critical@x.com": proactive.SeverityCritical,
				"slide@x.com":    proactive.SeverityMedium,
			}, got)
		})
	}
}

// TestEscalationKeepsWhatTheScanDoesNotRead: a scan decides on the cases'
// scan view (DeskTx.SeenCases) and reads whole the ones it rewrites: an
// acknowledged case that escalates wakes and keeps its note, its previous
// case and when it opened.
func TestEscalationKeepsWhatTheScanDoesNotRead(t *testing.T) {
	now := storetest.Now()
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			ctx := t.Context()
			st := o.open(t)
			_, err := st.Migrate(ctx)
			require.NoError(t, err)
			storetest.MustInsert(t, st, proactive.TableHealthScores,
				proactive.Row{"email": "kim@x.com", "health_score": 50.0, "calculated_at": now.Add(-48 * time.Hour)},
				proactive.Row{"email": "kim@x.com", "health_score": 38.0, "calculated_at": now.Add(-time.Hour)})
			sc := newScanner(t, st, nil)
			_, err = sc.Run(ctx, scan.Params{Now: now, Trigger: "test"})
			require.NoError(t, err)

			const key = "health_drop:kim@x.com"
			previous := "6f1c3a52-7d3e-4c36-9d7a-4d2f0f1b2c3d"
			var opened proactive.Case
			require.NoError(t, st.Update(ctx, func(tx proactive.DeskTx) error {
				cs, err := tx.UnresolvedCases(ctx, []string{key})
				require.NoError(t, err)
				require.Len(t, cs, 1)
				c := cs[0]
				require.Equal(t, proactive.SeverityMedium, c.Severity)
				ackAt := now.Add(time.Minute)
				c.State, c.AckSeverity, c.AcknowledgedBy, c.AcknowledgedAt = proactive.CaseAcknowledged, c.Severity, "ann", &ackAt
				c.Note, c.PreviousCaseID = "called her", previous
				opened = c
				return tx.UpdateCases(ctx, []proactive.Case{c})
			}))

			storetest.MustInsert(t, st, proactive.TableHealthScores,
				proactive.Row{"email": "kim@x.com", "health_score": 12.0, "calculated_at": now.Add(30 * time.Minute)})
			res, err := sc.Run(ctx, scan.Params{Now: now.Add(time.Hour), Trigger: "test"})
			require.NoError(t, err)
			require.Equal(t, 1, res.Cases.Escalated)
			require.NoError(t, st.View(ctx, func(tx proactive.DeskTx) error {
				cs, err := tx.UnresolvedCases(ctx, []string{key})
				require.NoError(t, err)
				require.Len(t, cs, 1)
				c := cs[0]
				require.Greater(t, c.Severity.Rank(), proactive.SeverityMedium.Rank())
				require.Equal(t, proactive.CaseOpen, c.State, "woke: above the severity it was acknowledged at")
				require.Empty(t, c.AcknowledgedBy)
				require.Equal(t, "called her", c.Note)
				require.Equal(t, previous, c.PreviousCaseID)
				require.True(t, opened.OpenedAt.Equal(c.OpenedAt), "opened at %s, now %s", opened.OpenedAt, c.OpenedAt)
				require.True(t, now.Add(time.Hour).Equal(c.LastSeenAt))
				return nil
			}))
		})
	}
}
