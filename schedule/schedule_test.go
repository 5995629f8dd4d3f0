package schedule_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/httpapi"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/metrics"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/rules"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/schedule"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

// everySecond is a fast schedule (6 fields: seconds first).
const everySecond = "* * * * * *"

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"", "off", " off ", "*/15 * * * *", "0 9 * * 1-5", "*/5 * * * * *", "@hourly", "@every 30s", "CRON_TZ=Europe/Berlin 0 9 * * *"} {
		require.NoError(t, schedule.Validate(spec), spec)
	}
	for spec, want := range map[string]string{
		"61 * * * *":    "schedule \"61 * * * *\"",
		"every 15 min":  "use a cron expression such as \"*/15 * * * *\"",
		"* * * *":       "or \"off\" to disable the schedule",
		"@every soon":   "schedule \"@every soon\"",
		"0 0 30 2 *":    "never fires",
		"1 2 3 4 5 6 7": "schedule",
	} {
		err := schedule.Validate(spec)
		require.Error(t, err, spec)
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), spec)
		require.Contains(t, err.Error(), want, spec)
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	store := mustSQLite(t, filepath.Join(t.TempDir(), "s.db"))
	run := func(context.Context) error { return nil }
	for name, o := range map[string]schedule.Options{
		"no store": {Run: run},
		"no run":   {Store: store},
		"off":      {Store: store, Run: run, Spec: "off"},
		"bad spec": {Store: store, Run: run, Spec: "nope"},
	} {
		_, err := schedule.New(o)
		require.Error(t, err, name)
		require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), name)
	}
}

func TestNext(t *testing.T) {
	t.Parallel()
	store := mustSQLite(t, filepath.Join(t.TempDir(), "s.db"))
	at := time.Date(2025, 12, 10, 12, 7, 31, 500, time.UTC)
	for spec, want := range map[string]time.Time{
		"":             time.Date(2025, 12, 10, 12, 15, 0, 0, time.UTC), // the default, */15
		"*/15 * * * *": time.Date(2025, 12, 10, 12, 15, 0, 0, time.UTC),
		everySecond:    time.Date(2025, 12, 10, 12, 7, 32, 0, time.UTC),
		"@every 10m":   time.Date(2025, 12, 10, 12, 10, 0, 0, time.UTC), // aligned, the same on every replica
		"@hourly":      time.Date(2025, 12, 10, 13, 0, 0, 0, time.UTC),
	} {
		s, err := schedule.New(schedule.Options{Spec: spec, Store: store, Run: func(context.Context) error { return nil }})
		require.NoError(t, err)
		require.True(t, want.Equal(s.Next(at)), "%q: %s, want %s", spec, s.Next(at), want)
	}
}

// mustSQLite opens (and migrates) the SQLite database at path.
func mustSQLite(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Migrate(context.Background())
	require.NoError(t, err)
	return db
}

// mustPostgres opens (and migrates) a fresh PostgreSQL database; each call
// with the same URL is another connection pool, as another process has.
func mustPostgres(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Migrate(context.Background())
	require.NoError(t, err)
	return db
}

// tickLog records which instance scanned which tick.
type tickLog struct {
	mu   sync.Mutex
	runs map[time.Time][]string
}

func (l *tickLog) add(tick time.Time, who string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs == nil {
		l.runs = map[time.Time][]string{}
	}
	l.runs[tick.UTC()] = append(l.runs[tick.UTC()], who)
}

// instance is one replica of the service: a scan guard shared by its HTTP
// server and its scheduler, on its own connection to the shared database.
type instance struct {
	srv   *httpapi.Server
	sched *schedule.Scheduler
}

// startInstance wires a replica as `serve` does and starts its schedule.
func startInstance(t *testing.T, ctx context.Context, name string, store proactive.Store, log *tickLog, clock *fakeClock) *instance {
	t.Helper()
	guard := scan.NewGuard(func(ctx context.Context, trigger string) (proactive.ScanResult, error) {
		err := store.RecordScan(ctx, proactive.ScanRun{StartedAt: time.Now(), Success: true, Trigger: trigger, Message: name})
		return proactive.ScanResult{Success: true, Errors: []proactive.MonitorError{}}, err
	}, scan.GuardOptions{})
	srv, err := httpapi.New(httpapi.Options{Store: store, Scans: guard})
	require.NoError(t, err)
	m := metrics.New(rules.Checks())
	sched, err := schedule.New(schedule.Options{
		Spec:  everySecond,
		Store: store,
		Busy:  guard.Busy,
		Run: func(ctx context.Context) error {
			tick, ok := schedule.Tick(ctx)
			if !ok {
				return fmt.Errorf("no tick in the run's context")
			}
			if _, err := guard.Try(ctx, scan.TriggerSchedule); err != nil {
				return err
			}
			log.add(tick, name)
			return nil
		},
		Logger:  slog.New(slog.DiscardHandler),
		Metrics: m,
		Now:     clock.Now,
		After:   clock.After,
	})
	require.NoError(t, err)
	sched.Start(ctx)
	t.Cleanup(func() {
		sched.Stop()
		srv.Close()
	})
	return &instance{srv: srv, sched: sched}
}

