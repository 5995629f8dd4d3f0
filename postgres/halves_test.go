package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// TestMergeTrends: the rows of two halves come out in the order of one
// query (the sort key, then the email, byte by byte), whichever half holds
// them; a half's failure and fn's are returned, and the halves' goroutines
// have ended when mergeTrends returns.
func TestMergeTrends(t *testing.T) {
	t.Parallel()
	kt := func(key, email string) keyedTrend {
		return keyedTrend{key: key, t: proactive.HealthTrend{Email: email}}
	}
	errHalf := errors.New("the half's read failed")
	for _, tc := range []struct {
		name     string
		lo, hi   []keyedTrend
		loErr    error
		want     []string
		wantErr  error
		failAt   int // fn fails on this row (1-based), 0 never
		wantRows int // rows fn saw when it fails
	}{
		{name: "interleaved", lo: []keyedTrend{kt("a", "a"), kt("c", "c"), kt("e", "e")}, hi: []keyedTrend{kt("b", "b"), kt("d", "d")},
			want: []string{"a", "b", "c", "d", "e"}},
		{name: "one client's emails in both halves: the email decides, byte by byte",
			lo: []keyedTrend{kt("ann@x", " ann@x"), kt("ann@x", "ann@x")}, hi: []keyedTrend{kt("ann@x", "ANN@x"), kt("bob@x", "bob@x")},
			want: []string{" ann@x", "ANN@x", "ann@x", "bob@x"}},
		{name: "the lower half empty", hi: []keyedTrend{kt("a", "a"), kt("b", "b")}, want: []string{"a", "b"}},
		{name: "the upper half empty", lo: []keyedTrend{kt("a", "a"), kt("b", "b")}, want: []string{"a", "b"}},
		{name: "both empty"},
		{name: "a half fails", lo: []keyedTrend{kt("a", "a")}, loErr: errHalf, hi: []keyedTrend{kt("b", "b")}, wantErr: errHalf},
		{name: "fn fails: the halves stop", lo: manyTrends("l", 50), hi: manyTrends("h", 50), failAt: 3, wantRows: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			errFn := errors.New("fn failed")
			var lo, hi *trendStream
			err := mergeTrends(context.Background(), func(ctx context.Context, wg *sync.WaitGroup) (*trendStream, *trendStream) {
				lo, hi = fakeStream(ctx, wg, tc.lo, tc.loErr), fakeStream(ctx, wg, tc.hi, nil)
				return lo, hi
			}, func(h proactive.HealthTrend) error {
				got = append(got, h.Email)
				if len(got) == tc.failAt {
					return errFn
				}
				return nil
			})
			// Both goroutines are done: their channels are closed.
			for _, s := range []*trendStream{lo, hi} {
				for range s.ch {
				}
			}
			switch {
			case tc.failAt > 0:
				require.ErrorIs(t, err, errFn)
				require.Len(t, got, tc.wantRows)
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr)
			default:
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
			}
		})
	}
}

// manyTrends is n trends whose keys and emails start with prefix, in order.
func manyTrends(prefix string, n int) []keyedTrend {
	out := make([]keyedTrend, n)
	for i := range out {
		e := fmt.Sprintf("%s%04d", prefix, i)
		out[i] = keyedTrend{key: e, t: proactive.HealthTrend{Email: e}}
	}
	return out
}

// fakeStream hands rows to a trendStream in batches of two from a
// goroutine counted by wg, as streamTrends does, then ends it with err.
func fakeStream(ctx context.Context, wg *sync.WaitGroup, rows []keyedTrend, err error) *trendStream {
	ch := make(chan []keyedTrend, 2)
	s := &trendStream{ch: ch}
	wg.Go(func() {
		defer close(ch)
		for i := 0; i < len(rows); i += 2 {
			select {
			case ch <- rows[i:min(i+2, len(rows))]:
			case <-ctx.Done():
				s.err = ctx.Err()
				return
			}
		}
		s.err = err
	})
	return s
}

