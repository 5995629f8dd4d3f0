package storetest

import (
	"context"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// The suite reads the four source readers through these helpers, which
// gather what a reader delivers into a slice: the suite compares whole
// results, the product never gathers them.

// readTrends reads the health trends of q.
func readTrends(ctx context.Context, s proactive.SourceReader, q proactive.HealthQuery) ([]proactive.HealthTrend, proactive.Skipped, error) {
	return s.HealthTrends(ctx, q)
}

// readDeals reads the stalled deals of q.
func readDeals(ctx context.Context, s proactive.SourceReader, q proactive.DealQuery) ([]proactive.Deal, proactive.Skipped, error) {
	return s.StalledDeals(ctx, q)
}

// readSync reads the sync failure groups of q.
func readSync(ctx context.Context, s proactive.SourceReader, q proactive.SyncQuery) ([]proactive.SyncFailureGroup, proactive.Skipped, error) {
	return s.SyncFailures(ctx, q)
}

// readLeads reads the waiting leads of q.
func readLeads(ctx context.Context, s proactive.SourceReader, q proactive.LeadQuery) ([]proactive.Lead, proactive.Skipped, error) {
	return s.WaitingLeads(ctx, q)
}
