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

// TestAScanWithoutNowIsThePresent: a scan without --now gets a zero Now,
// which the scanner takes at its start and reads live; a time taken here,
// before the store is opened and migrated, would be a moment past and read
// the tables as of it. Other commands' empty --now is the current time.
func TestAScanWithoutNowIsThePresent(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "  "} {
		got, err := scanNow(in)
		require.NoError(t, err)
		require.True(t, got.IsZero(), "%q", in)
		before := time.Now()
		now, err := parseNow(in)
		require.NoError(t, err)
		require.False(t, now.Before(before.Truncate(time.Second)), "%q: parseNow is the current time", in)
	}
	got, err := scanNow("2025-12-10")
	require.NoError(t, err)
	require.Equal(t, time.Date(2025, 12, 10, 0, 0, 0, 0, time.UTC), got)
	_, err = scanNow("yesterday")
	require.ErrorContains(t, err, "--now")
}
