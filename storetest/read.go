package storetest

import (
	"context"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// The suites and the stores' own tests read the four source readers
// through these helpers, which gather what a reader streams into a slice:
// a test compares whole results, the product never gathers them.

// Trends reads the health trends of q into a slice.
func Trends(ctx context.Context, s proactive.SourceReader, q proactive.HealthQuery) ([]proactive.HealthTrend, proactive.Skipped, error) {
	var out []proactive.HealthTrend
	skipped, err := s.HealthTrends(ctx, q, func(t proactive.HealthTrend) error { out = append(out, t); return nil })
	return out, skipped, err
}

// Deals reads the stalled deals of q into a slice.
func Deals(ctx context.Context, s proactive.SourceReader, q proactive.DealQuery) ([]proactive.Deal, proactive.Skipped, error) {
	var out []proactive.Deal
	skipped, err := s.StalledDeals(ctx, q, func(d proactive.Deal) error { out = append(out, d); return nil })
	return out, skipped, err
}

// SyncGroups reads the sync failure groups of q into a slice.
func SyncGroups(ctx context.Context, s proactive.SourceReader, q proactive.SyncQuery) ([]proactive.SyncFailureGroup, proactive.Skipped, error) {
	var out []proactive.SyncFailureGroup
	skipped, err := s.SyncFailures(ctx, q, func(g proactive.SyncFailureGroup) error { out = append(out, g); return nil })
	return out, skipped, err
}

// Leads reads the waiting leads of q into a slice.
func Leads(ctx context.Context, s proactive.SourceReader, q proactive.LeadQuery) ([]proactive.Lead, proactive.Skipped, error) {
	var out []proactive.Lead
	skipped, err := s.WaitingLeads(ctx, q, func(l proactive.Lead) error { out = append(out, l); return nil })
	return out, skipped, err
}
