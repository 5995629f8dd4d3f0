package insight

import (
	"fmt"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// maxRelatedInContent is how many related issues Content lists by name.
const maxRelatedInContent = 5

// Title is the alert title of CONTRACT §4: for one member "Client Health
// Drop: <entity>", "Deal Stalled: <entity>", "Lead Response Delay:
// <entity>"; for more "<n> Clients: Health Scores Dropping", "<n> Deals
// Stalled in Pipeline", "<n> Leads Waiting for Response"; and for sync
// failures always "<entity>: <failure count of the primary> Sync Failures".
func Title(g proactive.AlertGroup) string {
	n, p := memberCount(g), g.Primary
	switch g.Type {
	case proactive.HealthDrop:
		if n == 1 {
			return "Client Health Drop: " + p.Entity
		}
		return fmt.Sprintf("%d Clients: Health Scores Dropping", n)
	case proactive.DealStall:
		if n == 1 {
			return "Deal Stalled: " + p.Entity
		}
		return fmt.Sprintf("%d Deals Stalled in Pipeline", n)
	case proactive.SyncFail:
		return fmt.Sprintf("%s: %s Sync Failures", p.Entity, rules.FormatNumber(metric(p)))
	case proactive.ResponseDelay:
		if n == 1 {
			return "Lead Response Delay: " + p.Entity
		}
		return fmt.Sprintf("%d Leads Waiting for Response", n)
	}
	return fmt.Sprintf("%s: %s", g.Type, p.Entity)
}

// Summary is the one-line summary of an alert: "health drop: <entity>.
// Urgency 85/100" for one member, and for more, say, "5 clients with health
// score drops; most urgent: <entity> (dropped 27 points). Urgency 85/100".
// The urgency is the group's combined urgency.
func Summary(g proactive.AlertGroup) string {
	n, p := memberCount(g), g.Primary
	var lead string
	switch {
	case n == 1:
		return fmt.Sprintf("%s: %s. Urgency %d/100", typeLabel(g.Type), p.Entity, g.Urgency)
	case g.Type == proactive.HealthDrop:
		lead = fmt.Sprintf("%d clients with health score drops", n)
	case g.Type == proactive.DealStall:
		lead = fmt.Sprintf("%d deals stalled in pipeline", n)
	case g.Type == proactive.SyncFail:
		lead = fmt.Sprintf("%d sync failure patterns", n)
	case g.Type == proactive.ResponseDelay:
		lead = fmt.Sprintf("%d leads waiting for response", n)
	default:
		lead = fmt.Sprintf("%d %s anomalies", n, typeLabel(g.Type))
	}
	return fmt.Sprintf("%s; most urgent: %s (%s). Urgency %d/100", lead, p.Entity, figure(p), g.Urgency)
}

// Content is the body of an alert, markdown-ish sections separated by a
// blank line, each left out when empty: the primary alert, the related
// issues (the first 5, then "… and N more"), the analysis and predicted
// impact of the group's type from a, and the primary's recommended action.
func Content(g proactive.AlertGroup, a Analysis) string {
	var sections []string
	sections = append(sections, "**Primary Alert:**\n"+primaryText(g.Primary))
	if len(g.Related) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "**Related Issues (%d):**", len(g.Related))
		for _, r := range g.Related[:min(len(g.Related), maxRelatedInContent)] {
			fmt.Fprintf(&b, "\n- %s (%s, urgency %d/100, %s)", r.Entity, r.Severity, r.UrgencyScore, figure(r))
		}
		if more := len(g.Related) - maxRelatedInContent; more > 0 {
			fmt.Fprintf(&b, "\n… and %d more", more)
		}
		sections = append(sections, b.String())
	}
	insights, predictions := a.For(g.Type)
	if s := bullets("**Analysis:**", insights); s != "" {
		sections = append(sections, s)
	}
	if s := bullets("**Predicted Impact:**", predictions); s != "" {
		sections = append(sections, s)
	}
	if action := strings.TrimSpace(g.Primary.RecommendedAction); action != "" {
		sections = append(sections, "**Recommended Action:**\n"+action)
	}
	return strings.Join(sections, "\n\n")
}

// bullets is a heading followed by one "- " line per item, or "" for none.
func bullets(heading string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return heading + "\n- " + strings.Join(items, "\n- ")
}

// primaryText is the sentence describing the primary anomaly.
func primaryText(p proactive.Anomaly) string {
	switch p.Type {
	case proactive.HealthDrop:
		current, _ := number(p.Details, "current_score")
		from, _ := number(p.Details, "previous_score")
		basis := ""
		if avg, ok := number(p.Details, "week_avg"); ok && avg > from {
			// the slide below the week's average is the larger drop
			from, basis = avg, "a recent average of "
		}
		s := fmt.Sprintf("%s health score dropped %s (from %s%s to %s).", p.Entity,
			rules.Quantity(metric(p), "point"), basis, rules.FormatNumber(from), rules.FormatNumber(current))
		if zone := text(p, "current_zone"); zone != "" {
			s += fmt.Sprintf(" Currently in %s zone.", strings.ToUpper(zone))
		}
		return s
	case proactive.DealStall:
		return fmt.Sprintf("%s has been stuck in %s stage for %s without activity.", p.Entity, text(p, "stage"), rules.Quantity(metric(p), "day"))
	case proactive.SyncFail:
		return fmt.Sprintf("%s has failed %s in the last 24 hours.", p.Entity, rules.Quantity(metric(p), "time"))
	case proactive.ResponseDelay:
		return fmt.Sprintf("%s has been waiting %s without any contact or response.", p.Entity, rules.Quantity(float64(rules.RoundHalfUp(metric(p))), "hour"))
	}
	return fmt.Sprintf("%s: %s (%s).", typeLabel(p.Type), p.Entity, p.Severity)
}

// figure is the short type-specific figure of an anomaly: "dropped 27
// points", "45 days in Proposal", "5 failures", "waiting 30 hours".
func figure(a proactive.Anomaly) string {
	switch a.Type {
	case proactive.HealthDrop:
		return "dropped " + rules.Quantity(metric(a), "point")
	case proactive.DealStall:
		return rules.Quantity(metric(a), "day") + " in " + text(a, "stage")
	case proactive.SyncFail:
		return rules.Quantity(metric(a), "failure")
	case proactive.ResponseDelay:
		return "waiting " + rules.Quantity(float64(rules.RoundHalfUp(metric(a))), "hour")
	}
	return "metric " + rules.FormatNumber(metric(a))
}

// typeLabel names an anomaly type in running text: "health drop", "deal
// stall", "sync failure", "response delay".
func typeLabel(t proactive.AnomalyType) string {
	switch t {
	case proactive.HealthDrop:
		return "health drop"
	case proactive.DealStall:
		return "deal stall"
	case proactive.SyncFail:
		return "sync failure"
	case proactive.ResponseDelay:
		return "response delay"
	}
	return strings.ReplaceAll(string(t), "_", " ")
}

// memberCount is the number of anomalies in a group.
func memberCount(g proactive.AlertGroup) int { return 1 + len(g.Related) }
