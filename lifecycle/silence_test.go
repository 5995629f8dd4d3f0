package lifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestGlob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"jane@x.com", "jane@x.com", true},
		{"jane@x.com", "JANE@X.COM", true},
		{"jane@x.com", "jane@x.com.au", false},
		{"*@x.com", "jane@x.com", true},
		{"*@x.com", "@x.com", true},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"?", "", false},
		{"?", "é", true},
		{"deal_stall:*", "deal_stall:deal-42", true},
		{"deal_stall:*", "health_drop:deal_stall:", false},
		{"*hubspot*", "sync_fail:hubspot_rate_limit", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a*b", "ab", true},
		{"**", "anything", true},
		{"a.c", "abc", false}, // no regexp meaning
		{"[a]", "[a]", true},
		{"lead-?", "lead-7", true},
		{"lead-?", "lead-77", false},
	} {
		require.Equal(t, tc.want, proactive.Glob(tc.pattern, tc.s), "Glob(%q, %q)", tc.pattern, tc.s)
	}
}

func TestSilenceMatches(t *testing.T) {
	t.Parallel()
	key, label := "health_drop:jane@x.com", "Jane Doe (jane@x.com)"
	for _, tc := range []struct {
		name string
		s    proactive.Silence
		want bool
	}{
		{"full key", proactive.Silence{Match: key}, true},
		{"key without type", proactive.Silence{Match: "jane@x.com"}, true},
		{"label", proactive.Silence{Match: "jane doe*"}, true},
		{"other client", proactive.Silence{Match: "bob@x.com"}, false},
		{"type given and equal", proactive.Silence{Match: "*", Type: proactive.HealthDrop}, true},
		{"type given and other", proactive.Silence{Match: "*", Type: proactive.DealStall}, false},
		{"owner ignoring case", proactive.Silence{Match: "*", Owner: "COACH ANN"}, true},
		{"other owner", proactive.Silence{Match: "*", Owner: "bob"}, false},
	} {
		require.Equal(t, tc.want, tc.s.Matches(proactive.HealthDrop, key, label, "coach ann"), tc.name)
	}
}

func TestMutesAndEndedFor(t *testing.T) {
	t.Parallel()
	s := proactive.Silence{Match: "jane@x.com", StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	ss := Silences{s}
	key, label := "health_drop:jane@x.com", "Jane"
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t0.Add(-time.Second), false},
		{t0, true},
		{t0.Add(59 * time.Minute), true},
		{t0.Add(time.Hour), false}, // [starts_at, ends_at)
	} {
		require.Equal(t, tc.want, ss.Mutes(tc.at, proactive.HealthDrop, key, label, ""), "at %s", tc.at)
	}
	c := proactive.Case{Type: proactive.HealthDrop, Key: key, Label: label}
	require.True(t, ss.MutesCase(t0, &c))

	require.Nil(t, ss.EndedFor(t0.Add(30*time.Minute), proactive.HealthDrop, key, label, ""), "not ended yet")
	end := ss.EndedFor(t0.Add(2*time.Hour), proactive.HealthDrop, key, label, "")
	require.NotNil(t, end)
	require.Equal(t, t0.Add(time.Hour), *end)
	require.Nil(t, ss.EndedFor(t0.Add(2*time.Hour), proactive.HealthDrop, "health_drop:bob@x.com", "Bob", ""))
}

func TestNewSilence(t *testing.T) {
	t.Parallel()
	now := t0
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	for _, tc := range []struct {
		name   string
		s      proactive.Silence
		until  *time.Time
		forDur time.Duration
		code   string
		start  time.Time
		end    time.Time
	}{
		{"for from now", proactive.Silence{Match: "x", Reason: "r"}, nil, 14 * 24 * time.Hour, "", now, now.Add(14 * 24 * time.Hour)},
		{"until", proactive.Silence{Match: "x", Reason: "r"}, at(time.Hour), 0, "", now, now.Add(time.Hour)},
		{"for counts from a later start", proactive.Silence{Match: "x", Reason: "r", StartsAt: now.Add(24 * time.Hour)}, nil, time.Hour, "", now.Add(24 * time.Hour), now.Add(25 * time.Hour)},
		{"no end refused", proactive.Silence{Match: "x", Reason: "r"}, nil, 0, proactive.EINVALID, now, now},
		{"end in the past refused", proactive.Silence{Match: "x", Reason: "r"}, at(-time.Hour), 0, proactive.EINVALID, now, now},
		{"end at now refused", proactive.Silence{Match: "x", Reason: "r"}, at(0), 0, proactive.EINVALID, now, now},
		{"end before a later start refused", proactive.Silence{Match: "x", Reason: "r", StartsAt: now.Add(48 * time.Hour)}, at(24 * time.Hour), 0, proactive.EINVALID, now, now},
		{"both ends refused", proactive.Silence{Match: "x", Reason: "r"}, at(time.Hour), time.Hour, proactive.EINVALID, now, now},
		{"negative duration refused", proactive.Silence{Match: "x", Reason: "r"}, nil, -time.Hour, proactive.EINVALID, now, now},
		{"no match refused", proactive.Silence{Match: " ", Reason: "r"}, nil, time.Hour, proactive.EINVALID, now, now},
		{"no reason refused", proactive.Silence{Match: "x"}, nil, time.Hour, proactive.EINVALID, now, now},
	} {
		got, err := NewSilence(tc.s, tc.until, tc.forDur, now, seqIDs())
		if tc.code != "" {
			require.Equal(t, tc.code, proactive.ErrorCode(err), "%s: %v", tc.name, err)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, "id-1", got.ID)
		require.Equal(t, tc.start, got.StartsAt, tc.name)
		require.Equal(t, tc.end, got.EndsAt, tc.name)
		require.Equal(t, "cli", got.CreatedBy)
		require.Equal(t, now, got.CreatedAt)
	}
}

func TestExpire(t *testing.T) {
	t.Parallel()
	s := proactive.Silence{StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	end, changed := Expire(s, t0.Add(10*time.Minute))
	require.True(t, changed)
	require.Equal(t, t0.Add(10*time.Minute), end)
	end, changed = Expire(s, t0.Add(2*time.Hour))
	require.False(t, changed, "expiring an ended silence changes nothing")
	require.Equal(t, t0.Add(time.Hour), end)
}
