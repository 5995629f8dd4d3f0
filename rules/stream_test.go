package rules

import (
	"context"
	"errors"
	"testing"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// trendStream streams its trends in order, as a store does.
type trendStream []proactive.HealthTrend

func (s trendStream) HealthTrends(_ context.Context, _ proactive.HealthQuery, fn func(proactive.HealthTrend) error) (proactive.Skipped, error) {
	for _, t := range s {
		if err := fn(t); err != nil {
			return nil, err
		}
	}
	return proactive.Skipped{proactive.SkipNullEmail: 1}, nil
}

// The health check reports as the trends arrive, one client at a time: a
// client's emails (differing in case, one after the other) report their
// most urgent anomaly first, which opens the client's case, then the
// sightings within the recovery margin.
func TestHealthDropStreamsOneClientAtATime(t *testing.T) {
	t.Parallel()
	th := proactive.DefaultThresholds()
	trend := func(email string, previous, current float64) proactive.HealthTrend {
		return proactive.HealthTrend{Email: email, Previous: previous, Current: current, Readings: 2, Zone: "YELLOW",
			CurrentAt: testNow.Add(-1), PreviousAt: testNow.Add(-2)}
	}
	margin := th.HealthDropMedium - 1 // within the recovery margin
	src := trendStream{
		trend("a@x.com", 80, 68),        // medium
		trend("A@x.com", 80, 40),        // critical: the client's first anomaly
		trend("A@X.com", 80, 80-margin), // within the margin
		trend("b@x.com", 80, 80-margin), // within the margin only
		trend("c@x.com", 80, 79),        // nothing
		trend("d@x.com", 80, 60),        // high
	}
	var e collect
	skipped, err := HealthDropCheck().New(proactive.CheckEnv{Now: testNow, Settings: proactive.DefaultSettings()}).Detect(t.Context(), src, &e)
	require.NoError(t, err)
	require.Equal(t, proactive.Skipped{proactive.SkipNullEmail: 1}, skipped)
	require.Equal(t, []string{"a@x.com", "a@x.com", "d@x.com"}, e.keys())
	require.Equal(t, proactive.SeverityCritical, e.as[0].Severity, "the client's most urgent anomaly first")
	require.Equal(t, proactive.SeverityMedium, e.as[1].Severity)
	require.Equal(t, []string{"a@x.com", "b@x.com"}, e.seen)

	// A failing report stops the read and is returned.
	errFull := errors.New("desk full")
	_, err = HealthDropCheck().New(proactive.CheckEnv{Now: testNow, Settings: proactive.DefaultSettings()}).Detect(t.Context(), src, failing{errFull})
	require.ErrorIs(t, err, errFull)
}

// failing refuses every report.
type failing struct{ err error }

func (f failing) Anomaly(proactive.Anomaly) error { return f.err }
func (f failing) Seen(string) error               { return f.err }
