package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// BenchDesk times the bulk primitives a scan leans on, n cases at a time,
// each in one transaction on d (an empty, migrated desk): Insert (n new
// cases), Events (n events), Update (every column of n cases), Touch (n
// ids) and Lookup (the unresolved cases of n keys).
func BenchDesk(b *testing.B, d proactive.Desk, n int) {
	now := Now()
	ctx := b.Context()
	batch := func(round int) []proactive.Case {
		cs := make([]proactive.Case, n)
		for i := range cs {
			cs[i] = SampleCase(fmt.Sprintf("health_drop:client%d-r%d@example.com", i, round), now)
			cs[i].Urgency = i % 100
		}
		return cs
	}
	base := batch(0)
	require.NoError(b, d.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, base) }))
	ids, keys := make([]string, n), make([]string, n)
	for i, c := range base {
		ids[i], keys[i] = c.ID, c.Key
	}
	b.Run("Insert", func(b *testing.B) {
		round := 1
		for b.Loop() {
			b.StopTimer()
			cs := batch(round)
			round++
			b.StartTimer()
			require.NoError(b, d.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, cs) }))
		}
	})
	b.Run("Events", func(b *testing.B) {
		seq := 1
		for b.Loop() {
			b.StopTimer()
			evs := make([]proactive.CaseEvent, n)
			for i, id := range ids {
				evs[i] = proactive.CaseEvent{ID: uuid.NewString(), CaseID: id, Seq: seq, At: now, Kind: proactive.EventCommented,
					Actor: "bench", Severity: proactive.SeverityHigh, Note: "a note"}
			}
			seq++
			b.StartTimer()
			require.NoError(b, d.Update(ctx, func(tx proactive.DeskTx) error { return tx.AddCaseEvents(ctx, evs) }))
		}
	})
	b.Run("Update", func(b *testing.B) {
		for b.Loop() {
			for i := range base {
				base[i].Urgency++
				base[i].Seq++
			}
			require.NoError(b, d.Update(ctx, func(tx proactive.DeskTx) error { return tx.UpdateCases(ctx, base) }))
		}
	})
	b.Run("Touch", func(b *testing.B) {
		at := now
		for b.Loop() {
			at = at.Add(time.Minute)
			require.NoError(b, d.Update(ctx, func(tx proactive.DeskTx) error { return tx.TouchCases(ctx, ids, at) }))
		}
	})
	b.Run("Lookup", func(b *testing.B) {
		for b.Loop() {
			require.NoError(b, d.View(ctx, func(tx proactive.DeskTx) error {
				got, err := tx.UnresolvedCases(ctx, keys)
				if err == nil && len(got) != n {
					err = fmt.Errorf("looked up %d cases, found %d", n, len(got))
				}
				return err
			}))
		}
	})
}
