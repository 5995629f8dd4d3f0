package scan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/insight"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// alerts builds each group of actionable anomalies, in report order,
// decides its alert of the day (CONTRACT §10.6), writes it and queues its
// notifications (§10.10).
func (p *pass) alerts(ctx context.Context, res *proactive.ScanResult, analysis insight.Analysis, inhibited map[proactive.AnomalyType]string) error {
	window := p.th.DedupWindow()
	day := p.now.UTC().Format(time.DateOnly)
	for _, c := range p.s.checks {
		g := p.groups[c.Type]
		if g == nil {
			continue
		}
		grp, ok := g.reducer.Group()
		if !ok {
			continue
		}
		res.Groups = append(res.Groups, grp)
		alert := insight.BuildAlert(c, grp, analysis, p.now)
		summary := proactive.GroupSummary{
			Type: grp.Type, Severity: grp.Severity, Urgency: grp.Urgency,
			AffectedCount: grp.AffectedCount, Title: alert.Title,
		}
		isInhibited := inhibited[c.Type] != ""
		if isInhibited {
			res.Suppressed.Inhibited += g.members.anomalies
		}

		stored, found, err := p.tx.FindGroupAlert(ctx, proactive.GroupAlertQuery{Type: c.Type, Day: day, After: p.now.Add(-window), UpTo: p.now})
		if err != nil {
			return fmt.Errorf("find the %s alert of %s: %w", c.Type, day, err)
		}
		var storedPtr *proactive.Alert
		unresolved := map[string]bool{}
		if found {
			storedPtr = &stored
		}
		if found && !p.params.WithoutCases { // without cases, no member holds a case
			// Whether a held case is unresolved matters to the decision only
			// for those no longer members (a member's case is held anew):
			// only they are asked, and kept.
			// As listed (no set, no sort): a group may hold tens of
			// thousands, and asking twice for one is harmless.
			held := slices.DeleteFunc(slices.Clone(lifecycle.HeldCaseIDs(stored)), g.members.has)
			err := unresolvedCaseIDs(ctx, p.tx, held, p.s.opts.BatchSize, func(ids []string) bool {
				for _, id := range ids {
					unresolved[id] = true
				}
				return true
			})
			if err != nil {
				return fmt.Errorf("read the cases alert %s holds: %w", stored.ID, err)
			}
		}
		// The group's members as the decision reads them, for this group
		// only: released with it, before the next group's.
		members := g.members.members(isInhibited)
		g.members = memberSet{}
		d := lifecycle.DecideAlert(storedPtr, members, grp.Severity, unresolved)

		if d.Outcome != proactive.Duplicate {
			alert.SourceData[lifecycle.SourceCaseIDs] = d.CaseIDs
			alert.SourceData[lifecycle.SourceInhibitedCaseIDs] = d.Inhibited
			alert.SourceData[lifecycle.SourceWrittenAt] = p.now.Format(time.RFC3339Nano)
		}
		switch d.Outcome {
		case proactive.Inserted:
			id, err := p.tx.InsertAlert(ctx, alert)
			if err != nil {
				return fmt.Errorf("save alert %q: %w", alert.Title, err)
			}
			alert.ID = id
			res.AlertsSaved++
			p.log.InfoContext(ctx, "[saveAlert] Saved alert: "+alert.Title, "dedup_key", alert.DedupKey, "alert_id", id, "priority", alert.Priority)
		case proactive.Escalated, proactive.Updated:
			alert.ID, alert.DedupKey, alert.CreatedAt = stored.ID, stored.DedupKey, stored.CreatedAt
			if d.Outcome == proactive.Updated {
				alert.Priority = stored.Priority
			}
			expires := p.now.Add(proactive.AlertTTL)
			alert.ExpiresAt, alert.IsDismissed, alert.ResolvedAt = &expires, false, nil
			if err := p.tx.RewriteAlert(ctx, alert); err != nil {
				return fmt.Errorf("rewrite alert %s %q: %w", stored.ID, alert.Title, err)
			}
			res.AlertsSaved++
			if d.Outcome == proactive.Escalated {
				res.AlertsEscalated++
				p.log.InfoContext(ctx, "[saveAlert] Escalated alert: "+alert.Title, "dedup_key", alert.DedupKey, "alert_id", alert.ID, "priority", alert.Priority)
			} else {
				res.AlertsUpdated++
				p.log.InfoContext(ctx, fmt.Sprintf("[saveAlert] Updated alert: %s (%d new)", alert.Title, len(d.New)), "dedup_key", alert.DedupKey, "alert_id", alert.ID, "priority", alert.Priority)
			}
		case proactive.Duplicate:
			alert = stored
			res.DuplicatesSkipped++
			p.log.InfoContext(ctx, "[saveAlert] Skipping duplicate alert: "+stored.DedupKey, "dedup_key", stored.DedupKey, "alert_id", stored.ID)
		}
		if !p.params.DryRun {
			summary.Saved = d.Outcome
			summary.AlertID = alert.ID
		}
		res.AlertGroups = append(res.AlertGroups, summary)
		if err := p.notifyAlert(ctx, alert, d, members, grp.Severity); err != nil {
			return err
		}
		res.Alerts = append(res.Alerts, withoutCaseLists(alert))
	}
	res.AlertGroupsCount = len(res.AlertGroups)
	p.log.InfoContext(ctx, fmt.Sprintf("[PTD Proactive] Grouped into %d alert groups", res.AlertGroupsCount), "groups", res.AlertGroupsCount)
	return nil
}

