package postgres

import (
	"context"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// trendBatch is the number of trends a half hands to the merge at a time.
const trendBatch = 256

// keyedTrend is one row of healthTrendsSQL: the trend and its sort key,
// lower(btrim(email)) as the server computes it.
type keyedTrend struct {
	key string
	t   proactive.HealthTrend
}

// before reports whether a comes before b in healthTrendsSQL's order: the
// key, then the email, byte by byte (COLLATE "C").
func (a *keyedTrend) before(b *keyedTrend) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.t.Email < b.t.Email
}

// readTrends runs healthTrendsSQL (sql gives it for a half's condition,
// "" for all) with args and hands its trends to fn in order. Given a pivot
// (healthPivot) and a second session to spare, the two halves of the
// emails run at once and their rows are merged, in the order of one
// query; otherwise one query reads all. Errors of the database come
// through fail; fn's error is returned as it is.
func (d *DB) readTrends(ctx context.Context, sql func(half string) string, args []any, pivot string, use []string,
	fn func(proactive.HealthTrend) error, fail func(error) error) error {
	if first, second := d.halfSessions(ctx, pivot); first != nil {
		return mergeTrends(ctx, func(ctx context.Context, wg *sync.WaitGroup) (lo, hi *trendStream) {
			halfArgs := append(append(make([]any, 0, len(args)+1), args...), pivot)
			return streamTrends(ctx, wg, first, sql(healthLowerHalf), halfArgs, use, fail),
				streamTrends(ctx, wg, second, sql(healthUpperHalf), halfArgs, use, fail)
		}, fn)
	}
	rows, err := d.pool.Query(ctx, sql(""), args...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	return scanTrends(rows, use, func(kt *keyedTrend) error { return fn(kt.t) }, fail)
}

// trendStream is the rows of one half (streamTrends), in batches, and the
// batch the merge is taking them from.
type trendStream struct {
	ch <-chan []keyedTrend
	// err is the read's error, set before ch is closed.
	err   error
	batch []keyedTrend
}

// next returns the half's next trend; ok is false at its end.
func (s *trendStream) next() (kt *keyedTrend, ok bool, err error) {
	for len(s.batch) == 0 {
		b, open := <-s.ch
		if !open {
			return nil, false, s.err
		}
		s.batch = b
	}
	kt, s.batch = &s.batch[0], s.batch[1:]
	return kt, true, nil
}

// streamTrends reads one half on conn in a goroutine counted by wg, in
// batches of trendBatch that wait for the merge. The goroutine releases
// conn and closes the stream when the rows end, fail (database errors
// through fail), or ctx is done.
func streamTrends(ctx context.Context, wg *sync.WaitGroup, conn *pgxpool.Conn, sql string, args []any, use []string,
	fail func(error) error) *trendStream {
	ch := make(chan []keyedTrend, 2)
	s := &trendStream{ch: ch}
	wg.Go(func() {
		defer close(ch)
		defer conn.Release()
		send := func(b []keyedTrend) error {
			select {
			case ch <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			s.err = fail(err)
			return
		}
		defer rows.Close()
		batch := make([]keyedTrend, 0, trendBatch)
		err = scanTrends(rows, use, func(kt *keyedTrend) error {
			batch = append(batch, *kt)
			if len(batch) < trendBatch {
				return nil
			}
			err := send(batch)
			batch = make([]keyedTrend, 0, trendBatch)
			return err
		}, fail)
		if err == nil && len(batch) > 0 {
			err = send(batch)
		}
		s.err = err
	})
	return s
}

// mergeTrends starts the two halves (start) and hands their trends to fn
// in healthTrendsSQL's order. It returns when both halves' goroutines are
// done: on fn's error or a half's, the other is cancelled first.
func mergeTrends(ctx context.Context, start func(context.Context, *sync.WaitGroup) (lo, hi *trendStream),
	fn func(proactive.HealthTrend) error) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	lo, hi := start(ctx, &wg)
	a, okA, err := lo.next()
	if err != nil {
		return err
	}
	b, okB, err := hi.next()
	if err != nil {
		return err
	}
	for okA || okB {
		if okA && (!okB || a.before(b)) {
			if err := fn(a.t); err != nil {
				return err
			}
			if a, okA, err = lo.next(); err != nil {
				return err
			}
			continue
		}
		if err := fn(b.t); err != nil {
			return err
		}
		if b, okB, err = hi.next(); err != nil {
			return err
		}
	}
	return nil
}

// scanTrends decodes the rows of healthTrendsSQL (use: the owner and value
// columns it reads, as optionalColumns found them) and hands each to emit,
// which must not keep the pointer. Decoding errors come through fail;
// emit's are returned as they are.
func scanTrends(rows pgx.Rows, use []string, emit func(*keyedTrend) error, fail func(error) error) error {
	var (
		kt       keyedTrend
		t        = &kt.t
		zone     string
		readings int64
		owner    *string
		value    *float64
		dest     = []any{&t.Email, &t.Firstname, &t.Lastname, &zone, &t.Current, &t.CurrentAt, &t.Previous, &t.PreviousAt, &t.WeekAvg, &readings, &kt.key}
	)
	if use[0] != "" {
		dest = append(dest, &owner)
	}
	if use[1] != "" {
		dest = append(dest, &value)
	}
	for rows.Next() {
		kt.key, *t, owner, value = "", proactive.HealthTrend{}, nil, nil
		if err := rows.Scan(dest...); err != nil {
			return fail(err)
		}
		if owner != nil {
			t.Owner = strings.TrimSpace(*owner)
		}
		if value != nil {
			t.Value = *value
		}
		t.Zone = normalizeZone(zone)
		t.CurrentAt, t.PreviousAt = t.CurrentAt.UTC(), t.PreviousAt.UTC()
		t.Readings = int(readings)
		if err := emit(&kt); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return nil
}
