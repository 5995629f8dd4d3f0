package lifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var t0 = time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)

const (
	crit = proactive.SeverityCritical
	high = proactive.SeverityHigh
	med  = proactive.SeverityMedium
)

// seqIDs makes ids id-1, id-2, …
func seqIDs() IDs {
	n := 0
	return func() string { n++; return fmt.Sprintf("id-%d", n) }
}

func obs(sev proactive.Severity, urgency int) Observation {
	return Observation{
		Anomaly: &proactive.Anomaly{Type: proactive.HealthDrop, Severity: sev, Entity: "Jane (jane@x.com)", Key: "jane@x.com", UrgencyScore: urgency, Metric: 12},
		Owner:   "coach ann",
		Details: []byte(`{"score_drop":12}`),
	}
}

// withObs is o changed by f (o's anomaly copied first).
func withObs(o Observation, f func(*Observation)) Observation {
	a := *o.Anomaly
	o.Anomaly = &a
	f(&o)
	return o
}

func kinds(evs []proactive.CaseEvent) []proactive.EventKind {
	out := []proactive.EventKind{}
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func openCase(sev proactive.Severity) proactive.Case {
	return Open(obs(sev, 60), "", t0, seqIDs()).Case
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ch := Open(obs(high, 80), "prev-1", t0, seqIDs())
	require.True(t, ch.Insert)
	c := ch.Case
	require.Equal(t, "id-1", c.ID)
	require.Equal(t, "health_drop:jane@x.com", c.Key)
	require.Equal(t, "Jane (jane@x.com)", c.Label)
	require.Equal(t, proactive.CaseOpen, c.State)
	require.Equal(t, high, c.Severity)
	require.Equal(t, high, c.PeakSeverity)
	require.Equal(t, 80, c.Urgency)
	require.Equal(t, t0, c.OpenedAt)
	require.Equal(t, t0, c.LastSeenAt)
	require.Equal(t, "prev-1", c.PreviousCaseID)
	require.Equal(t, "coach ann", c.Owner)
	require.JSONEq(t, `{"score_drop":12}`, string(c.Details))
	require.Equal(t, []proactive.EventKind{proactive.EventOpened}, kinds(ch.Events))
	e := ch.Events[0]
	require.Equal(t, proactive.CaseEvent{ID: "id-2", CaseID: "id-1", Seq: 1, At: t0, Kind: proactive.EventOpened, Actor: "ptd-proactive", Severity: high}, e)
	require.Equal(t, 1, c.Seq)
	require.Equal(t, t0, c.UpdatedAt)
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	later := t0.Add(time.Hour)
	until := t0.Add(48 * time.Hour)
	acked := func(sev, ackSev proactive.Severity) proactive.Case {
		c := openCase(sev)
		c.State, c.AckSeverity, c.AcknowledgedBy, c.AcknowledgedAt = proactive.CaseAcknowledged, ackSev, "ann", &t0
		return c
	}
	snoozed := func(sev proactive.Severity) proactive.Case {
		c := openCase(sev)
		c.State, c.AckSeverity, c.SnoozedUntil, c.SnoozeReason = proactive.CaseSnoozed, sev, &until, "holiday"
		return c
	}
	for _, tc := range []struct {
		name    string
		c       proactive.Case
		o       Observation
		events  []proactive.EventKind
		state   proactive.CaseState
		sev     proactive.Severity
		peak    proactive.Severity
		write   bool
		refresh bool
		touch   bool
		cleared bool // ack and snooze fields cleared
	}{
		{"same severity, same figures: touch only", openCase(med), obs(med, 60), nil, proactive.CaseOpen, med, med, false, false, true, false},
		{"urgency changed: refresh without event", openCase(med), obs(med, 64), nil, proactive.CaseOpen, med, med, false, true, false, false},
		{"label changed: refresh", openCase(med), withObs(obs(med, 60), func(o *Observation) { o.Anomaly.Entity = "Jane Doe (jane@x.com)" }), nil, proactive.CaseOpen, med, med, false, true, false, false},
		{"owner changed: refresh", openCase(med), withObs(obs(med, 60), func(o *Observation) { o.Owner = "coach bob" }), nil, proactive.CaseOpen, med, med, false, true, false, false},
		{"owner changed on an assigned case: touch only", func() proactive.Case {
			c := openCase(med)
			c.Assigned = true
			return c
		}(), withObs(obs(med, 60), func(o *Observation) { o.Owner = "coach bob" }), nil, proactive.CaseOpen, med, med, false, false, true, false},
		{"metric changed: refresh", openCase(med), withObs(obs(med, 60), func(o *Observation) { o.Anomaly.Metric = 13 }), nil, proactive.CaseOpen, med, med, false, true, false, false},
		{"details changed: refresh", openCase(med), withObs(obs(med, 60), func(o *Observation) { o.Details = []byte(`{"score_drop":13}`) }), nil, proactive.CaseOpen, med, med, false, true, false, false},
		{"higher severity escalates", openCase(med), obs(high, 80), []proactive.EventKind{proactive.EventEscalated}, proactive.CaseOpen, high, high, true, false, false, false},
		{"lower severity deescalates, peak kept", openCase(crit), obs(high, 80), []proactive.EventKind{proactive.EventDeescalated}, proactive.CaseOpen, high, crit, true, false, false, false},
		{"acknowledged, escalation above ack_severity wakes", acked(med, med), obs(high, 80), []proactive.EventKind{proactive.EventEscalated, proactive.EventWoke}, proactive.CaseOpen, high, high, true, false, false, true},
		{"acknowledged, escalation to ack_severity stays acknowledged", func() proactive.Case {
			c := acked(med, high)
			return c
		}(), obs(high, 80), []proactive.EventKind{proactive.EventEscalated}, proactive.CaseAcknowledged, high, high, true, false, false, false},
		{"snoozed, escalation wakes", snoozed(med), obs(crit, 95), []proactive.EventKind{proactive.EventEscalated, proactive.EventWoke}, proactive.CaseOpen, crit, crit, true, false, false, true},
		{"snoozed, same severity stays snoozed", snoozed(med), obs(med, 60), nil, proactive.CaseSnoozed, med, med, false, false, true, false},
		{"snoozed, deescalation stays snoozed", snoozed(high), obs(med, 60), []proactive.EventKind{proactive.EventDeescalated}, proactive.CaseSnoozed, med, high, true, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := Refresh(tc.c, tc.o, later, seqIDs())
			require.Equal(t, tc.events, nilIfEmpty(kinds(ch.Events)))
			require.Equal(t, tc.state, ch.Case.State)
			require.Equal(t, tc.sev, ch.Case.Severity)
			require.Equal(t, tc.peak, ch.Case.PeakSeverity)
			require.Equal(t, tc.write, ch.Write)
			require.Equal(t, tc.refresh, ch.Refresh)
			require.Equal(t, tc.touch, ch.Touch)
			require.False(t, ch.Insert)
			require.Equal(t, later, ch.Case.LastSeenAt)
			require.Equal(t, t0, ch.Case.OpenedAt)
			for i, e := range ch.Events {
				require.Equal(t, tc.c.Seq+i+1, e.Seq, "seq continues the case's")
				require.Equal(t, later, e.At)
				require.Equal(t, ch.Case.Severity, e.Severity)
			}
			if tc.cleared {
				require.Empty(t, ch.Case.AcknowledgedBy)
				require.Nil(t, ch.Case.AcknowledgedAt)
				require.Nil(t, ch.Case.SnoozedUntil)
				require.Empty(t, ch.Case.SnoozeReason)
				require.Empty(t, ch.Case.AckSeverity)
				require.Equal(t, &later, ch.Case.WokeAt)
			}
		})
	}
}

