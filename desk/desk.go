// Package desk is the risk desk's application layer: what the CLI and
// the HTTP API do with cases, alerts and silences (CONTRACT §10.7–10.11).
// Each operation is one desk transaction (proactive.Desk.Update or View):
// it finds what it acts on (an id, a unique id prefix of 6 or more
// characters, or a case key), asks package lifecycle what changes, and
// writes it. A manual resolve also closes the alerts whose cases are now
// all resolved.
package desk

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// MinPrefix is the shortest id prefix accepted in place of an id.
const MinPrefix = 6

// Service runs desk operations.
type Service struct {
	// Desk keeps cases, alerts and silences. Required.
	Desk proactive.Desk
	// Registry names the checks (type filters); required.
	Registry *proactive.Registry
	// NewID makes ids; nil means uuids.
	NewID func() string
	// Source reads a client's readings, deals and leads (Client); nil
	// shows only the client's cases.
	Source proactive.ClientHistoryReader
	// Recorded, when set, is called after an action or a dismiss is
	// committed, with the case events it recorded (none when it changed
	// nothing): the metrics and the dashboard's live updates hang here.
	Recorded func(evs []proactive.CaseEvent)
}

// recorded hands committed events to Recorded.
func (s *Service) recorded(evs []proactive.CaseEvent) {
	if s.Recorded != nil {
		s.Recorded(evs)
	}
}

func (s *Service) newID() lifecycle.IDs {
	if s.NewID != nil {
		return s.NewID
	}
	return uuid.NewString
}

// CaseFilter selects cases to list (CONTRACT §10.11).
type CaseFilter struct {
	// State is open, acknowledged, snoozed, resolved, silenced or all; ""
	// means unresolved.
	State  string
	Type   string
	Owner  string
	Search string
	Limit  int
}

