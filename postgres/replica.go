package postgres

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// replicaLagSQL says whether the server replays a primary's WAL (a
// standby), whether it has replayed all it received (an idle standby's
// last replay may be old while it is fully caught up), and the seconds
// since the last transaction it replayed was committed on the primary
// (NULL before its first).
const replicaLagSQL = `
SELECT pg_is_in_recovery(),
	coalesce(pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), false),
	extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8`

// Reader reads the four source tables for the checks from a read replica
// (a Supabase read replica, a streaming standby): the same statements as
// DB, on a pool of its own. It writes nothing. Create it with OpenReader;
// it is safe for concurrent use.
type Reader struct {
	db *DB
}

var _ proactive.SourceReader = (*Reader)(nil)

// OpenReader opens a connection pool on the read replica at url and checks
// that it answers, as Open does (same options and errors, the messages
// naming the read replica). It creates nothing.
func OpenReader(ctx context.Context, url string, opts Options) (*Reader, error) {
	db, err := Open(ctx, url, opts)
	if err != nil {
		var pe *proactive.Error
		if errors.As(err, &pe) {
			msg := strings.ReplaceAll(pe.Message, urlSource, readURLSource)
			return nil, &proactive.Error{Code: pe.Code, Message: "read replica: " + msg, Err: pe.Err}
		}
		return nil, err
	}
	return &Reader{db: db}, nil
}

// Where returns the location of the replica, host:port/dbname.
func (r *Reader) Where() string { return r.db.Where() }

// Close closes the replica's pool.
func (r *Reader) Close() error { return r.db.Close() }

// HealthTrends is DB.HealthTrends on the replica.
func (r *Reader) HealthTrends(ctx context.Context, q proactive.HealthQuery, fn func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	return r.db.HealthTrends(ctx, q, fn)
}

// StalledDeals is DB.StalledDeals on the replica.
func (r *Reader) StalledDeals(ctx context.Context, q proactive.DealQuery, fn func(proactive.Deal) error) (proactive.Skipped, error) {
	return r.db.StalledDeals(ctx, q, fn)
}

// SyncFailures is DB.SyncFailures on the replica.
func (r *Reader) SyncFailures(ctx context.Context, q proactive.SyncQuery, fn func(proactive.SyncFailureGroup) error) (proactive.Skipped, error) {
	return r.db.SyncFailures(ctx, q, fn)
}

// WaitingLeads is DB.WaitingLeads on the replica.
func (r *Reader) WaitingLeads(ctx context.Context, q proactive.LeadQuery, fn func(proactive.Lead) error) (proactive.Skipped, error) {
	return r.db.WaitingLeads(ctx, q, fn)
}

// ReplicaLag returns how far the replica's data is behind its primary:
// 0 when the server is no standby (a primary: nothing to lag behind) and
// when a standby has replayed all the WAL it received (an idle primary
// sends nothing, so the last replayed transaction may be old while the
// standby is fully caught up); otherwise now() − the commit time of the
// last transaction it replayed (pg_last_xact_replay_timestamp). ok is
// false when a standby cannot tell: it has replayed no transaction yet and
// is not caught up (or receives no streamed WAL to compare with). An
// unreachable replica is EUNAVAILABLE.
func (r *Reader) ReplicaLag(ctx context.Context) (lag time.Duration, ok bool, err error) {
	var standby, caughtUp bool
	var seconds *float64
	if err := r.db.pool.QueryRow(ctx, replicaLagSQL).Scan(&standby, &caughtUp, &seconds); err != nil {
		return 0, false, r.db.fail("read the read replica's lag", err)
	}
	switch {
	case !standby || caughtUp:
		return 0, true, nil
	case seconds == nil:
		return 0, false, nil
	}
	s := math.Max(*seconds, 0) // clocks of primary and standby may differ a little
	return time.Duration(s * float64(time.Second)), true, nil
}

// ConcurrentReads reports that checks may read the replica at the same
// time (scan.ConcurrentSource).
func (r *Reader) ConcurrentReads() bool { return true }
