package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// The series arrays decode as pgx encodes them: values, times (before
// 2000 too, to the microsecond), empty arrays; a null element or a cut
// array is an error, not a short series.
func TestDecodeSeriesArrays(t *testing.T) {
	t.Parallel()
	m := pgtype.NewMap()
	enc := func(oid uint32, v any) []byte {
		b, err := m.Encode(oid, pgtype.BinaryFormatCode, v, nil)
		require.NoError(t, err)
		return b
	}
	scores := []float64{92.5, -0.25, 100, 0}
	got, err := decodeFloat8Array(enc(pgtype.Float8ArrayOID, scores), []float64{7})
	require.NoError(t, err)
	require.Equal(t, append([]float64{7}, scores...), got, "appended to dst")

	times := []time.Time{
		time.Date(2026, 12, 1, 10, 0, 0, 123456000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	}
	ts, err := decodeTimestamptzArray(enc(pgtype.TimestamptzArrayOID, times), nil)
	require.NoError(t, err)
	require.Equal(t, times, ts)

	empty, err := decodeFloat8Array(enc(pgtype.Float8ArrayOID, []float64{}), nil)
	require.NoError(t, err)
	require.Empty(t, empty)

	one := 1.0
	_, err = decodeFloat8Array(enc(pgtype.Float8ArrayOID, []*float64{&one, nil}), nil)
	require.ErrorContains(t, err, "null")
	full := enc(pgtype.Float8ArrayOID, scores)
	_, err = decodeFloat8Array(full[:len(full)-3], nil)
	require.Error(t, err, "a cut array")
	_, err = decodeTimestamptzArray(enc(pgtype.TimestamptzArrayOID, []pgtype.Timestamptz{{InfinityModifier: pgtype.Infinity, Valid: true}}), nil)
	require.ErrorContains(t, err, "infinite")
}

// PostgreSQL sends the first pass's columns in the forms the fast path
// reads, so HealthSeries takes it (the storetest series tests then hold
// it to the SQLite store's results).
func TestSeriesResultIsRaw(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	rows, err := db.pool.Query(context.Background(), `SELECT 'a@x.com'::text, ARRAY[1.5, 2]::float8[], ARRAY[now()]::timestamptz[]`)
	require.NoError(t, err)
	defer rows.Close()
	require.True(t, seriesRaw(rows.FieldDescriptions()))
	require.True(t, rows.Next())
	v := rows.RawValues()
	got, err := decodeFloat8Array(v[1], nil)
	require.NoError(t, err)
	require.Equal(t, []float64{1.5, 2}, got)
}
