package lifecycle

import (
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Silences are the silences a scan or an action evaluates.
type Silences []proactive.Silence

// Mutes reports whether an active silence at t matches a case of type typ
// with this key, label and owner (CONTRACT §10.8): one is enough.
func (ss Silences) Mutes(t time.Time, typ proactive.AnomalyType, key, label, owner string) bool {
	for i := range ss {
		if ss[i].Active(t) && ss[i].Matches(typ, key, label, owner) {
			return true
		}
	}
	return false
}

// MutesCase reports whether an active silence at t matches case c.
func (ss Silences) MutesCase(t time.Time, c *proactive.Case) bool {
	return ss.Mutes(t, c.Type, c.Key, c.Label, c.Owner)
}

// EndedFor returns the latest end, at or before now, of a silence that
// matched a case of type typ with this key, label and owner; nil if none.
func (ss Silences) EndedFor(now time.Time, typ proactive.AnomalyType, key, label, owner string) *time.Time {
	var out *time.Time
	for i := range ss {
		s := &ss[i]
		if s.EndsAt.After(now) || !s.EndsAt.After(s.StartsAt) || !s.Matches(typ, key, label, owner) {
			continue
		}
		if out == nil || s.EndsAt.After(*out) {
			end := s.EndsAt
			out = &end
		}
	}
	return out
}

// NewSilence checks and completes a silence to create at now (CONTRACT
// §10.8): a match is required; it starts at now unless given; an end
// (until, or forDur counted from the start) is required and must be after
// both now and the start; a reason is required. by defaults to cli.
func NewSilence(s proactive.Silence, until *time.Time, forDur time.Duration, now time.Time, newID IDs) (proactive.Silence, error) {
	s.Match = strings.TrimSpace(s.Match)
	s.Reason = strings.TrimSpace(s.Reason)
	s.Owner = strings.TrimSpace(s.Owner)
	if s.Match == "" {
		return s, proactive.Errorf(proactive.EINVALID, "silence: the match is empty: give a glob such as 'jane@example.com' or 'deal_stall:*'")
	}
	if s.Reason == "" {
		return s, proactive.Errorf(proactive.EINVALID, "silence: the reason is empty: say why (reason), so that others know")
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	switch {
	case until != nil && forDur != 0:
		return s, proactive.Errorf(proactive.EINVALID, "silence: give the end once: until or for, not both")
	case until != nil:
		s.EndsAt = *until
	case forDur > 0:
		s.EndsAt = s.StartsAt.Add(forDur)
	case forDur < 0:
		return s, proactive.Errorf(proactive.EINVALID, "silence: for %s is negative: give a positive duration such as 14d", forDur)
	default:
		return s, proactive.Errorf(proactive.EINVALID, "silence: an end is required: give until (a time) or for (a duration such as 14d): a silence never ends by itself otherwise")
	}
	if !s.EndsAt.After(now) {
		return s, proactive.Errorf(proactive.EINVALID, "silence: it would end at %s, not after now (%s): give a later end",
			s.EndsAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !s.EndsAt.After(s.StartsAt) {
		return s, proactive.Errorf(proactive.EINVALID, "silence: it would end at %s, not after its start (%s): give a later end",
			s.EndsAt.UTC().Format(time.RFC3339), s.StartsAt.UTC().Format(time.RFC3339))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		s.CreatedBy = proactive.ActorCLI
	}
	s.ID = newID()
	s.StartsAt, s.EndsAt, s.CreatedAt = s.StartsAt.UTC(), s.EndsAt.UTC(), now.UTC()
	return s, nil
}

// Expire returns the end a silence gets when expired at now, and whether
// anything changes: expiring an ended silence changes nothing.
func Expire(s proactive.Silence, now time.Time) (time.Time, bool) {
	if !s.EndsAt.After(now) {
		return s.EndsAt, false
	}
	return now.UTC(), true
}
