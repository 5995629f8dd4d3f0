package scan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWallReadsLiveWhenNowIsTheStart: a scan whose Now was taken moments
// before it started (the CLI parses --now's default, then opens and
// migrates) reads the tables live (the wall clock is Now); a Now a minute
// or more in the past is a look back (the wall clock stays the real time);
// Options.Wall, when set, is the real time.
func TestWallReadsLiveWhenNowIsTheStart(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	replay := start.Add(time.Hour)
	for _, tc := range []struct {
		name string
		now  time.Time
		wall func() time.Time
		want time.Time
	}{
		{"now is the start", start, nil, start},
		{"now taken 3 s before the start", start.Add(-3 * time.Second), nil, start.Add(-3 * time.Second)},
		{"just under a minute before", start.Add(-liveSlack + time.Millisecond), nil, start.Add(-liveSlack + time.Millisecond)},
		{"a minute before: a look back", start.Add(-liveSlack), nil, start},
		{"two days back", start.Add(-48 * time.Hour), nil, start},
		{"now after the start (a future --now)", start.Add(time.Hour), nil, start},
		{"a replay's wall clock", start.Add(-48 * time.Hour), func() time.Time { return replay }, replay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Scanner{opts: Options{Wall: tc.wall}}
			require.Equal(t, tc.want, s.wall(start, tc.now))
		})
	}
}
