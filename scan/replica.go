package scan

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// DefaultMaxReplicaLag is Options.MaxReplicaLag when zero.
const DefaultMaxReplicaLag = 60 * time.Second

// Where the checks of a scan read (ScanResult.ReadFrom).
const (
	ReadFromReplica = "replica"
	ReadFromPrimary = "primary"
)

// LagReporter is a read replica that can tell how far behind its primary
// it is (postgres.Reader): lag 0 when caught up; ok false when it cannot
// tell.
type LagReporter interface {
	ReplicaLag(ctx context.Context) (lag time.Duration, ok bool, err error)
}

// chooseSource decides whether a scan reads the replica, from what its
// ReplicaLag answered: only when it answered, could tell, and is no more
// than maxLag behind. Otherwise the scan reads the primary, and warning
// says why.
func chooseSource(lag time.Duration, ok bool, err error, maxLag time.Duration) (replica bool, warning string) {
	switch {
	case err != nil:
		return false, fmt.Sprintf("the read replica did not answer (%s): the checks read the primary", proactive.ErrorMessage(err))
	case !ok:
		return false, "the read replica cannot tell how far behind the primary it is (it has replayed nothing yet): the checks read the primary"
	case lag > maxLag:
		return false, fmt.Sprintf("the read replica is %s behind the primary, more than postgres.max_replica_lag (%s): the checks read the primary",
			lag.Round(time.Millisecond), maxLag)
	}
	return true, ""
}

// sources is what the checks of one scan read: the replica (falling back
// to the primary check by check) or the primary, and the warnings to
// report. It implements proactive.SourceReader; it lives for one scan.
type sources struct {
	replica, primary proactive.SourceReader
	log              *slog.Logger

	mu       sync.Mutex
	warnings []string
}

// pickSources returns the reader of one scan's checks (its Warnings are
// the scan's so far) and where they read: ReadFromReplica,
// ReadFromPrimary, or "" without a replica. With a replica that reports its lag (LagReporter), the
// lag decides (chooseSource); a replica that does not is read as it is.
func (s *Scanner) pickSources(ctx context.Context, log *slog.Logger) (*sources, string) {
	src := &sources{primary: s.opts.Store, log: log}
	if s.opts.Replica == nil {
		return src, ""
	}
	maxLag := s.opts.MaxReplicaLag
	if maxLag <= 0 {
		maxLag = DefaultMaxReplicaLag
	}
	if lr, ok := s.opts.Replica.(LagReporter); ok {
		lag, known, err := lr.ReplicaLag(ctx)
		use, warning := chooseSource(lag, known, err, maxLag)
		if !use {
			src.warn(ctx, warning)
			return src, ReadFromPrimary
		}
		log.DebugContext(ctx, "reading the read replica", "lag", lag)
	}
	src.replica = s.opts.Replica
	return src, ReadFromReplica
}

// warn records and logs a warning.
func (r *sources) warn(ctx context.Context, msg string) {
	r.log.WarnContext(ctx, "scan: "+msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, msg)
}

// Warnings returns the warnings recorded so far.
func (r *sources) Warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.warnings...)
}

// read runs one check's read on the replica when there is one, and on the
// primary when there is none or the replica's read fails (a standby may
// cancel a query that conflicts with replay, or go away): the check still
// runs, and a warning says so.
func read[T any](ctx context.Context, r *sources, check string, fn func(proactive.SourceReader) (T, proactive.Skipped, error)) (T, proactive.Skipped, error) {
	if r.replica == nil {
		return fn(r.primary)
	}
	out, skipped, err := fn(r.replica)
	if err == nil || ctx.Err() != nil {
		return out, skipped, err
	}
	r.warn(ctx, fmt.Sprintf("the %s could not read the read replica (%s): it read the primary", check, proactive.ErrorMessage(err)))
	return fn(r.primary)
}

// HealthTrends implements proactive.SourceReader.
func (r *sources) HealthTrends(ctx context.Context, q proactive.HealthQuery) ([]proactive.HealthTrend, proactive.Skipped, error) {
	return read(ctx, r, proactive.SourceCheck(proactive.TableHealthScores), func(s proactive.SourceReader) ([]proactive.HealthTrend, proactive.Skipped, error) {
		return s.HealthTrends(ctx, q)
	})
}

// StalledDeals implements proactive.SourceReader.
func (r *sources) StalledDeals(ctx context.Context, q proactive.DealQuery) ([]proactive.Deal, proactive.Skipped, error) {
	return read(ctx, r, proactive.SourceCheck(proactive.TableDeals), func(s proactive.SourceReader) ([]proactive.Deal, proactive.Skipped, error) {
		return s.StalledDeals(ctx, q)
	})
}

// SyncFailures implements proactive.SourceReader.
func (r *sources) SyncFailures(ctx context.Context, q proactive.SyncQuery) ([]proactive.SyncFailureGroup, proactive.Skipped, error) {
	return read(ctx, r, proactive.SourceCheck(proactive.TableSyncErrors), func(s proactive.SourceReader) ([]proactive.SyncFailureGroup, proactive.Skipped, error) {
		return s.SyncFailures(ctx, q)
	})
}

// WaitingLeads implements proactive.SourceReader.
func (r *sources) WaitingLeads(ctx context.Context, q proactive.LeadQuery) ([]proactive.Lead, proactive.Skipped, error) {
	return read(ctx, r, proactive.SourceCheck(proactive.TableLeads), func(s proactive.SourceReader) ([]proactive.Lead, proactive.Skipped, error) {
		return s.WaitingLeads(ctx, q)
	})
}
