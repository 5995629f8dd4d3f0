package proactive_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Once computes a key's value once for every caller, those that come
// while it runs included; an error is given to them and not kept, so the
// next caller (a check retrying its read) computes again; a nil scope
// computes every time.
func TestScanScopeOnce(t *testing.T) {
	t.Parallel()
	var s proactive.ScanScope
	var runs atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	got := make([]any, 8)
	for i := range got {
		wg.Go(func() {
			v, err := s.Once("k", func() (any, error) {
				runs.Add(1)
				<-release
				return "read", nil
			})
			require.NoError(t, err)
			got[i] = v
		})
	}
	close(release)
	wg.Wait()
	require.Equal(t, int32(1), runs.Load())
	for _, v := range got {
		require.Equal(t, "read", v)
	}

	boom := errors.New("connection lost")
	_, err := s.Once("e", func() (any, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	v, err := s.Once("e", func() (any, error) { return "again", nil })
	require.NoError(t, err)
	require.Equal(t, "again", v, "a failed computation is not kept")

	var none *proactive.ScanScope
	n := 0
	for range 2 {
		_, _ = none.Once("k", func() (any, error) { n++; return nil, nil })
	}
	require.Equal(t, 2, n)
}