// requireEachTickOnce checks that the ticks form an unbroken run of
// seconds, each scanned by exactly one instance, at least minTicks of them.
func requireEachTickOnce(t *testing.T, log *tickLog, minTicks int) {
	t.Helper()
	log.mu.Lock()
	defer log.mu.Unlock()
	var ticks []time.Time
	for tick, who := range log.runs {
		require.Len(t, who, 1, "tick %s scanned by %v", tick, who)
		ticks = append(ticks, tick)
	}
	sort.Slice(ticks, func(i, j int) bool { return ticks[i].Before(ticks[j]) })
	require.GreaterOrEqual(t, len(ticks), minTicks, "ticks: %v", ticks)
	for i := 1; i < len(ticks); i++ {
		require.Equal(t, time.Second, ticks[i].Sub(ticks[i-1]), "a tick was missed between %s and %s", ticks[i-1], ticks[i])
	}
}

// runTwoInstances runs two replicas on two connections to one database
// for a few ticks.
func runTwoInstances(t *testing.T, open func(t *testing.T) proactive.Store) {
	var log tickLog
	clock := newFakeClock(start)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := startInstance(t, ctx, "a", open(t), &log, clock)
	b := startInstance(t, ctx, "b", open(t), &log, clock)
	clock.Run(t, 2, 5*time.Second, 100*time.Millisecond)
	cancel()
	a.sched.Stop()
	b.sched.Stop()
	requireEachTickOnce(t, &log, 5)
	log.mu.Lock()
	defer log.mu.Unlock()
	require.Len(t, log.runs, 5, "every second of the five, once: %v", log.runs)
}

func TestTwoInstancesOnePostgres(t *testing.T) {
	t.Parallel()
	url := testdb.MustDatabase(t)
	runTwoInstances(t, func(t *testing.T) proactive.Store { return mustPostgres(t, url) })
}

func TestTwoInstancesOneSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	runTwoInstances(t, func(t *testing.T) proactive.Store { return mustSQLite(t, path) })
}

// countingStore counts ClaimTick calls.
type countingStore struct {
	proactive.RunStore
	claims atomic.Int32
}

func (c *countingStore) ClaimTick(ctx context.Context, name string, tick time.Time) (bool, error) {
	c.claims.Add(1)
	return c.RunStore.ClaimTick(ctx, name, tick)
}

