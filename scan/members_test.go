package scan

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// TestMemberSetGivesBackWhatWasAdded: ids of every form (canonical UUIDs,
// the zero UUID, upper-case UUIDs and other texts, kept as texts), owners,
// times and repeats come back equal; has compares ids as texts.
func TestMemberSetGivesBackWhatWasAdded(t *testing.T) {
	woke := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	ended := woke.Add(time.Hour)
	in := []lifecycle.Member{
		{CaseID: "6ba7b810-9dad-11d1-80b4-00c04fd430c8", Owner: "Ann"},
		{CaseID: "case", Owner: ""},
		{CaseID: "6BA7B811-9DAD-11D1-80B4-00C04FD430C8", Owner: "Ann", WokeAt: &woke},
		{CaseID: "00000000-0000-0000-0000-000000000000", Owner: "Bo", SilenceEndedAt: &ended},
		{CaseID: "42", Owner: "Bo"},
	}
	var ms memberSet
	for _, m := range in {
		ms.add(m)
	}
	ms.again(1)
	ms.again(1)
	want := []lifecycle.Member{in[0], in[1], in[1], in[1], in[2], in[3], in[4]}
	for i := range want {
		want[i].Inhibited = true
	}
	require.Equal(t, want, ms.members(true))
	require.Equal(t, 7, ms.anomalies)
	for _, m := range in {
		require.True(t, ms.has(m.CaseID), m.CaseID)
	}
	for _, id := range []string{"6ba7b811-9dad-11d1-80b4-00c04fd430c8", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "43", "", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"} {
		require.False(t, ms.has(id), id)
	}

	var texts memberSet
	texts.add(lifecycle.Member{CaseID: "x"}) // its id's bytes are zero: not the zero UUID
	require.False(t, texts.has("00000000-0000-0000-0000-000000000000"))
}

// TestCanonicalUUID: only the lower-case, hyphenated form is a UUID's
// bytes (what the desk writes); it agrees with the uuid package's
// reading of that form, and anything else is kept as text.
func TestCanonicalUUID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true},
		{"6BA7B810-9DAD-11D1-80B4-00C04FD430C8", false},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430C8", false},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c", false},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430c88", false},
		{"6ba7b8109dad-11d1-80b4-00c04fd430c8-", false},
		{"6ba7b810-9dad-11d1-80b4x00c04fd430c8", false},
		{"6ba7b810-9dad-11d1-80b4-00c04fd430g8", false},
		{"{6ba7b810-9dad-11d1-80b4-00c04fd430}", false},
		{"urn:uuid:6ba7b810-9dad-11d1-80b4-00c0", false},
		{"", false},
	} {
		got, ok := canonicalUUID(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		if ok {
			want, err := uuid.Parse(tc.in)
			require.NoError(t, err)
			require.Equal(t, [16]byte(want), got, tc.in)
		} else {
			require.Zero(t, got, tc.in)
		}
	}
	for range 1000 {
		id := uuid.New()
		got, ok := canonicalUUID(id.String())
		require.True(t, ok)
		require.Equal(t, [16]byte(id), got)
	}
}
