package postgres

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// The arrays the desk encodes itself reach the server as pgx's own
// encoding of the same values does: each is cast to text on the server
// both ways and compared.
func TestRawArraysMatchPgx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	y2k := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	id1, id2 := "6f1c3a52-7d3e-4c36-9d7a-4d2f0f1b2c3d", "0195D1B2-0000-7000-8000-00000000000A"
	for _, tc := range []struct {
		name, cast string
		raw        []byte
		pgx        any
	}{
		{"texts", "text[]", textArray([]string{"a", "", "Deal ünïcode", `q"uo\te`, "x y,z"}), []string{"a", "", "Deal ünïcode", `q"uo\te`, "x y,z"}},
		{"no texts", "text[]", textArray(nil), []string{}},
		{"int4s", "int4[]", int4Array([]int32{0, -7, math.MaxInt32, math.MinInt32}), []int32{0, -7, math.MaxInt32, math.MinInt32}},
		{"float8s", "float8[]", float8Array([]float64{0, -1.5, 1e-300, 12.25}), []float64{0, -1.5, 1e-300, 12.25}},
		{"timestamps", "timestamptz[]",
			timestamptzArray([]time.Time{y2k, y2k.Add(-time.Microsecond), time.Date(2026, 3, 4, 5, 6, 7, 891011999, time.FixedZone("x", 3600))}),
			[]time.Time{y2k, y2k.Add(-time.Microsecond), time.Date(2026, 3, 4, 5, 6, 7, 891011999, time.FixedZone("x", 3600))}},
		{"uuids", "uuid[]", mustUUIDs(id1, id2), []string{id1, id2}},
		{"uuids in other forms", "uuid[]", mustUUIDs("{"+id1+"}", "6f1c3a527d3e4c369d7a4d2f0f1b2c3d"),
			[]string{"{" + id1 + "}", "6f1c3a527d3e4c369d7a4d2f0f1b2c3d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, db.View(ctx, func(tx proactive.DeskTx) error {
				dtx := tx.(*deskTx)
				var viaRaw, viaPgx string
				if _, err := dtx.execRaw(ctx, "SELECT $1::"+tc.cast+"::text", [][]byte{tc.raw}, func(v [][]byte) error {
					viaRaw = string(v[0])
					return nil
				}); err != nil {
					return err
				}
				if err := dtx.tx.QueryRow(ctx, "SELECT $1::"+tc.cast+"::text", tc.pgx).Scan(&viaPgx); err != nil {
					return err
				}
				require.Equal(t, viaPgx, viaRaw)
				return nil
			}))
		})
	}
}

// mustUUIDs is uuidArray's array of ids, all of them uuids.
func mustUUIDs(ids ...string) []byte {
	b, kept := uuidArray(ids)
	if kept != len(ids) {
		panic("not all uuids")
	}
	return b
}

// uuidArray leaves out what uuid.Parse cannot read and says so;
// TouchCases then touches the others, RefreshCases refuses the batch.
func TestUUIDArrayLeavesOutMalformedIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ids  []string
		kept int
	}{
		{[]string{"6f1c3a52-7d3e-4c36-9d7a-4d2f0f1b2c3d"}, 1},
		{[]string{"6f1c3a52-7d3e-4c36-9d7a-4d2f0f1b2c3d", "not-a-uuid", "6f1c3a527d3e4c369d7a4d2f0f1b2c3d"}, 2},
		{[]string{"6f1c3a52-7d3e-4c36-9d7a-4d2f0f1b2c3g"}, 0},
		{[]string{"6f1c3a52-7d3e-4c36-9d7a_4d2f0f1b2c3d"}, 0},
		{nil, 0},
	} {
		b, kept := uuidArray(tc.ids)
		require.Equal(t, tc.kept, kept, "%v", tc.ids)
		if kept == 0 {
			require.Equal(t, arrayHeader(2950, 0, 0), b)
		} else {
			require.Len(t, b, 20+20*kept)
		}
	}
}

// A statement execRaw prepared on a connection is prepared again after it
// fails, as pgx's own cache does: a column type changed under a running
// service (another version's migration) fails one lookup, not every
// lookup on that connection until a restart.
func TestRawStatementRecoversFromASchemaChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := mustMigrate(t)
	db := mustOpenURL(t, url, Options{MaxConns: 1}) // one connection: the statement's
	c := storetest.SampleCase("deal_stall:deal-1", testNow)
	c.Label = "Deal 1"
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error { return tx.InsertCases(ctx, []proactive.Case{c}) }))
	seen := func() ([]proactive.Case, error) {
		var cs []proactive.Case
		err := db.View(ctx, func(tx proactive.DeskTx) error {
			var err error
			cs, err = tx.SeenCases(ctx, []string{c.Key})
			return err
		})
		return cs, err
	}
	cs, err := seen()
	require.NoError(t, err)
	require.Len(t, cs, 1)

	other := mustConnect(t, url)
	_, err = other.Exec(ctx, `ALTER TABLE ptd_cases ALTER COLUMN label TYPE varchar(200)`)
	require.NoError(t, err)

	_, _ = seen() // may fail once: the prepared statement's result type changed
	cs, err = seen()
	require.NoError(t, err, "the statement is prepared again")
	require.Len(t, cs, 1)
	require.Equal(t, "Deal 1", cs[0].Label)
}

// seenColumnCount counts seenColumns: the server returns as many.
func TestSeenColumnCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	rows, err := db.pool.Query(ctx, "SELECT "+seenColumns+" FROM ptd_cases")
	require.NoError(t, err)
	defer rows.Close()
	require.Len(t, rows.FieldDescriptions(), seenColumnCount)
}
