package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// TestThroughSessionPooler: behind a connection pooler in session mode
// (PgBouncer's default, Supabase's session pooler), which refuses every
// startup parameter it does not track, the store connects, every session
// gets the settings it asks for, and the desk suite passes.
func TestThroughSessionPooler(t *testing.T) {
	t.Parallel()
	pooler := testdb.StartPooler(t, testdb.SessionPooling)
	db := mustOpenURL(t, pooler.URL(t, testdb.MustDatabase(t)), Options{MaxConns: 3, StatementTimeout: 1500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := db.Migrate(ctx)
	require.NoError(t, err)
	// Three sessions at once, each set up on its own.
	var conns []interface{ Release() }
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range 3 {
		c, err := db.pool.Acquire(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
		var timeout, jit, plans, zone, app, workMem string
		require.NoError(t, c.QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('jit'),
			current_setting('plan_cache_mode'), current_setting('TimeZone'), current_setting('application_name'), current_setting('work_mem')`).
			Scan(&timeout, &jit, &plans, &zone, &app, &workMem))
		require.Equal(t, []string{"1500ms", "off", "force_custom_plan", "UTC", ApplicationName},
			[]string{timeout, jit, plans, zone, app})
		require.NotEqual(t, "4MB", workMem, "work_mem is raised for the checks' sorts")
	}

	t.Run("desk", func(t *testing.T) {
		storetest.RunDesk(t, func(t *testing.T) proactive.Desk {
			db := mustOpenURL(t, pooler.URL(t, testdb.MustDatabase(t)), Options{})
			_, err := db.Migrate(context.Background())
			require.NoError(t, err)
			return db
		})
	})
}

// TestPoolerErrorsSayWhatToDo: what a connection pooler refuses is named
// with the way out, not reported as a database that cannot be reached.
func TestPoolerErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("transaction mode", func(t *testing.T) {
		t.Parallel()
		// One server session behind the pooler: the second store meets the
		// statements the first one prepared on it.
		pooler := testdb.StartPooler(t, testdb.TransactionPooling)
		url := pooler.URL(t, testdb.MustDatabase(t))
		first := mustOpenURL(t, url, Options{MaxConns: 1})
		first.Close()
		db, err := Open(ctx, url, Options{MaxConns: 1})
		if err == nil {
			db.Close()
		}
		require.Error(t, err)
		require.Equal(t, proactive.EUNAVAILABLE, proactive.ErrorCode(err))
		msg := proactive.ErrorMessage(err)
		for _, want := range []string{"pooler in transaction mode", "port 6543", "connect directly", "pooler in session mode"} {
			require.Contains(t, msg, want)
		}
		require.NotContains(t, msg, "cannot be reached")
	})

	t.Run("startup parameter", func(t *testing.T) {
		t.Parallel()
		pooler := testdb.StartPooler(t, testdb.SessionPooling)
		url := pooler.URL(t, testdb.MustDatabase(t))
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		db, err := Open(ctx, url+sep+"search_path=public", Options{MaxConns: 1})
		if err == nil {
			db.Close()
		}
		require.Error(t, err)
		msg := proactive.ErrorMessage(err)
		require.Contains(t, msg, "search_path")
		require.Contains(t, msg, "remove it from PTD_DATABASE_URL")
		require.Contains(t, msg, "ignore_startup_parameters")
		require.NotContains(t, msg, "cannot be reached")
	})
}

// TestSupabaseTransactionPoolerRefused: the transaction-mode poolers an
// address names for sure, Supabase's on port 6543, are refused before any
// connection (nothing listens at these addresses: a dial would fail
// otherwise, EUNAVAILABLE); its session pooler and other hosts on 6543 are
// dialled as usual.
func TestSupabaseTransactionPoolerRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, url string
		refused   bool
	}{
		{"transaction pooler", "postgres://postgres.abc:s3cretpw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres", true},
		{"any case, postgresql://", "postgresql://postgres.abc:s3cretpw@AWS-0-US-EAST-1.POOLER.SUPABASE.COM:6543/postgres?sslmode=require", true},
		{"fully qualified host", "postgres://postgres.abc:s3cretpw@aws-0-eu-central-1.pooler.supabase.com.:6543/postgres", true},
		{"dedicated pooler", "postgres://postgres.abc:s3cretpw@db.abc.supabase.co:6543/postgres", true},
		{"the database itself", "postgres://postgres:s3cretpw@db.abc.supabase.co:5432/postgres", false},
		{"session pooler", "postgres://postgres.abc:s3cretpw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres", false},
		{"another host on 6543", "postgres://postgres:s3cretpw@127.0.0.1:6543/postgres", false},
		{"a look-alike host", "postgres://postgres:s3cretpw@pooler.supabase.com.evil.example:6543/postgres", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !tc.refused {
				// Checked without dialling: only the refusal is under test.
				u, err := pgconn.ParseConfig(tc.url)
				require.NoError(t, err)
				require.NoError(t, refuseTransactionPooler(u.Host, u.Port))
				return
			}
			_, err := Open(t.Context(), tc.url, Options{ConnectTimeout: 200 * time.Millisecond})
			requireCode(t, proactive.EINVALID, err)
			msg := proactive.ErrorMessage(err)
			require.Contains(t, msg, "is a Supabase transaction pooler")
			require.Contains(t, msg, "port 5432")
			require.NotContains(t, msg, "s3cretpw")
		})
	}
}
