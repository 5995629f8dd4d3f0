package insight

import (
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// testNow is the scan's now in every insight test.
var testNow = time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)

// testReg is the product's registry of checks.
var testReg = rules.Registry()

// chk is the registered check of a group's type.
func chk(g proactive.AlertGroup) proactive.Check {
	c, ok := testReg.Lookup(g.Type)
	if !ok {
		panic("no check " + g.Type)
	}
	return c
}

// anom makes an anomaly with just what grouping, analysis and text read:
// its metric goes to Metric and to the type's details.
func anom(typ proactive.AnomalyType, sev proactive.Severity, entity string, urgency int, metric float64) proactive.Anomaly {
	a := proactive.Anomaly{
		Type: typ, Severity: sev, Entity: entity, EntityKey: entity, Key: entity,
		UrgencyScore: urgency, Metric: metric,
		RecommendedAction: "Act on " + entity + ".",
		DetectedAt:        testNow,
	}
	switch typ {
	case proactive.HealthDrop:
		a.Details = rules.HealthDropDetails{ScoreDrop: metric}
	case proactive.DealStall:
		a.Details = rules.DealStallDetails{DaysStalled: int(metric)}
	case proactive.SyncFail:
		a.Details = rules.SyncFailDetails{FailureCount: int(metric)}
	case proactive.ResponseDelay:
		a.Details = rules.ResponseDelayDetails{HoursWaiting: metric}
	}
	return a
}

// withDetail returns a with its deal stage or sync source set.
func withDetail(a proactive.Anomaly, key string, v string) proactive.Anomaly {
	switch d := a.Details.(type) {
	case rules.DealStallDetails:
		if key == "stage" {
			d.Stage = v
		}
		a.Details = d
	case rules.SyncFailDetails:
		if key == "source" {
			d.Source = v
		}
		a.Details = d
	}
	return a
}

// entities lists the entities of anomalies in order.
func entities(as []proactive.Anomaly) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Entity)
	}
	return out
}

// groupOf groups anomalies that must all be of one type and returns the group.
func groupOf(as ...proactive.Anomaly) proactive.AlertGroup {
	gs := Group(testReg, as)
	if len(gs) != 1 {
		panic("groupOf: anomalies of more than one type")
	}
	return gs[0]
}

const (
	crit = proactive.SeverityCritical
	high = proactive.SeverityHigh
	med  = proactive.SeverityMedium
	low  = proactive.SeverityLow
)
