package postgres

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// decodeCase reads the binary values of a case row as pgx's scan does,
// for every column set and for every nullable one null, and the cases
// the desk returns come through it.
func TestDecodeCaseMatchesScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)
	full := proactive.Case{
		ID: uuid.NewString(), Type: proactive.DealStall, Key: "deal_stall:deal-1", Label: "Deal ünïcode",
		State: proactive.CaseResolved, Severity: proactive.SeverityHigh, PeakSeverity: proactive.SeverityCritical,
		Urgency: -7, OpenedAt: at, LastSeenAt: at.Add(time.Hour), ResolvedAt: new(at.Add(2 * time.Hour)),
		ResolveReason: proactive.ResolveManual, Owner: "Ann", AcknowledgedBy: "bob", AcknowledgedAt: new(at.Add(-time.Hour)),
		AckSeverity: proactive.SeverityMedium, SnoozedUntil: new(time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC)),
		SnoozeReason: "later", InhibitedBy: "sync_fail:x", Note: "n", PreviousCaseID: uuid.NewString(),
		Details: json.RawMessage(`{"b":1, "a":[2.5]}`), Seq: 3, UpdatedAt: at, Assigned: true,
		WokeAt: new(at.Add(time.Minute)), Metric: 12.25,
	}
	bare := proactive.Case{ID: uuid.NewString(), Type: proactive.HealthDrop, Key: "health_drop:a@x.com", State: proactive.CaseOpen,
		OpenedAt: at, LastSeenAt: at, UpdatedAt: at}
	live := full // every field of the scan's view set, unresolved
	live.ID, live.Key, live.State, live.ResolvedAt, live.ResolveReason = uuid.NewString(), "deal_stall:deal-2", proactive.CaseAcknowledged, nil, ""
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, []proactive.Case{full, bare, live}) }))

	rows, err := db.pool.Query(ctx, "SELECT "+caseColumns("")+" FROM ptd_cases ORDER BY key")
	require.NoError(t, err)
	defer rows.Close()
	require.True(t, binaryResult(rows.FieldDescriptions(), caseOIDs()), "pgx asks for the binary forms decodeCase reads")
	var decoded, scanned []proactive.Case
	for rows.Next() {
		d, err := decodeCase(rows.RawValues())
		require.NoError(t, err)
		s, err := scanCase(rows)
		require.NoError(t, err)
		decoded, scanned = append(decoded, d), append(scanned, s)
	}
	require.NoError(t, rows.Err())
	require.Len(t, decoded, 3)
	require.Equal(t, scanned, decoded)
	require.Equal(t, full.SnoozedUntil, decoded[0].SnoozedUntil, "a time before 2000 (negative microseconds)")

	var got []proactive.Case
	require.NoError(t, db.View(ctx, func(tx proactive.DeskTx) error {
		var err error
		got, err = tx.UnresolvedCases(ctx, []string{bare.Key})
		return err
	}))
	require.Equal(t, []proactive.Case{scanned[2]}, got)

	_, err = decodeCase(make([][]byte, len(caseOIDs())))
	require.ErrorContains(t, err, "no binary int4", "a null where a value must be is an error, not a zero")

	// The scan's view, read in binary through execRaw: the whole case's
	// view, field for field (SeenCases reads no resolved case).
	var seen []proactive.Case
	require.NoError(t, db.View(ctx, func(tx proactive.DeskTx) error {
		var err error
		seen, err = tx.SeenCases(ctx, []string{bare.Key, full.Key, live.Key})
		return err
	}))
	proactive.SortCases(seen)
	want := []proactive.Case{scanned[1].ScanView(), scanned[2].ScanView()}
	proactive.SortCases(want)
	require.Equal(t, want, seen)
	require.Equal(t, proactive.SeverityMedium, seen[0].AckSeverity+seen[1].AckSeverity, "the acknowledged case's ack severity")
	_, err = decodeSeenCase(make([][]byte, 3))
	require.ErrorContains(t, err, "3 columns, not 17")
}