func TestBusyTickIsLeftToOtherReplicas(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	busyStore := &countingStore{RunStore: mustSQLite(t, path)}
	freeStore := mustSQLite(t, path)
	var log tickLog
	clock := newFakeClock(start)
	mk := func(name string, store proactive.RunStore, busy bool) *schedule.Scheduler {
		s, err := schedule.New(schedule.Options{
			Spec: everySecond, Store: store, Name: "scan", Now: clock.Now, After: clock.After,
			Busy: func() bool { return busy },
			Run: func(ctx context.Context) error {
				tick, _ := schedule.Tick(ctx)
				log.add(tick, name)
				return nil
			},
		})
		require.NoError(t, err)
		return s
	}
	busy, free := mk("busy", busyStore, true), mk("free", freeStore, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	busy.Start(ctx)
	free.Start(ctx)
	clock.Run(t, 2, 3*time.Second, 100*time.Millisecond)
	busy.Stop()
	free.Stop()
	require.Zero(t, busyStore.claims.Load(), "a busy replica claims nothing")
	requireEachTickOnce(t, &log, 3)
	for _, who := range log.runs {
		require.Equal(t, []string{"free"}, who)
	}
}

func TestStopWaitsForTheRunningScan(t *testing.T) {
	t.Parallel()
	store := mustSQLite(t, filepath.Join(t.TempDir(), "s.db"))
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	ended := make(chan error, 1)
	clock := newFakeClock(start)
	s, err := schedule.New(schedule.Options{
		Spec: everySecond, Store: store, StopTimeout: 10 * time.Second, Now: clock.Now, After: clock.After,
		Run: func(ctx context.Context) error {
			started <- struct{}{}
			select {
			case <-release:
				ended <- nil
			case <-ctx.Done():
				ended <- ctx.Err()
			}
			return nil
		},
	})
	require.NoError(t, err)
	s.Stop() // before Start: nothing to do
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	s.Start(ctx) // twice: one loop
	clock.BlockUntil(t, 1)
	clock.Advance(time.Second)
	<-started
	cancel() // SIGTERM: no new ticks, but the running scan goes on
	stopped := make(chan struct{})
	go func() {
		s.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Stop returned while the scan ran")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	<-stopped
	require.NoError(t, <-ended, "the scan finished, it was not cancelled")
	s.Stop() // twice: harmless
	require.Empty(t, started, "no tick after the stop")
}

func TestStopIsBounded(t *testing.T) {
	t.Parallel()
	store := mustSQLite(t, filepath.Join(t.TempDir(), "s.db"))
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	clock := newFakeClock(start)
	s, err := schedule.New(schedule.Options{
		Spec: everySecond, Store: store, StopTimeout: 200 * time.Millisecond, Now: clock.Now, After: clock.After,
		Run: func(ctx context.Context) error {
			started <- struct{}{}
			<-ctx.Done()
			ended <- ctx.Err()
			return ctx.Err()
		},
	})
	require.NoError(t, err)
	s.Start(context.Background())
	clock.BlockUntil(t, 1)
	clock.Advance(time.Second)
	<-started
	begin := time.Now()
	s.Stop()
	require.Less(t, time.Since(begin), 3*time.Second)
	require.ErrorIs(t, <-ended, context.Canceled)
}

func TestTickOutcomesAreCounted(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.db")
	m := metrics.New(rules.Checks())
	var logs lockedBuffer
	var calls atomic.Int32
	clock := newFakeClock(start)
	s, err := schedule.New(schedule.Options{
		Spec: everySecond, Store: mustSQLite(t, path), Metrics: m, Name: "scan-test", Now: clock.Now, After: clock.After,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Run: func(ctx context.Context) error {
			switch calls.Add(1) {
			case 1:
				return proactive.Errorf(proactive.ECONFLICT, "a scan is already running")
			case 2:
				return fmt.Errorf("database down")
			}
			return nil
		},
	})
	require.NoError(t, err)
	s.Start(context.Background())
	clock.Run(t, 1, 3*time.Second, time.Second)
	require.Equal(t, int32(3), calls.Load(), "one run per tick")
	s.Stop()
	families, err := m.Registry().Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "ptd_proactive_schedule_ticks_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			got[mt.GetLabel()[0].GetValue()] = mt.GetCounter().GetValue()
		}
	}
	require.Equal(t, 1.0, got[metrics.TickBusy])
	require.Equal(t, 1.0, got[metrics.TickRunFailed])
	require.Equal(t, 1.0, got[metrics.TickRan])

	// Each tick is a structured record naming the schedule and the tick.
	var claimed, failed, done int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		switch rec["msg"] {
		case "schedule tick claimed: running the scan":
			claimed++
			require.Equal(t, "scan-test", rec["schedule"])
			require.Equal(t, everySecond, rec["spec"])
			tick, err := time.Parse(time.RFC3339, rec["tick"].(string))
			require.NoError(t, err, "tick is a time")
			require.Zero(t, tick.Nanosecond())
		case "schedule tick: the scan failed: database down":
			failed++
			require.Equal(t, "ERROR", rec["level"])
		case "schedule tick done":
			done++
			require.Contains(t, rec, "duration_ms")
		}
	}
	require.Equal(t, 3, claimed)
	require.Equal(t, 1, failed)
	require.Equal(t, 1, done)
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// flakyStore fails the first claims of each tick as a database that does
// not answer would, and records the claims that reached the database.
type flakyStore struct {
	proactive.RunStore
	mu       sync.Mutex
	failures int                  // failing attempts per tick while down
	down     func(time.Time) bool // whether the database is down at this tick
	attempts map[time.Time]int
}

func (f *flakyStore) ClaimTick(ctx context.Context, name string, tick time.Time) (bool, error) {
	f.mu.Lock()
	if f.attempts == nil {
		f.attempts = map[time.Time]int{}
	}
	f.attempts[tick.UTC()]++
	n := f.attempts[tick.UTC()]
	f.mu.Unlock()
	if f.down(tick) && n <= f.failures {
		return false, proactive.Errorf(proactive.EUNAVAILABLE, "claim schedule tick %s: the database does not answer", name)
	}
	return f.RunStore.ClaimTick(ctx, name, tick)
}