// TestHealthTrendsInHalves: a health table of halveRows readings or more is
// read in two halves at once, on two sessions, and merged: the trends,
// their order (the emails of one client one after the other) and the skip
// counts are those of one read, also when one client's emails fall in both
// halves.
func TestHealthTrendsInHalves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustOpen(t)
	mustExec(t, db, sourceTableDDL(proactive.TableHealthScores))
	_, err := db.Migrate(ctx)
	require.NoError(t, err)
	for _, stmt := range strings.Split(fillHealthSQL, ";\n") {
		mustExec(t, db, stmt, testNow)
	}
	// client12 also writes its email three other ways, each with a drop.
	variants := []string{"CLIENT12@example.com", " client12@example.com", "Client12@example.com "}
	mustExec(t, db, `INSERT INTO client_health_scores (email, firstname, lastname, health_score, health_zone, calculated_at)
		SELECT v, 'Ann', 'Lee', s, 'GREEN', $1::timestamptz - make_interval(days => d)
		FROM unnest($2::text[]) AS v, (VALUES (1, 85), (0, 40)) AS r(d, s)`, testNow, variants)
	mustExec(t, db, "ANALYZE client_health_scores")

	for _, minDrop := range []float64{0, 10} {
		q := proactive.HealthQuery{Now: testNow, WindowDays: 14, TrendDays: 7, MinDrop: minDrop}
		db.halveRows = halveRows
		one, oneSkipped, err := storetest.Trends(ctx, db, q)
		require.NoError(t, err)
		require.Zero(t, db.halved.Load(), "a table of %d readings is read at once", 300*70+4+6)
		require.NotEmpty(t, one)

		db.halveRows = 1
		require.NotEmpty(t, db.healthPivot(ctx), "ANALYZE keeps a histogram of email: the pivot")
		got, skipped, err := storetest.Trends(ctx, db, q)
		require.NoError(t, err)
		require.EqualValues(t, 1, db.halved.Swap(0), "read in two halves")
		require.Equal(t, one, got, "min drop %v", minDrop)
		require.Equal(t, oneSkipped, skipped)

		// A pool with no session to spare reads at once, without waiting
		// for the one another read holds.
		small := mustOpenURL(t, url, Options{MaxConns: 2})
		small.halveRows = 1
		held, err := small.pool.Acquire(ctx)
		require.NoError(t, err)
		start := time.Now()
		got, skipped, err = storetest.Trends(ctx, small, q)
		waited := time.Since(start)
		held.Release()
		require.NoError(t, err)
		require.Zero(t, small.halved.Load(), "read at once")
		require.Less(t, waited, spareConnWait, "no wait for a second session (the pool was full)")
		require.Equal(t, one, got)
		require.Equal(t, oneSkipped, skipped)
	}

	// A pivot among client12's emails: some below it, some from it on.
	var emails []string
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT email FROM client_health_scores
		WHERE lower(btrim(email)) = 'client12@example.com' ORDER BY email`)
	require.NoError(t, err)
	for rows.Next() {
		var e string
		require.NoError(t, rows.Scan(&e))
		emails = append(emails, e)
	}
	require.NoError(t, rows.Err())
	require.Len(t, emails, 4)
	pivot := emails[2]
	from := testNow.Add(-14 * 24 * time.Hour)
	read := func(pivot string) []string {
		t.Helper()
		var out []string
		sql := func(half string) string { return fmt.Sprintf(healthTrendsSQL, "", "", "", half) }
		require.NoError(t, db.readTrends(ctx, sql, []any{from, testNow, 7, 0.0}, pivot, []string{"", ""},
			func(h proactive.HealthTrend) error { out = append(out, h.Email); return nil },
			func(err error) error { return err }))
		return out
	}
	before := db.halved.Load()
	halves := read(pivot)
	require.Equal(t, before+1, db.halved.Load(), "read in two halves")
	require.Equal(t, read(""), halves)
	// client12's emails one after the other.
	at := slices.IndexFunc(halves, func(e string) bool { return strings.EqualFold(strings.TrimSpace(e), "client12@example.com") })
	require.GreaterOrEqual(t, at, 0)
	require.LessOrEqual(t, at+len(emails), len(halves))
	require.ElementsMatch(t, emails, halves[at:at+len(emails)], "client12's emails one after the other")
}
