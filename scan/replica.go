package scan

import (
	"context"
	"fmt"
	"log/slog"
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

// pickSource returns what the checks of one scan read and where:
// ReadFromReplica, ReadFromPrimary, or "" without a replica; and the
// warning that says why a configured replica is not read. With a replica
// that reports its lag (LagReporter), the lag decides (chooseSource); a
// replica that does not is read as it is.
func (s *Scanner) pickSource(ctx context.Context, log *slog.Logger) (src any, readFrom, warning string) {
	if s.opts.Replica == nil {
		return s.opts.Source, "", ""
	}
	maxLag := s.opts.MaxReplicaLag
	if maxLag <= 0 {
		maxLag = DefaultMaxReplicaLag
	}
	if lr, ok := s.opts.Replica.(LagReporter); ok {
		lag, known, err := lr.ReplicaLag(ctx)
		use, warning := chooseSource(lag, known, err, maxLag)
		if !use {
			log.WarnContext(ctx, "scan: "+warning)
			return s.opts.Source, ReadFromPrimary, warning
		}
		log.DebugContext(ctx, "reading the read replica", "lag", lag)
	}
	return s.opts.Replica, ReadFromReplica, ""
}