func (f *flakyStore) attemptsAt(tick time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[tick.UTC()]
}

func TestClaimIsRetriedWhileTheDatabaseIsBrieflyDown(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	// The first tick finds the database down for one attempt: the claim
	// is retried 200 ms later, within the second before the next tick.
	var firstTick atomic.Int64
	down := func(tick time.Time) bool {
		firstTick.CompareAndSwap(0, tick.Unix())
		return tick.Unix() == firstTick.Load()
	}
	stores := []*flakyStore{
		{RunStore: mustSQLite(t, path), failures: 1, down: down},
		{RunStore: mustSQLite(t, path), failures: 1, down: down},
	}
	m := metrics.New(rules.Checks())
	clock := newFakeClock(start)
	var log tickLog
	var logs lockedBuffer
	var scheds []*schedule.Scheduler
	for i, st := range stores {
		name := fmt.Sprintf("replica-%d", i)
		s, err := schedule.New(schedule.Options{
			Spec: everySecond, Store: st, Metrics: m, Now: clock.Now, After: clock.After,
			Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			Run: func(ctx context.Context) error {
				tick, _ := schedule.Tick(ctx)
				log.add(tick, name)
				return nil
			},
		})
		require.NoError(t, err)
		scheds = append(scheds, s)
	}
	for _, s := range scheds {
		s.Start(context.Background())
	}
	clock.Run(t, 2, 3*time.Second, 100*time.Millisecond)
	for _, s := range scheds {
		s.Stop()
	}

	first := time.Unix(firstTick.Load(), 0).UTC()
	require.False(t, first.IsZero())
	requireEachTickOnce(t, &log, 3)
	log.mu.Lock()
	_, ran := log.runs[first]
	log.mu.Unlock()
	require.True(t, ran, "the tick the outage fell on still ran, once, late")
	retried := 0
	for _, st := range stores {
		if n := st.attemptsAt(first); n > 0 {
			require.Equal(t, 2, n, "a failed attempt, then the claim")
			retried++
		}
	}
	require.Positive(t, retried)
	v, _ := tickCount(t, m, metrics.TickError)
	require.Zero(t, v, "no tick given up")
	require.Contains(t, logs.String(), "retrying")
}

func TestClaimRetryEndsBeforeTheNextTick(t *testing.T) {
	t.Parallel()
	// The database stays down for the first tick: the tick is given up
	// before the next one, which runs on time.
	var firstTick atomic.Int64
	st := &flakyStore{RunStore: mustSQLite(t, filepath.Join(t.TempDir(), "s.db")), failures: 1000, down: func(tick time.Time) bool {
		firstTick.CompareAndSwap(0, tick.Unix())
		return tick.Unix() == firstTick.Load()
	}}
	m := metrics.New(rules.Checks())
	clock := newFakeClock(start)
	var log tickLog
	s, err := schedule.New(schedule.Options{
		Spec: everySecond, Store: st, Metrics: m, Now: clock.Now, After: clock.After,
		Run: func(ctx context.Context) error {
			tick, _ := schedule.Tick(ctx)
			log.add(tick, "only")
			return nil
		},
	})
	require.NoError(t, err)
	s.Start(context.Background())
	clock.Run(t, 1, 3*time.Second, 100*time.Millisecond)
	s.Stop()

	first := time.Unix(firstTick.Load(), 0).UTC()
	require.Equal(t, 3, st.attemptsAt(first), "tried at +0, +200 ms and +600 ms; a retry at +1.4 s would pass the next tick")
	v, _ := tickCount(t, m, metrics.TickError)
	require.Equal(t, 1.0, v, "the tick was given up once")
	log.mu.Lock()
	_, ran := log.runs[first]
	log.mu.Unlock()
	require.False(t, ran)
	requireEachTickOnce(t, &log, 2)
	log.mu.Lock()
	defer log.mu.Unlock()
	_, next := log.runs[first.Add(time.Second)]
	require.True(t, next, "the next tick ran on time: %v", log.runs)
}

// tickCount returns the ticks counted with outcome.
func tickCount(t *testing.T, m *metrics.Metrics, outcome string) (float64, bool) {
	t.Helper()
	families, err := m.Registry().Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "ptd_proactive_schedule_ticks_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			if mt.GetLabel()[0].GetValue() == outcome {
				return mt.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
}
