package rules

import (
	"fmt"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Checks returns every check the product knows, in report order (CONTRACT
// §11.10). This list is the one place a check is registered.
func Checks() []proactive.Check {
	return []proactive.Check{
		HealthDropCheck(),
		DealStallCheck(),
		SyncFailCheck(),
		ResponseDelayCheck(),
		HealthForecastCheck(),
		HealthAnomalyCheck(),
		RenewalRiskCheck(),
		CoachWorkloadCheck(),
	}
}

// Registry returns the registry of Checks.
func Registry() *proactive.Registry {
	r, err := proactive.NewRegistry(Checks()...)
	if err != nil {
		panic(err) // the list above is fixed: a test proves it is valid
	}
	return r
}

// sourceAs returns the scan's source as the reader interface a check
// needs, or an EINTERNAL error naming what the store cannot read.
func sourceAs[R any](source any, what string) (R, error) {
	r, ok := source.(R)
	if !ok {
		var zero R
		return zero, proactive.Errorf(proactive.EINTERNAL, "this store cannot read %s (%T)", what, source)
	}
	return r, nil
}

// emitOne reports one anomaly through emit.
func emitOne(emit proactive.Emitter, a proactive.Anomaly) error {
	if err := emit.Anomaly(a); err != nil {
		return fmt.Errorf("report %s: %w", a.Entity, err)
	}
	return nil
}

// emitAll reports each anomaly through emit, stopping at the first error.
func emitAll(emit proactive.Emitter, as []proactive.Anomaly) error {
	for i := range as {
		if err := emit.Anomaly(as[i]); err != nil {
			return fmt.Errorf("report %s: %w", as[i].Entity, err)
		}
	}
	return nil
}

// The forms of the backtest's outcome keys (CONTRACT §12), by the entity a
// check's cases are about: a client (its email), a deal, a lead.
func clientOutcome(id string) bool { return strings.Contains(id, "@") }
func dealOutcome(id string) bool   { return strings.HasPrefix(id, "deal-") }
func leadOutcome(id string) bool   { return strings.HasPrefix(id, "lead-") }