// notifyAlert queues the messages of one alert outcome: for the members
// not inhibited (all of them for a new or escalated alert, the new ones
// for an update), to the channels whose filter admits sev and to the
// owners among those members.
func (p *pass) notifyAlert(ctx context.Context, alert proactive.Alert, d lifecycle.AlertDecision, members []lifecycle.Member, sev proactive.Severity) error {
	event := lifecycle.Event(d.Outcome)
	notified := d.Notified(members)
	if p.s.opts.Notify == nil || event == "" || len(notified) == 0 {
		return nil
	}
	var owners []string
	for _, m := range notified {
		if m.Owner != "" && !slices.Contains(owners, m.Owner) {
			owners = append(owners, m.Owner)
		}
	}
	slices.Sort(owners)
	dests := p.s.opts.Notify.AlertDestinations(alert, sev, owners)
	if len(dests) == 0 {
		return nil
	}
	var payload *proactive.NotificationPayload
	if d.Outcome == proactive.Updated {
		labels, err := p.labels(ctx, notified)
		if err != nil {
			return err
		}
		payload = &proactive.NotificationPayload{NewEntities: labels}
	}
	wall := p.s.opts.Clock().UTC()
	ns := make([]proactive.Notification, 0, len(dests))
	for _, dst := range dests {
		key := fmt.Sprintf("%s:%s:%s:%s:%d", alert.ID, dst.Channel, dst.Recipient, event, p.now.UnixNano())
		ns = append(ns, proactive.Notification{
			ID: p.newID(), AlertID: alert.ID, Channel: dst.Channel, Recipient: dst.Recipient, Event: event,
			Payload: payload, IdempotencyKey: key, Priority: alert.Priority, Status: proactive.NotificationPending,
			NextAttemptAt: wall, CreatedAt: wall, ScanID: p.scanID,
		})
	}
	if err := p.tx.Enqueue(ctx, ns); err != nil {
		return fmt.Errorf("queue the notifications of alert %s: %w", alert.ID, err)
	}
	return nil
}

// labels returns the labels of the members' cases, most urgent first.
func (p *pass) labels(ctx context.Context, ms []lifecycle.Member) ([]string, error) {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		if !slices.Contains(ids, m.CaseID) {
			ids = append(ids, m.CaseID)
		}
	}
	cs, err := p.tx.CasesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read the new members' cases: %w", err)
	}
	slices.SortStableFunc(cs, func(a, b proactive.Case) int {
		if a.Urgency != b.Urgency {
			return b.Urgency - a.Urgency
		}
		return compareLabel(a.Label, b.Label)
	})
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Label
	}
	return out, nil
}