// ListCases lists cases, urgency descending, then opened_at, then key,
// each with whether an active silence matches it at now.
func (s *Service) ListCases(ctx context.Context, f CaseFilter, now time.Time) ([]proactive.CaseView, error) {
	q := proactive.CaseQuery{Owner: strings.TrimSpace(f.Owner), Search: strings.TrimSpace(f.Search), Limit: f.Limit}
	silencedOnly := false
	switch st := strings.ToLower(strings.TrimSpace(f.State)); st {
	case "":
		q.Unresolved = true
	case "all":
	case "silenced":
		q.Unresolved, silencedOnly = true, true
		q.Limit = 0
	case string(proactive.CaseOpen), string(proactive.CaseAcknowledged), string(proactive.CaseSnoozed), string(proactive.CaseResolved):
		q.States = []proactive.CaseState{proactive.CaseState(st)}
	default:
		return nil, proactive.Errorf(proactive.EINVALID, "unknown state %q: use open, acknowledged, snoozed, resolved, silenced or all", f.State)
	}
	if t := strings.TrimSpace(f.Type); t != "" {
		typ, err := s.Registry.ParseType(t)
		if err != nil {
			return nil, err
		}
		q.Types = []proactive.AnomalyType{typ}
	}
	var out []proactive.CaseView
	err := s.Desk.View(ctx, func(tx proactive.DeskTx) error {
		cs, err := tx.FindCases(ctx, q)
		if err != nil {
			return fmt.Errorf("list cases: %w", err)
		}
		ss, err := activeSilences(ctx, tx, now)
		if err != nil {
			return err
		}
		out = make([]proactive.CaseView, 0, len(cs))
		for i := range cs {
			v := proactive.CaseView{Case: cs[i], Silenced: !cs[i].Resolved() && ss.MutesCase(now, &cs[i])}
			if silencedOnly && !v.Silenced {
				continue
			}
			out = append(out, v)
			if silencedOnly && f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// activeSilences reads the silences not yet ended at now.
func activeSilences(ctx context.Context, tx proactive.DeskTx, now time.Time) (lifecycle.Silences, error) {
	ss, err := tx.FindSilences(ctx, proactive.SilenceQuery{EndsAfter: now})
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	return ss, nil
}

// CaseDetail is one case with its history, oldest event first.
type CaseDetail struct {
	proactive.CaseView
	Events []proactive.CaseEvent `json:"events"`
}

// MarshalJSON writes the case's columns, silenced and events.
func (d CaseDetail) MarshalJSON() ([]byte, error) {
	b, err := d.CaseView.MarshalJSON()
	if err != nil {
		return nil, err
	}
	evs := d.Events
	if evs == nil {
		evs = []proactive.CaseEvent{}
	}
	return appendKey(b, "events", evs)
}

// GetCase returns one case by id, unique id prefix or key (a key shows its
// unresolved case, else its newest), with its events.
func (s *Service) GetCase(ctx context.Context, ref string, now time.Time) (CaseDetail, error) {
	var d CaseDetail
	err := s.Desk.View(ctx, func(tx proactive.DeskTx) error {
		c, err := findCase(ctx, tx, ref)
		if err != nil {
			return err
		}
		evs, err := tx.CaseEvents(ctx, []string{c.ID})
		if err != nil {
			return fmt.Errorf("read the events of case %s: %w", c.ID, err)
		}
		ss, err := activeSilences(ctx, tx, now)
		if err != nil {
			return err
		}
		d = CaseDetail{CaseView: proactive.CaseView{Case: c, Silenced: !c.Resolved() && ss.MutesCase(now, &c)}, Events: evs}
		return nil
	})
	return d, err
}

// uuidLike matches a whole uuid.
var uuidLike = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// hexPrefix matches what may start a uuid.
var hexPrefix = regexp.MustCompile(`^[0-9a-fA-F-]+$`)

// findCase resolves ref: a case key (it has a ":"), a full id, or a unique
// id prefix of MinPrefix or more characters. ENOTFOUND when nothing has
// it, EINVALID when it is malformed or an ambiguous prefix (naming the
// matches).
func findCase(ctx context.Context, tx proactive.DeskTx, ref string) (proactive.Case, error) {
	cs, err := findCases(ctx, tx, ref)
	if err != nil {
		return proactive.Case{}, err
	}
	return cs[0], nil
}

// findCases is findCase for ack, which takes an email too: the email's
// unresolved health and renewal cases.
func findCases(ctx context.Context, tx proactive.DeskTx, ref string) ([]proactive.Case, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return nil, proactive.Errorf(proactive.EINVALID, "no case given: pass a case id, an id prefix of %d+ characters or a case key such as health_drop:jane@example.com", MinPrefix)
	case strings.Contains(ref, ":"):
		cs, err := tx.FindCases(ctx, proactive.CaseQuery{Key: ref})
		if err != nil {
			return nil, fmt.Errorf("find case %s: %w", ref, err)
		}
		if len(cs) == 0 {
			return nil, proactive.Errorf(proactive.ENOTFOUND, "no case has the key %s: list them with 'ptd-proactive cases --search'", ref)
		}
		// The unresolved one, else the newest.
		best := cs[0]
		for _, c := range cs[1:] {
			if !c.Resolved() && best.Resolved() || c.Resolved() == best.Resolved() && c.OpenedAt.After(best.OpenedAt) {
				best = c
			}
		}
		return []proactive.Case{best}, nil
	case uuidLike.MatchString(ref):
		cs, err := tx.CasesByID(ctx, []string{strings.ToLower(ref)})
		if err != nil {
			return nil, fmt.Errorf("find case %s: %w", ref, err)
		}
		if len(cs) == 0 {
			return nil, proactive.Errorf(proactive.ENOTFOUND, "case %s not found", ref)
		}
		return cs, nil
	case !hexPrefix.MatchString(ref):
		return nil, proactive.Errorf(proactive.EINVALID, "malformed case id %q: give a uuid, an id prefix of %d+ hex characters or a case key such as health_drop:jane@example.com", ref, MinPrefix)
	case len(ref) < MinPrefix:
		return nil, proactive.Errorf(proactive.EINVALID, "case id prefix %q is too short: give at least %d characters", ref, MinPrefix)
	}
	cs, err := tx.FindCases(ctx, proactive.CaseQuery{IDPrefix: strings.ToLower(ref), Limit: 6})
	if err != nil {
		return nil, fmt.Errorf("find case %s: %w", ref, err)
	}
	switch len(cs) {
	case 0:
		return nil, proactive.Errorf(proactive.ENOTFOUND, "no case id starts with %s", ref)
	case 1:
		return cs, nil
	}
	var names []string
	for _, c := range cs[:min(len(cs), 5)] {
		names = append(names, c.ID+" ("+c.Key+")")
	}
	return nil, proactive.Errorf(proactive.EINVALID, "case id prefix %s is ambiguous: it matches %s; give more characters", ref, strings.Join(names, ", "))
}

// Act applies a manual action to the case ref names at now (CONTRACT
// §10.9) and returns the case after it. ack with an email (no ":" and an
// "@") acknowledges every unresolved health and renewal case of that
// client. A resolve also closes the alerts whose cases are all resolved.
func (s *Service) Act(ctx context.Context, ref string, act lifecycle.Action, now time.Time) ([]proactive.Case, error) {
	cs, _, err := s.ActEvents(ctx, ref, act, now)
	return cs, err
}

// ActEvents is Act that also returns the events the action recorded: none
// when it changed nothing (an ack of an acknowledged case).
func (s *Service) ActEvents(ctx context.Context, ref string, act lifecycle.Action, now time.Time) ([]proactive.Case, []proactive.CaseEvent, error) {
	var (
		out      []proactive.Case
		recorded []proactive.CaseEvent
	)
	err := s.Desk.Update(ctx, func(tx proactive.DeskTx) error {
		out, recorded = nil, nil
		var targets []proactive.Case
		if act.Kind == lifecycle.ActAck && strings.Contains(ref, "@") && !strings.Contains(ref, ":") {
			cs, err := s.clientCases(ctx, tx, ref)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				return proactive.Errorf(proactive.ENOTFOUND, "client %s has no unresolved health or renewal case", strings.TrimSpace(ref))
			}
			targets = cs
		} else {
			c, err := findCase(ctx, tx, ref)
			if err != nil {
				return err
			}
			targets = []proactive.Case{c}
		}
		var updates []proactive.Case
		var events []proactive.CaseEvent
		for _, c := range targets {
			ch, err := lifecycle.Apply(c, act, now, s.newID())
			if err != nil {
				return err
			}
			out = append(out, ch.Case)
			if ch.Write {
				updates = append(updates, ch.Case)
				events = append(events, ch.Events...)
			}
		}
		if err := write(ctx, tx, updates, events); err != nil {
			return err
		}
		recorded = events
		if act.Kind == lifecycle.ActResolve {
			return scan.CloseResolvedAlerts(ctx, tx, now, nil)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.recorded(recorded)
	return out, recorded, nil
}

// clientCases are the unresolved cases of the client's email of the
// checks keyed by email (health checks and renewal risk).
func (s *Service) clientCases(ctx context.Context, tx proactive.DeskTx, email string) ([]proactive.Case, error) {
	var keys []string
	for _, c := range s.Registry.All() {
		if c.Table == proactive.TableHealthScores || slices.Contains(c.Inputs, proactive.HealthDrop) {
			keys = append(keys, proactive.CaseKey(c.Type, proactive.NormEmail(email)))
		}
	}
	cs, err := tx.UnresolvedCases(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("find the cases of %s: %w", email, err)
	}
	proactive.SortCases(cs)
	return cs, nil
}

// write stores updated cases and their events.
func write(ctx context.Context, tx proactive.DeskTx, cs []proactive.Case, evs []proactive.CaseEvent) error {
	if len(cs) > 0 {
		if err := tx.UpdateCases(ctx, cs); err != nil {
			return fmt.Errorf("update cases: %w", err)
		}
	}
	if len(evs) > 0 {
		if err := tx.AddCaseEvents(ctx, evs); err != nil {
			return fmt.Errorf("record case events: %w", err)
		}
	}
	return nil
}

// Dismiss dismisses an alert and acknowledges the cases it holds that are
// unresolved and open or snoozed (CONTRACT §10.7); dismissing again
// succeeds and changes nothing. It returns the alert and the cases it
// acknowledged.
func (s *Service) Dismiss(ctx context.Context, alertID, by string, now time.Time) (proactive.Alert, []proactive.Case, error) {
	var (
		a        proactive.Alert
		acked    []proactive.Case
		recorded []proactive.CaseEvent
	)
	if strings.TrimSpace(by) == "" {
		by = proactive.ActorCLI
	}
	err := s.Desk.Update(ctx, func(tx proactive.DeskTx) error {
		acked, recorded = nil, nil
		var err error
		if a, err = tx.GetAlert(ctx, alertID); err != nil {
			return err
		}
		if !a.IsDismissed {
			if err := tx.SetAlertDismissed(ctx, a.ID); err != nil {
				return err
			}
			a.IsDismissed = true
		}
		held := lifecycle.CaseIDsOf(a)
		if len(held) == 0 {
			return nil
		}
		cs, err := tx.CasesByID(ctx, held)
		if err != nil {
			return fmt.Errorf("read the cases of alert %s: %w", a.ID, err)
		}
		var updates []proactive.Case
		var events []proactive.CaseEvent
		for _, c := range cs {
			ch := lifecycle.Dismissed(c, by, now, s.newID())
			if ch.Write {
				updates = append(updates, ch.Case)
				events = append(events, ch.Events...)
				acked = append(acked, ch.Case)
			}
		}
		recorded = events
		return write(ctx, tx, updates, events)
	})
	if err != nil {
		return a, nil, err
	}
	s.recorded(recorded)
	return a, acked, nil
}

// Alert returns one alert (dismissed, expired or resolved too) and the
// cases it holds that exist, most urgent first, then by key: what showing
// an alert in full needs. EINVALID for a malformed id, ENOTFOUND for an
// unknown one.
func (s *Service) Alert(ctx context.Context, id string) (proactive.Alert, []proactive.Case, error) {
	var (
		a  proactive.Alert
		cs []proactive.Case
	)
	err := s.Desk.View(ctx, func(tx proactive.DeskTx) error {
		var err error
		if a, err = tx.GetAlert(ctx, id); err != nil {
			return err
		}
		held := lifecycle.CaseIDsOf(a)
		if len(held) == 0 {
			return nil
		}
		if cs, err = tx.CasesByID(ctx, held); err != nil {
			return fmt.Errorf("read the cases of alert %s: %w", a.ID, err)
		}
		return nil
	})
	if err != nil {
		return a, nil, err
	}
	slices.SortStableFunc(cs, func(x, y proactive.Case) int {
		if c := cmp.Compare(y.Urgency, x.Urgency); c != 0 {
			return c
		}
		return cmp.Compare(x.Key, y.Key)
	})
	return a, cs, nil
}

// AddSilence creates a silence at now (CONTRACT §10.8); typ, when given,
// must be a registered check.
func (s *Service) AddSilence(ctx context.Context, in proactive.Silence, until *time.Time, forDur time.Duration, now time.Time) (proactive.Silence, error) {
	if t := strings.TrimSpace(string(in.Type)); t != "" {
		typ, err := s.Registry.ParseType(t)
		if err != nil {
			return in, err
		}
		in.Type = typ
	}
	sil, err := lifecycle.NewSilence(in, until, forDur, now, s.newID())
	if err != nil {
		return sil, err
	}
	err = s.Desk.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertSilence(ctx, sil) })
	return sil, err
}

// ListSilences lists the silences not yet ended at now (started or not);
// all adds the ended ones.
func (s *Service) ListSilences(ctx context.Context, all bool, now time.Time) ([]proactive.Silence, error) {
	q := proactive.SilenceQuery{EndsAfter: now}
	if all {
		q = proactive.SilenceQuery{}
	}
	var out []proactive.Silence
	err := s.Desk.View(ctx, func(tx proactive.DeskTx) error {
		var err error
		out, err = tx.FindSilences(ctx, q)
		return err
	})
	if out == nil {
		out = []proactive.Silence{}
	}
	return out, err
}

// ExpireSilence ends a silence at now and reports whether it changed
// anything: an ended one is left as it is.
func (s *Service) ExpireSilence(ctx context.Context, ref string, now time.Time) (proactive.Silence, bool, error) {
	var (
		out     proactive.Silence
		changed bool
	)
	err := s.Desk.Update(ctx, func(tx proactive.DeskTx) error {
		sil, err := findSilence(ctx, tx, ref)
		if err != nil {
			return err
		}
		var end time.Time
		end, changed = lifecycle.Expire(sil, now)
		sil.EndsAt = end
		out = sil
		if !changed {
			return nil
		}
		return tx.SetSilenceEnd(ctx, sil.ID, end)
	})
	return out, changed && err == nil, err
}

// findSilence resolves a silence id or unique prefix.
func findSilence(ctx context.Context, tx proactive.DeskTx, ref string) (proactive.Silence, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return proactive.Silence{}, proactive.Errorf(proactive.EINVALID, "no silence given: pass its id or an id prefix of %d+ characters", MinPrefix)
	case !hexPrefix.MatchString(ref):
		return proactive.Silence{}, proactive.Errorf(proactive.EINVALID, "malformed silence id %q: give a uuid or an id prefix of %d+ hex characters", ref, MinPrefix)
	case len(ref) < MinPrefix:
		return proactive.Silence{}, proactive.Errorf(proactive.EINVALID, "silence id prefix %q is too short: give at least %d characters", ref, MinPrefix)
	}
	ss, err := tx.FindSilences(ctx, proactive.SilenceQuery{IDPrefix: strings.ToLower(ref)})
	if err != nil {
		return proactive.Silence{}, fmt.Errorf("find silence %s: %w", ref, err)
	}
	switch len(ss) {
	case 0:
		return proactive.Silence{}, proactive.Errorf(proactive.ENOTFOUND, "silence %s not found: list them with 'ptd-proactive silence list --all'", ref)
	case 1:
		return ss[0], nil
	}
	var ids []string
	for _, s := range ss[:min(len(ss), 5)] {
		ids = append(ids, s.ID)
	}
	return proactive.Silence{}, proactive.Errorf(proactive.EINVALID, "silence id prefix %s is ambiguous: it matches %s; give more characters", ref, strings.Join(ids, ", "))
}
