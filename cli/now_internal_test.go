package cli

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestParseNowTakesImportsTimestampForms: --now reads what import reads.
func TestParseNowTakesImportsTimestampForms(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2025-12-10T09:30:00Z", at("2025-12-10T09:30:00Z")},
		{"2025-12-10T09:30:00.250Z", at("2025-12-10T09:30:00.25Z")},
		{"2025-12-10T11:30:00+02:00", at("2025-12-10T09:30:00Z")},
		{"2025-12-10t09:30:00z", at("2025-12-10T09:30:00Z")},
		{"2025-12-10 09:30:00", at("2025-12-10T09:30:00Z")},
		{"2025-12-10T09:30:00", at("2025-12-10T09:30:00Z")},
		{"2025-12-10 09:30", at("2025-12-10T09:30:00Z")},
		{"2025-12-10 09:30:00+00", at("2025-12-10T09:30:00Z")},
		{"2025-12-10", at("2025-12-10T00:00:00Z")},
		{"  2025-12-10  ", at("2025-12-10T00:00:00Z")},
	} {
		got, err := parseNow(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
		require.Equal(t, time.UTC, got.Location(), tc.in)
	}
	for _, bad := range []string{"10/12/2025", "2025-13-01", "yesterday", "2025-12-10 9:30", "1733823000"} {
		_, err := parseNow(bad)
		var ue usageError
		require.True(t, errors.As(err, &ue), "%q: a usage error", bad)
		require.Contains(t, err.Error(), `--now "`+bad+`" is not a time: write it as RFC 3339`)
	}
	before := time.Now().UTC()
	got, err := parseNow("")
	require.NoError(t, err)
	require.False(t, got.Before(before.Add(-time.Second)), "empty is the wall clock")
}
