package scan_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// A check whose keys come in byte order, batch after batch, has each
// batch's cases read as one key range that no other batch's overlaps; a
// batch out of order is looked up key by key, and so is every later batch
// of that check. Either way every case is found: a second scan opens none
// and the desk holds one case per deal.
func TestScanReadsOrderedBatchesAsKeyRanges(t *testing.T) {
	t.Parallel()
	const n, batch = 25, 10 // three batches: 10, 10, 5
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("d%03d", i)
	}
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	// Each batch ascending, the second starting below the first's end.
	overlapping := slices.Concat(ids[10:20], ids[0:10], ids[20:])
	tests := []struct {
		name        string
		order       []string
		wantBetween int // batches read as a range, first ones
		wantProbed  int // batches read key by key, the rest
	}{
		{"in key order", ids, 3, 0},
		{"reversed", reversed, 0, 3},
		{"a later batch starts inside an earlier one's range", overlapping, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := storetest.Now()
			f := &fakeStore{}
			for _, id := range tt.order {
				f.deals = append(f.deals, proactive.Deal{ID: id, Name: "Deal " + id, Stage: "Proposal", LastActivity: now.Add(-20 * 24 * time.Hour)})
			}
			desk := memstore.New(uuid.NewString)
			spy := &caseSpy{Desk: desk}
			sc, err := scan.New(scan.Options{Store: f, Desk: spy, BatchSize: batch, Settings: proactive.DefaultSettings(),
				Notify: router{}, Logger: slog.New(slog.DiscardHandler)})
			require.NoError(t, err)
			ctx := context.Background()
			first, err := sc.Run(ctx, scan.Params{Now: now, Trigger: "test"})
			require.NoError(t, err)
			require.Equal(t, n, first.Cases.Opened)

			spy.calls, spy.ranges = nil, nil
			second, err := sc.Run(ctx, scan.Params{Now: now.Add(time.Hour), Trigger: "test"})
			require.NoError(t, err)
			require.Zero(t, second.Cases.Opened, "every case was found")
			require.Equal(t, n, second.Cases.Open)
			require.Len(t, desk.AllCases(), n, "one case per deal")
			for _, c := range desk.AllCases() {
				require.True(t, c.LastSeenAt.Equal(now.Add(time.Hour)), "case %s seen at %s, not in the second scan", c.Key, c.LastSeenAt)
			}

			var between, probed, touchedBetween int
			for _, c := range spy.calls {
				switch c {
				case "TouchCasesBetween":
					touchedBetween++
				case "SeenCasesBetween":
					require.Zero(t, probed, "no range after a lookup key by key")
					between++
				case "SeenCases":
					probed++
				}
			}
			require.Equal(t, tt.wantBetween, between, "batches read as a range")
			require.Equal(t, tt.wantProbed, probed, "batches read key by key")
			require.Equal(t, tt.wantBetween, touchedBetween, "batches read as a range are touched as one")
			for i, r := range spy.ranges {
				require.LessOrEqual(t, r[0], r[1])
				if i > 0 {
					require.Greater(t, r[0], spy.ranges[i-1][1], "ranges do not overlap")
				}
			}
			if tt.wantBetween == 3 {
				require.Equal(t, [2]string{"deal_stall:deal-d000", "deal_stall:deal-d009"}, spy.ranges[0])
				require.Equal(t, [2]string{"deal_stall:deal-d020", "deal_stall:deal-d024"}, spy.ranges[2])
			}
		})
	}
}
