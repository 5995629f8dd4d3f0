package lifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestApply(t *testing.T) {
	t.Parallel()
	now := t0.Add(3 * time.Hour)
	until := now.Add(72 * time.Hour)
	state := func(s proactive.CaseState) proactive.Case {
		c := openCase(high)
		c.State = s
		switch s {
		case proactive.CaseAcknowledged:
			c.AcknowledgedBy, c.AcknowledgedAt, c.AckSeverity = "bob", &t0, med
		case proactive.CaseSnoozed:
			u := t0.Add(time.Hour * 100)
			c.SnoozedUntil, c.SnoozeReason, c.AckSeverity = &u, "later", med
		case proactive.CaseResolved:
			c.ResolvedAt, c.ResolveReason = &t0, proactive.ResolveCleared
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		from  proactive.CaseState
		act   Action
		code  string // expected error code, "" for none
		state proactive.CaseState
		event proactive.EventKind // "" for no event
	}{
		{"ack open", proactive.CaseOpen, Action{Kind: ActAck, By: "ann", Note: "calling her"}, "", proactive.CaseAcknowledged, proactive.EventAcknowledged},
		{"ack acknowledged: nothing", proactive.CaseAcknowledged, Action{Kind: ActAck}, "", proactive.CaseAcknowledged, ""},
		{"ack replaces a snooze", proactive.CaseSnoozed, Action{Kind: ActAck}, "", proactive.CaseAcknowledged, proactive.EventAcknowledged},
		{"ack resolved refused", proactive.CaseResolved, Action{Kind: ActAck}, proactive.ECONFLICT, proactive.CaseResolved, ""},
		{"snooze open", proactive.CaseOpen, Action{Kind: ActSnooze, Until: until, Note: "on holiday"}, "", proactive.CaseSnoozed, proactive.EventSnoozed},
		{"snooze replaces an ack", proactive.CaseAcknowledged, Action{Kind: ActSnooze, Until: until}, "", proactive.CaseSnoozed, proactive.EventSnoozed},
		{"snooze until now refused", proactive.CaseOpen, Action{Kind: ActSnooze, Until: now}, proactive.EINVALID, proactive.CaseOpen, ""},
		{"snooze in the past refused", proactive.CaseOpen, Action{Kind: ActSnooze, Until: now.Add(-time.Hour)}, proactive.EINVALID, proactive.CaseOpen, ""},
		{"snooze resolved refused", proactive.CaseResolved, Action{Kind: ActSnooze, Until: until}, proactive.ECONFLICT, proactive.CaseResolved, ""},
		{"assign open", proactive.CaseOpen, Action{Kind: ActAssign, Owner: " maria "}, "", proactive.CaseOpen, proactive.EventAssigned},
		{"assign resolved works", proactive.CaseResolved, Action{Kind: ActAssign, Owner: "maria"}, "", proactive.CaseResolved, proactive.EventAssigned},
		{"assign nobody refused", proactive.CaseOpen, Action{Kind: ActAssign, Owner: " "}, proactive.EINVALID, proactive.CaseOpen, ""},
		{"comment snoozed", proactive.CaseSnoozed, Action{Kind: ActComment, Note: "left a voicemail"}, "", proactive.CaseSnoozed, proactive.EventCommented},
		{"comment resolved works", proactive.CaseResolved, Action{Kind: ActComment, Note: "renewed"}, "", proactive.CaseResolved, proactive.EventCommented},
		{"empty comment refused", proactive.CaseOpen, Action{Kind: ActComment}, proactive.EINVALID, proactive.CaseOpen, ""},
		{"resolve acknowledged", proactive.CaseAcknowledged, Action{Kind: ActResolve, Note: "renewed"}, "", proactive.CaseResolved, proactive.EventResolved},
		{"resolve resolved refused", proactive.CaseResolved, Action{Kind: ActResolve}, proactive.ECONFLICT, proactive.CaseResolved, ""},
		{"unknown action", proactive.CaseOpen, Action{Kind: "close"}, proactive.EINVALID, proactive.CaseOpen, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := state(tc.from)
			ch, err := Apply(c, tc.act, now, seqIDs())
			if tc.code != "" {
				require.Error(t, err)
				require.Equal(t, tc.code, proactive.ErrorCode(err), err.Error())
				require.False(t, ch.Changed())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.state, ch.Case.State)
			if tc.event == "" {
				require.Empty(t, ch.Events)
				require.False(t, ch.Changed())
				return
			}
			require.True(t, ch.Write)
			require.Len(t, ch.Events, 1)
			e := ch.Events[0]
			require.Equal(t, tc.event, e.Kind)
			require.Equal(t, now, e.At)
			require.Equal(t, c.Seq+1, e.Seq)
			wantActor := tc.act.By
			if wantActor == "" {
				wantActor = proactive.ActorCLI
			}
			require.Equal(t, wantActor, e.Actor)
		})
	}
}

func TestApplyFields(t *testing.T) {
	t.Parallel()
	now := t0.Add(time.Hour)
	c := openCase(high)
	ch, err := Apply(c, Action{Kind: ActAck, By: "ann", Note: "on it"}, now, seqIDs())
	require.NoError(t, err)
	require.Equal(t, "ann", ch.Case.AcknowledgedBy)
	require.Equal(t, now, *ch.Case.AcknowledgedAt)
	require.Equal(t, high, ch.Case.AckSeverity)
	require.Equal(t, "on it", ch.Events[0].Note)

	until := now.Add(24 * time.Hour)
	ch, err = Apply(ch.Case, Action{Kind: ActSnooze, By: "ann", Until: until, Note: "call tomorrow"}, now, seqIDs())
	require.NoError(t, err)
	require.Equal(t, until, *ch.Case.SnoozedUntil)
	require.Equal(t, "call tomorrow", ch.Case.SnoozeReason)
	require.Empty(t, ch.Case.AcknowledgedBy, "a snooze replaces the acknowledgement")
	require.Nil(t, ch.Case.AcknowledgedAt)
	require.Equal(t, high, ch.Case.AckSeverity)
	require.Equal(t, 3, ch.Events[0].Seq)

	ch, err = Apply(ch.Case, Action{Kind: ActAssign, By: "lead", Owner: "maria"}, now, seqIDs())
	require.NoError(t, err)
	require.Equal(t, "maria", ch.Case.Owner)
	require.True(t, ch.Case.Assigned)
	require.Equal(t, "maria", ch.Events[0].Note, "an assigned event's note is the new owner")

	ch, err = Apply(ch.Case, Action{Kind: ActResolve, By: "maria", Note: "renewed"}, now, seqIDs())
	require.NoError(t, err)
	require.Equal(t, proactive.ResolveManual, ch.Case.ResolveReason)
	require.Equal(t, now, *ch.Case.ResolvedAt)
	require.Nil(t, ch.Case.SnoozedUntil)
}

func TestDismissed(t *testing.T) {
	t.Parallel()
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		state proactive.CaseState
		acks  bool
	}{
		{proactive.CaseOpen, true},
		{proactive.CaseSnoozed, true},
		{proactive.CaseAcknowledged, false},
		{proactive.CaseResolved, false},
	} {
		c := openCase(high)
		c.State = tc.state
		ch := Dismissed(c, "ann", now, seqIDs())
		require.Equal(t, tc.acks, ch.Write, tc.state)
		if tc.acks {
			require.Equal(t, proactive.CaseAcknowledged, ch.Case.State)
			require.Nil(t, ch.Case.SnoozedUntil)
			require.Equal(t, high, ch.Case.AckSeverity)
			require.Equal(t, "ann", ch.Events[0].Actor)
		}
	}
}
