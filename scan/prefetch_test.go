package scan_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// manyFake is a source with n anomalies of each of the four checks but
// sync failures (a handful).
func manyFake(n int) *fakeStore {
	now := storetest.Now()
	f := &fakeStore{syncs: []proactive.SyncFailureGroup{{Source: "hubspot", ErrorType: "rate_limit", Count: 3}}}
	for i := range n {
		f.trends = append(f.trends, proactive.HealthTrend{Email: fmt.Sprintf("c%d@example.com", i), Previous: 80, Current: float64(50 - i%20), Readings: 2})
		f.deals = append(f.deals, proactive.Deal{ID: fmt.Sprint(i), Name: fmt.Sprintf("Deal %d", i), Stage: "Proposal", LastActivity: now.Add(-time.Duration(15+i%30) * 24 * time.Hour)})
		f.leads = append(f.leads, proactive.Lead{ID: fmt.Sprint(i), Name: fmt.Sprintf("Lead %d", i), CreatedAt: now.Add(-time.Duration(5+i%40) * time.Hour)})
	}
	return f
}

// A source that takes concurrent reads is read ahead of the desk, in
// batches: the result, the cases and the alerts are those of the same scan
// reading one check after another, on the first scan and on the next.
func TestConcurrentReadsGiveTheSameScan(t *testing.T) {
	t.Parallel()
	type outcome struct {
		res    []proactive.ScanResult
		cases  map[string]proactive.Severity
		alerts []string
		most   int32 // reads in progress at once
	}
	scanTwice := func(concurrent bool) outcome {
		f := manyFake(250)
		f.concurrent = concurrent
		desk := memstore.New(uuid.NewString)
		sc, err := scan.New(scan.Options{Store: f, Desk: desk, BatchSize: 7, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		var o outcome
		for i, now := range []time.Time{storetest.Now(), storetest.Now().Add(time.Hour)} {
			if i == 1 {
				f.leads = f.leads[:100] // the rest answered: their cases wait to resolve
			}
			res, err := sc.Run(context.Background(), scan.Params{Now: now, Trigger: "test"})
			require.NoError(t, err)
			// What a user reads of it: the response without its timing, and
			// the alerts' texts (ids are random).
			res.DurationMS, res.Groups = 0, nil
			for i := range res.Alerts {
				res.Alerts[i].SourceData, res.Alerts[i].ID = nil, ""
			}
			for i := range res.AlertGroups {
				res.AlertGroups[i].AlertID = ""
			}
			o.res = append(o.res, res)
		}
		o.cases = map[string]proactive.Severity{}
		for _, c := range desk.AllCases() {
			o.cases[c.Key+" "+string(c.State)] = c.Severity
		}
		for _, a := range alertsOf(t, desk) {
			o.alerts = append(o.alerts, a.Title+" | "+a.Summary)
		}
		o.most = f.mostReading.Load()
		return o
	}
	seq, con := scanTwice(false), scanTwice(true)
	require.Equal(t, int32(1), seq.most, "one check reads at a time")
	require.Greater(t, con.most, int32(1), "the checks read at the same time")
	seq.most, con.most = 0, 0
	require.Greater(t, seq.res[0].AnomaliesDetected, 700, "a hundred batches and more")
	require.Equal(t, seq.res, con.res)
	require.Equal(t, seq.cases, con.cases)
	require.ElementsMatch(t, seq.alerts, con.alerts)
}

// failingRefreshDesk fails every case insert after the first batch.
type failingRefreshDesk struct {
	*memstore.Desk
}

func (d failingRefreshDesk) Update(ctx context.Context, fn func(tx proactive.DeskTx) error) error {
	calls := 0
	return d.Desk.Update(ctx, func(tx proactive.DeskTx) error { return fn(failingInsertTx{tx, &calls}) })
}

type failingInsertTx struct {
	proactive.DeskTx
	calls *int
}

func (t failingInsertTx) InsertCases(ctx context.Context, cs []proactive.Case) error {
	if *t.calls++; *t.calls > 1 {
		return proactive.Errorf(proactive.EINTERNAL, "disk full")
	}
	return t.DeskTx.InsertCases(ctx, cs)
}

// A desk that fails while the checks are still reading ahead ends the
// scan with the desk's error, nothing written, and every reader stopped
// (the scan returns; the race detector watches the rest).
func TestConcurrentReadsStopWhenTheDeskFails(t *testing.T) {
	t.Parallel()
	f := manyFake(300)
	f.concurrent = true
	desk := memstore.New(uuid.NewString)
	sc, err := scan.New(scan.Options{Store: f, Desk: failingRefreshDesk{desk}, BatchSize: 5, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := sc.Run(ctx, scan.Params{Now: storetest.Now(), Trigger: "test"})
	require.Error(t, err)
	require.NoError(t, ctx.Err(), "the scan ended by itself")
	require.False(t, res.Success)
	require.Contains(t, res.Error, "disk full")
	require.Empty(t, desk.AllCases(), "the scan's transaction rolled back")
}

// caseSpy is a desk that records every call its transactions make that
// reads or writes cases (or their events and notices).
type caseSpy struct {
	proactive.Desk
	mu    sync.Mutex
	calls []string
	// ranges are the key ranges SeenCasesBetween was asked for, in order.
	ranges [][2]string
}

func (d *caseSpy) record(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, name)
}

func (d *caseSpy) Update(ctx context.Context, fn func(proactive.DeskTx) error) error {
	return d.Desk.Update(ctx, func(tx proactive.DeskTx) error { return fn(spyTx{tx, d}) })
}

// spyTx is caseSpy's transaction.
type spyTx struct {
	proactive.DeskTx
	d *caseSpy
}

func (t spyTx) UnresolvedCases(ctx context.Context, keys []string) ([]proactive.Case, error) {
	t.d.record("UnresolvedCases")
	return t.DeskTx.UnresolvedCases(ctx, keys)
}

func (t spyTx) SeenCases(ctx context.Context, keys []string) ([]proactive.Case, error) {
	t.d.record("SeenCases")
	return t.DeskTx.SeenCases(ctx, keys)
}

func (t spyTx) SeenCasesBetween(ctx context.Context, keys []string, lo, hi string) ([]proactive.Case, error) {
	t.d.record("SeenCasesBetween")
	t.d.mu.Lock()
	t.d.ranges = append(t.d.ranges, [2]string{lo, hi})
	t.d.mu.Unlock()
	return t.DeskTx.SeenCasesBetween(ctx, keys, lo, hi)
}

func (t spyTx) TouchCasesBetween(ctx context.Context, ids []string, lo, hi string, at time.Time) error {
	t.d.record("TouchCasesBetween")
	return t.DeskTx.TouchCasesBetween(ctx, ids, lo, hi, at)
}

func (t spyTx) FindCases(ctx context.Context, q proactive.CaseQuery) ([]proactive.Case, error) {
	t.d.record("FindCases")
	return t.DeskTx.FindCases(ctx, q)
}

func (t spyTx) UnresolvedCaseIDs(ctx context.Context, ids []string) ([]string, error) {
	t.d.record("UnresolvedCaseIDs")
	return t.DeskTx.UnresolvedCaseIDs(ctx, ids)
}

func (t spyTx) CountCases(ctx context.Context) ([]proactive.CaseCount, error) {
	t.d.record("CountCases")
	return t.DeskTx.CountCases(ctx)
}

func (t spyTx) CountUnresolvedCases(ctx context.Context) (int, error) {
	t.d.record("CountUnresolvedCases")
	return t.DeskTx.CountUnresolvedCases(ctx)
}

func (t spyTx) SetInhibitedBy(ctx context.Context, typ proactive.AnomalyType, by string) error {
	t.d.record("SetInhibitedBy")
	return t.DeskTx.SetInhibitedBy(ctx, typ, by)
}

func (t spyTx) ResolvedOpenAlerts(ctx context.Context, at time.Time, except []string) ([]string, error) {
	t.d.record("ResolvedOpenAlerts")
	return t.DeskTx.ResolvedOpenAlerts(ctx, at, except)
}

func (t spyTx) PendingManualResolves(ctx context.Context, channel string, since time.Time) ([]proactive.Case, error) {
	t.d.record("PendingManualResolves")
	return t.DeskTx.PendingManualResolves(ctx, channel, since)
}

// A scan without cases (the benchmark's baseline) counts every anomaly as
// actionable, whatever the desk holds, and reads or writes no case: no
// lookup, no inhibition (an inhibit rule is set), no alert closed for its
// cases, no count; it runs only as a dry run.
func TestScanWithoutCases(t *testing.T) {
	t.Parallel()
	f := fullFake()
	desk := memstore.New(uuid.NewString)
	spy := &caseSpy{Desk: desk}
	settings := proactive.DefaultSettings()
	settings.Inhibit = []proactive.InhibitRule{{SourceType: proactive.SyncFail, SourceMatch: "hubspot_*", TargetType: proactive.DealStall}}
	sc, err := scan.New(scan.Options{Store: f, Desk: spy, Settings: settings, Notify: router{}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, now := context.Background(), storetest.Now()
	_, err = sc.Run(ctx, scan.Params{Now: now, Trigger: "test"})
	require.NoError(t, err)
	require.NoError(t, desk.Update(ctx, func(tx proactive.DeskTx) error {
		return tx.InsertSilence(ctx, proactive.Silence{ID: uuid.NewString(), Match: "*", StartsAt: now, EndsAt: now.Add(24 * time.Hour), CreatedBy: "test", CreatedAt: now})
	}))
	cases := desk.AllCases()
	require.Len(t, cases, 4)

	later := now.Add(time.Hour)
	with, err := sc.Run(ctx, scan.Params{Now: later, Trigger: "test", DryRun: true})
	require.NoError(t, err)
	require.Equal(t, 4, with.Suppressed.Silenced, "the silence mutes every case")
	require.Empty(t, with.AlertGroups)

	spy.calls = nil
	without, err := sc.Run(ctx, scan.Params{Now: later, Trigger: "test", DryRun: true, WithoutCases: true})
	require.NoError(t, err)
	require.Empty(t, spy.calls, "no case read or written")
	require.Equal(t, 4, without.AnomaliesDetected)
	require.Zero(t, without.Suppressed.Silenced, "no case, no silence: every anomaly is actionable")
	require.Len(t, without.AlertGroups, 4)
	require.Equal(t, 0, without.Cases.Opened)
	require.Equal(t, cases, desk.AllCases(), "nothing written")

	_, err = sc.Run(ctx, scan.Params{Now: later, Trigger: "test", WithoutCases: true})
	require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), "%v", err)
}