func compareLabel(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// withoutCaseLists returns a without the case ids its source data lists
// (lifecycle.SourceCaseIDs, SourceInhibitedCaseIDs), as a scan's result
// keeps it: the row holds them, and a group's may name tens of thousands of
// cases that the scan would otherwise keep to its end, each group's.
func withoutCaseLists(a proactive.Alert) proactive.Alert {
	if a.SourceData == nil {
		return a
	}
	sd := maps.Clone(a.SourceData)
	delete(sd, lifecycle.SourceCaseIDs)
	delete(sd, lifecycle.SourceInhibitedCaseIDs)
	a.SourceData = sd
	return a
}

// closeResolvedAlerts closes every open alert whose held cases are all
// resolved (CONTRACT §10.7). The alerts of this scan's groups are not
// examined: each holds its group's members, open cases.
func (p *pass) closeResolvedAlerts(ctx context.Context, res *proactive.ScanResult) error {
	var holding []string
	for _, a := range res.Alerts {
		if a.ID != "" {
			holding = append(holding, a.ID)
		}
	}
	return CloseResolvedAlerts(ctx, p.tx, p.now, holding)
}

// CloseResolvedAlerts closes every open ptd-proactive alert at now whose
// held cases are all resolved (CONTRACT §10.7): resolved_at = now,
// expires_at = min(expires_at, now). A scan does it after its changes, a
// manual resolve after its own. The alerts in holding are known to hold
// an unresolved case (a scan's group alerts, whose members are open) and
// are not examined.
func CloseResolvedAlerts(ctx context.Context, tx proactive.DeskTx, now time.Time, holding []string) error {
	ids, err := tx.ResolvedOpenAlerts(ctx, now, holding)
	if err != nil {
		return fmt.Errorf("read open alerts: %w", err)
	}
	for _, id := range ids {
		if err := tx.CloseAlert(ctx, id, now); err != nil {
			return fmt.Errorf("close alert %s: %w", id, err)
		}
	}
	return nil
}

// unresolvedCaseIDs reads which of the case ids are of unresolved cases,
// batch ids at a time (a 30,000-case alert is not asked, nor answered, in
// one list): fn takes each batch's answer and says whether to go on.
func unresolvedCaseIDs(ctx context.Context, tx proactive.DeskTx, ids []string, batch int, fn func([]string) bool) error {
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	for len(ids) > 0 {
		n := min(batch, len(ids))
		got, err := tx.UnresolvedCaseIDs(ctx, ids[:n])
		if err != nil {
			return err
		}
		if !fn(got) {
			return nil
		}
		ids = ids[n:]
	}
	return nil
}

// notifyResolved queues, per channel that sends resolved messages, one
// message for the cases this scan resolved and the manual resolves not
// yet told on that channel, leaving out cases silenced when they resolved
// and those below the channel's priorities (CONTRACT §10.10).
func (p *pass) notifyResolved(ctx context.Context) error {
	if p.s.opts.Notify == nil {
		return nil
	}
	routes := p.s.opts.Notify.ResolvedRoutes()
	if len(routes) == 0 {
		return nil
	}
	wall := p.s.opts.Clock().UTC()
	for _, r := range routes {
		manual, err := p.tx.PendingManualResolves(ctx, r.Channel, p.now.Add(-manualResolveMemory))
		if err != nil {
			return fmt.Errorf("read manual resolves for %s: %w", r.Channel, err)
		}
		var cases []proactive.ResolvedCase
		var manualIDs []string
		add := func(c proactive.Case) {
			if c.ResolvedAt == nil || !slices.Contains(r.Priorities, c.PeakSeverity) ||
				(len(r.Types) > 0 && !slices.Contains(r.Types, c.Type)) || p.silences.MutesCase(*c.ResolvedAt, &c) {
				return
			}
			cases = append(cases, proactive.ResolvedCase{ID: c.ID, Key: c.Key, Label: c.Label, Severity: c.PeakSeverity,
				ResolvedAt: c.ResolvedAt.UTC(), ResolveReason: c.ResolveReason})
		}
		for _, c := range p.resolved {
			add(c)
		}
		for _, c := range manual {
			if c.ResolvedAt != nil && c.ResolvedAt.After(p.now) {
				continue // resolved after this scan's now: a later scan tells it
			}
			manualIDs = append(manualIDs, c.ID)
			add(c)
		}
		if len(manualIDs) > 0 {
			if err := p.tx.RecordResolveNotices(ctx, r.Channel, manualIDs); err != nil {
				return fmt.Errorf("record resolve notices for %s: %w", r.Channel, err)
			}
		}
		if len(cases) == 0 {
			continue
		}
		n := proactive.Notification{
			ID: p.newID(), Channel: r.Channel, Event: proactive.EventResolve,
			Payload:        &proactive.NotificationPayload{Cases: cases},
			IdempotencyKey: fmt.Sprintf("resolved:%s:%s", p.scanID, r.Channel),
			Priority:       topSeverity(cases), Status: proactive.NotificationPending,
			NextAttemptAt: wall, CreatedAt: wall, ScanID: p.scanID,
		}
		if err := p.tx.Enqueue(ctx, []proactive.Notification{n}); err != nil {
			return fmt.Errorf("queue the resolved message for %s: %w", r.Channel, err)
		}
	}
	return nil
}

// topSeverity is the highest severity among the cases.
func topSeverity(cs []proactive.ResolvedCase) proactive.Severity {
	var top proactive.Severity
	for _, c := range cs {
		if c.Severity.Rank() > top.Rank() {
			top = c.Severity
		}
	}
	return top
}