func nilIfEmpty(k []proactive.EventKind) []proactive.EventKind {
	if len(k) == 0 {
		return nil
	}
	return k
}

func TestRefreshOwner(t *testing.T) {
	t.Parallel()
	c := openCase(med)
	o := obs(med, 60)
	o.Owner = "coach bob"
	ch := Refresh(c, o, t0.Add(time.Hour), seqIDs())
	require.Equal(t, "coach bob", ch.Case.Owner, "refreshed from the data")
	require.True(t, ch.Refresh)

	c.Owner, c.Assigned = "maria", true
	ch = Refresh(c, o, t0.Add(time.Hour), seqIDs())
	require.Equal(t, "maria", ch.Case.Owner, "an assigned owner is kept")
}

// A scan at an earlier now than the case's last sighting or newest event
// leaves it unchanged (CONTRACT §10.4).
func TestFrozenCases(t *testing.T) {
	t.Parallel()
	c := openCase(med)
	c.LastSeenAt = t0.Add(2 * time.Hour)
	earlier := t0.Add(time.Hour)
	require.False(t, Refresh(c, obs(crit, 99), earlier, seqIDs()).Changed())
	require.False(t, Seen(c, earlier).Changed())
	require.False(t, ResolveUnseen(c, earlier, 0, seqIDs()).Changed())

	c = openCase(med)
	c.UpdatedAt = t0.Add(2 * time.Hour) // an action after the scan's now
	require.False(t, Refresh(c, obs(crit, 99), earlier, seqIDs()).Changed())
	until := t0.Add(30 * time.Minute)
	c.State, c.SnoozedUntil = proactive.CaseSnoozed, &until
	require.False(t, WakeDue(c, earlier, seqIDs()).Changed())
}

