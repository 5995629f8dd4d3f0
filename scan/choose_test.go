package scan

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestChooseSource(t *testing.T) {
	t.Parallel()
	down := proactive.Errorf(proactive.EUNAVAILABLE, "read the read replica's lag: the database at replica:5432/app does not answer")
	for _, tc := range []struct {
		name    string
		lag     time.Duration
		ok      bool
		err     error
		max     time.Duration
		replica bool
		warning string
	}{
		{name: "caught up", lag: 0, ok: true, max: time.Minute, replica: true},
		{name: "behind, within the limit", lag: 59 * time.Second, ok: true, max: time.Minute, replica: true},
		{name: "exactly on the limit", lag: time.Minute, ok: true, max: time.Minute, replica: true},
		{name: "past the limit", lag: 61500 * time.Millisecond, ok: true, max: time.Minute,
			warning: "the read replica is 1m1.5s behind the primary, more than postgres.max_replica_lag (1m0s): the checks read the primary"},
		{name: "cannot tell", ok: false, max: time.Minute,
			warning: "the read replica cannot tell how far behind the primary it is (it has replayed nothing yet): the checks read the primary"},
		{name: "does not answer", err: down, max: time.Minute,
			warning: "the read replica did not answer (read the read replica's lag: the database at replica:5432/app does not answer): the checks read the primary"},
		{name: "a plain error", err: errors.New("boom"), ok: true, max: time.Minute,
			warning: "the read replica did not answer (boom): the checks read the primary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			replica, warning := chooseSource(tc.lag, tc.ok, tc.err, tc.max)
			require.Equal(t, tc.replica, replica)
			require.Equal(t, tc.warning, warning)
		})
	}
}
