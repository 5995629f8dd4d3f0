package bench

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/internal/testdb"
)

var seedNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// mustQuery runs a query returning one row of int64s.
func mustQuery(t *testing.T, url, sql string, args ...any) []int64 {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), sql, args...)
	require.NoError(t, err)
	defer rows.Close()
	require.True(t, rows.Next(), sql)
	vals, err := rows.Values()
	require.NoError(t, err)
	out := make([]int64, len(vals))
	for i, v := range vals {
		out[i] = v.(int64)
	}
	return out
}

// checksum fingerprints the generated rows of every source table.
const checksum = `SELECT
	(SELECT hashtext(string_agg(concat_ws('|', email, firstname, lastname, health_score, health_zone, calculated_at), ',' ORDER BY calculated_at, email))::int8 FROM client_health_scores),
	(SELECT hashtext(string_agg(concat_ws('|', name, stage, amount, contact_id, created_at, updated_at, last_activity_date), ',' ORDER BY name))::int8 FROM deals),
	(SELECT hashtext(string_agg(concat_ws('|', error_type, source, object_type, error_message, created_at, retry_count, resolved_at), ',' ORDER BY error_message))::int8 FROM sync_errors),
	(SELECT hashtext(string_agg(concat_ws('|', name, email, created_at, status, source, last_contact_date), ',' ORDER BY email))::int8 FROM leads)`

func TestSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const clients = 2000
	for _, v := range Variants() {
		t.Run(string(v), func(t *testing.T) {
			t.Parallel()
			a, b := testdb.MustDatabase(t), testdb.MustDatabase(t)
			require.NoError(t, Seed(ctx, a, v, clients, seedNow, 1))
			require.NoError(t, Seed(ctx, b, v, clients, seedNow, 1))
			require.Equal(t, mustQuery(t, a, checksum), mustQuery(t, b, checksum), "the same data from the same inputs")

			counts := mustQuery(t, a, `SELECT (SELECT count(*) FROM client_health_scores), (SELECT count(*) FROM deals),
				(SELECT count(*) FROM sync_errors), (SELECT count(*) FROM leads)`)
			require.Equal(t, []int64{14 * clients, clients, clients / 2, clients}, counts)

			err := Seed(ctx, a, v, clients, seedNow, 1)
			require.ErrorContains(t, err, "already has rows")
		})
	}
	t.Run("the high variant has the shared harness's anomaly share", func(t *testing.T) {
		t.Parallel()
		url := testdb.MustDatabase(t)
		require.NoError(t, Seed(ctx, url, High, clients, seedNow, 1))
		got := mustQuery(t, url, `SELECT
			(SELECT count(*) FROM (SELECT email FROM client_health_scores GROUP BY email
				HAVING (array_agg(health_score ORDER BY calculated_at DESC))[2] - (array_agg(health_score ORDER BY calculated_at DESC))[1] >= 10) d),
			(SELECT count(*) FROM deals WHERE stage IN ('Assessment', 'Proposal', 'Negotiation', 'Trial')
				AND coalesce(last_activity_date, updated_at, created_at) <= $1::timestamptz - interval '14 days'),
			(SELECT count(*) FROM leads WHERE status = 'new' AND last_contact_date IS NULL AND created_at <= $1::timestamptz - interval '6 hours'),
			(SELECT count(*) FROM sync_errors WHERE resolved_at IS NULL AND created_at >= $1::timestamptz - interval '24 hours')`, seedNow)
		// At 100,000 clients: about 5,000 sudden drops, 31,000 stalled
		// deals, 29,000 waiting leads (gen.sql's shares); ±20% here.
		require.InDelta(t, 0.05*clients, got[0], 0.2*0.05*clients, "sudden drops")
		require.InDelta(t, 0.307*clients, got[1], 0.2*0.307*clients, "stalled deals")
		require.InDelta(t, 0.289*clients, got[2], 0.2*0.289*clients, "waiting leads")
		require.InDelta(t, 0.7/3*clients/2, got[3], 0.2*0.7/3*clients/2, "unresolved sync errors of the last 24 h")
	})
	t.Run("an unknown variant is refused", func(t *testing.T) {
		t.Parallel()
		err := Seed(ctx, "postgres://unused", "odd", 10, seedNow, 1)
		require.ErrorContains(t, err, `unknown data variant "odd"`)
	})
}