func TestSeen(t *testing.T) {
	t.Parallel()
	c := openCase(med)
	ch := Seen(c, t0.Add(time.Hour))
	require.True(t, ch.Touch)
	require.Empty(t, ch.Events)
	require.Equal(t, t0.Add(time.Hour), ch.Case.LastSeenAt)
	require.Equal(t, med, ch.Case.Severity)
}

func TestWakeDue(t *testing.T) {
	t.Parallel()
	until := t0.Add(24 * time.Hour)
	c := openCase(med)
	c.State, c.SnoozedUntil, c.SnoozeReason, c.AckSeverity = proactive.CaseSnoozed, &until, "away", med
	for _, tc := range []struct {
		name string
		now  time.Time
		wake bool
	}{
		{"before the end", until.Add(-time.Second), false},
		{"exactly at the end", until, true},
		{"after the end", until.Add(time.Hour), true},
	} {
		ch := WakeDue(c, tc.now, seqIDs())
		require.Equal(t, tc.wake, ch.Write, tc.name)
		if tc.wake {
			require.Equal(t, proactive.CaseOpen, ch.Case.State, tc.name)
			require.Nil(t, ch.Case.SnoozedUntil)
			require.Empty(t, ch.Case.SnoozeReason)
			require.Equal(t, []proactive.EventKind{proactive.EventWoke}, kinds(ch.Events))
			require.Equal(t, proactive.ActorScan, ch.Events[0].Actor)
		}
	}
	require.False(t, WakeDue(openCase(med), until, seqIDs()).Changed(), "an open case has nothing to wake")
}

func TestResolveUnseen(t *testing.T) {
	t.Parallel()
	after := 60 * time.Minute
	for _, tc := range []struct {
		name    string
		state   proactive.CaseState
		elapsed time.Duration
		resolve bool
	}{
		{"seen 59 minutes ago", proactive.CaseOpen, 59 * time.Minute, false},
		{"seen exactly resolve_after ago", proactive.CaseOpen, 60 * time.Minute, true},
		{"seen long ago", proactive.CaseOpen, 30 * time.Hour, true},
		{"acknowledged resolves with one event", proactive.CaseAcknowledged, 2 * time.Hour, true},
		{"snoozed resolves with one event", proactive.CaseSnoozed, 2 * time.Hour, true},
		{"resolved stays", proactive.CaseResolved, 2 * time.Hour, false},
	} {
		c := openCase(high)
		c.State = tc.state
		ch := ResolveUnseen(c, t0.Add(tc.elapsed), after, seqIDs())
		require.Equal(t, tc.resolve, ch.Write, tc.name)
		if tc.resolve {
			require.Equal(t, proactive.CaseResolved, ch.Case.State)
			require.Equal(t, proactive.ResolveCleared, ch.Case.ResolveReason)
			require.Equal(t, t0.Add(tc.elapsed), *ch.Case.ResolvedAt)
			require.Equal(t, []proactive.EventKind{proactive.EventResolved}, kinds(ch.Events), tc.name)
			require.Equal(t, high, ch.Events[0].Severity)
		}
	}
	// resolve_after 0: a case not seen now resolves at once.
	require.True(t, ResolveUnseen(openCase(med), t0, 0, seqIDs()).Write)
}

func TestSetInhibitor(t *testing.T) {
	t.Parallel()
	c, changed := SetInhibitor(openCase(med), "sync_fail:hubspot_rate_limit")
	require.True(t, changed)
	require.Equal(t, "sync_fail:hubspot_rate_limit", c.InhibitedBy)
	_, changed = SetInhibitor(c, "sync_fail:hubspot_rate_limit")
	require.False(t, changed)
}
