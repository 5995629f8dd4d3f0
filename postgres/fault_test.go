package postgres

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// TestOpenDownDatabase opens a database nobody listens for: a clear
// EUNAVAILABLE error, fast, naming the place and what to check, never the
// password.
func TestOpenDownDatabase(t *testing.T) {
	t.Parallel()
	testdb.AdminURL(t) // the suite's switch: skip with the other PostgreSQL tests
	// A listener that accepts and never answers, as a hung server does.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { silent.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	cases := []struct{ name, url string }{
		{"refused", "postgres://ptd:s3cretpw@127.0.0.1:1/proactive?sslmode=disable"},
		{"no answer", "postgresql://ptd:s3cretpw@" + silent.Addr().String() + "/proactive?sslmode=disable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := Open(context.Background(), tc.url, Options{ConnectTimeout: 500 * time.Millisecond})
			require.Less(t, time.Since(start), 3*time.Second, "ConnectTimeout bounds it")
			requireCode(t, proactive.EUNAVAILABLE, err)
			msg := err.Error()
			require.NotContains(t, msg, "s3cretpw")
			require.Contains(t, msg, "cannot be reached")
			require.Contains(t, msg, "PTD_DATABASE_URL (or --db)")
			require.Contains(t, msg, "PostgreSQL is running")
			require.Contains(t, proactive.ErrorMessage(err), "/proactive")
		})
	}
}

// TestOpenRefusesBadInput: a URL that is not postgres://, options out of
// range; the password never shows.
func TestOpenRefusesBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := Open(ctx, "mysql://u:s3cretpw@h/db", Options{})
	requireCode(t, proactive.EINVALID, err)
	require.NotContains(t, err.Error(), "s3cretpw")
	_, err = Open(ctx, "postgres://u:s3cretpw@h:notaport/db", Options{})
	requireCode(t, proactive.EINVALID, err)
	require.NotContains(t, err.Error(), "s3cretpw")
	// A password given as a query parameter or in the key=value form, in
	// a string that does not parse.
	for _, u := range []string{
		"postgres://u@127.0.0.1:1/x?password=s3cretpw&sslmode=bogus",
		"postgres://u@127.0.0.1:1/x?sslmode=disable&password=s3cretpw&connect_timeout=bogus",
		"postgres://u@127.0.0.1:1/x?sslpassword=s3cretpw&sslmode=bogus",
		"postgres://u:s3cretpw@127.0.0.1:1/x?sslmode=bogus",
		"host=127.0.0.1 port=1 user=u password=s3cretpw dbname=x",
	} {
		_, err = Open(ctx, u, Options{})
		requireCode(t, proactive.EINVALID, err)
		require.NotContains(t, err.Error(), "s3cretpw", u)
		require.NotContains(t, proactive.ErrorMessage(err), "s3cretpw", u)
	}
	_, err = Open(ctx, "postgres://h/db", Options{MaxConns: -1})
	requireCode(t, proactive.EINVALID, err)
	_, err = Open(ctx, "postgres://h/db", Options{StatementTimeout: -time.Second})
	requireCode(t, proactive.EINVALID, err)
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable":        "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgresql://u@h/db":                              "postgresql://u@h/db",
		"postgres://h/db":                                  "postgres://h/db",
		"postgres://u:p@ss@h/db":                           "postgres://u:xxxxx@h/db",
		"postgres://u:pa/ss@h:5432/db":                     "postgres://u:xxxxx@h:5432/db",
		"postgres://u:p?s#s/x@h/db?sslmode=require":        "postgres://u:xxxxx@h/db?sslmode=require",
		"postgres://h:5432/db?application_name=a@b":        "postgres://h:xxxxx@b", // no password: hidden all the same
		"postgres://u@h/db?application_name=a@b":           "postgres://u@h/db?application_name=a@b",
		"host=h user=u password=s3cretpw":                  "host=h user=u password=xxxxx",
		"postgres://u@h/x?password=s3cretpw&sslmode=bogus": "postgres://u@h/x?password=xxxxx&sslmode=bogus",
	} {
		require.Equal(t, want, Redact(in), in)
	}
}

// TestOpenNeverPrintsAnUnescapedPassword: a password with a "/" (as
// generated passwords often have) makes the URL unparsable; the error says
// so without printing it.
func TestOpenNeverPrintsAnUnescapedPassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"postgres://ptd:s3cr/etpw@127.0.0.1:5432/proactive",
		"postgres://ptd:s3cr?etpw@127.0.0.1:5432/proactive",
		"postgres://ptd:s3cr#etpw@127.0.0.1:1/proactive",
		"postgres://ptd:s3cr etpw@127.0.0.1:1/proactive",
	} {
		_, err := Open(context.Background(), u, Options{ConnectTimeout: 500 * time.Millisecond})
		require.Error(t, err, u)
		for _, part := range []string{"s3cr/etpw", "s3cr?etpw", "s3cr#etpw", "s3cr etpw", "etpw"} {
			require.NotContains(t, err.Error(), part, u)
		}
	}
}

// TestTerminatedMidSave terminates the backend of a desk transaction between the
// alert's insert and its outbox row: a clear EUNAVAILABLE error, nothing
// half-written, and the next save succeeds.
func TestTerminatedMidSave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustMigrate(t)
	admin := mustConnect(t, url)
	key := "health_drop_jane@example.com_2025-12-10"

	// Hold the outbox so that the save stops after writing the alert row.
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "LOCK TABLE ptd_notifications IN EXCLUSIVE MODE")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := save(ctx, db, key, proactive.SeverityCritical, proactive.ChannelSlack)
		done <- err
	}()
	pid := waitForLockWaiter(t, admin)
	terminate(t, admin, pid)
	err = <-done
	require.NoError(t, tx.Rollback(ctx))

	requireCode(t, proactive.EUNAVAILABLE, err)
	require.Contains(t, err.Error(), "cannot be reached")
	require.Contains(t, err.Error(), "PTD_DATABASE_URL")
	require.Equal(t, 0, mustCount(t, db, "SELECT count(*) FROM proactive_insights"), "the alert row went with its transaction")
	require.Equal(t, 0, mustCount(t, db, "SELECT count(*) FROM ptd_notifications"))

	res, err := save(ctx, db, key, proactive.SeverityCritical, proactive.ChannelSlack)
	require.NoError(t, err)
	require.Equal(t, proactive.Inserted, res.Outcome)
	require.Equal(t, 1, mustCount(t, db, "SELECT count(*) FROM ptd_notifications"))
}

// TestDeskLockHeldElsewhere holds the desk lock in another session: an
// Update waits for it (a View does not), and when its backend is
// terminated while it waits, the error is EUNAVAILABLE, nothing ran, and
// the next Update succeeds.
func TestDeskLockHeldElsewhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustMigrate(t)
	admin := mustConnect(t, url)
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, deskLockSQL)
	require.NoError(t, err)

	require.NoError(t, db.View(ctx, func(proactive.DeskTx) error { return nil }), "a view takes no lock")
	ran := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- db.Update(ctx, func(proactive.DeskTx) error { ran <- struct{}{}; return nil })
	}()
	terminate(t, admin, waitForLockWaiter(t, admin))
	err = <-done
	require.NoError(t, tx.Rollback(ctx))
	requireCode(t, proactive.EUNAVAILABLE, err)
	require.Contains(t, err.Error(), "take the desk lock")
	require.Empty(t, ran, "the function never ran without the lock")

	require.NoError(t, db.Update(ctx, func(proactive.DeskTx) error { return nil }))
}

// TestTerminatedMidRead terminates the backend of a check while it reads:
// EUNAVAILABLE, and the next read succeeds.
func TestTerminatedMidRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustMigrate(t)
	admin := mustConnect(t, url)
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "LOCK TABLE client_health_scores IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, _, err := storetest.Trends(ctx, db, proactive.HealthQuery{Now: testNow})
		done <- err
	}()
	terminate(t, admin, waitForLockWaiter(t, admin))
	err = <-done
	require.NoError(t, tx.Rollback(ctx))
	requireCode(t, proactive.EUNAVAILABLE, err)
	require.Contains(t, err.Error(), "read client health scores")

	_, _, err = storetest.Trends(ctx, db, proactive.HealthQuery{Now: testNow})
	require.NoError(t, err)
}

// TestIdleConnectionsTerminated terminates every idle connection of the
// pool (a server restart does the same): the next calls succeed.
func TestIdleConnectionsTerminated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := mustMigrate(t)
	for range 3 { // warm several connections
		_, err := db.ListAlerts(ctx, proactive.AlertFilter{Now: testNow})
		require.NoError(t, err)
	}
	admin := mustConnect(t, url)
	var terminated int
	require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, ApplicationName).Scan(&terminated))
	require.GreaterOrEqual(t, terminated, 1)
	// The backends end a moment after the signal: wait until the server
	// has none of the store's left, so the calls below meet dead connections.
	require.Eventually(t, func() bool {
		var left int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, ApplicationName).Scan(&left)
		return err == nil && left == 0
	}, 10*time.Second, 10*time.Millisecond)
	for range 5 {
		_, err := db.ListAlerts(ctx, proactive.AlertFilter{Now: testNow})
		require.NoError(t, err)
		_, err = save(ctx, db, "k", proactive.SeverityHigh)
		require.NoError(t, err)
	}
}

// TestStatementTimeout: a statement that waits longer than the configured
// timeout is cancelled with a message saying so.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := mustMigrate(t)
	db := mustOpenURL(t, url, Options{StatementTimeout: 200 * time.Millisecond})
	admin := mustConnect(t, url)
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, "LOCK TABLE deals IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)
	start := time.Now()
	_, _, err = storetest.Deals(ctx, db, proactive.DealQuery{Now: testNow})
	require.Less(t, time.Since(start), 5*time.Second)
	requireCode(t, proactive.EUNAVAILABLE, err)
	require.Contains(t, err.Error(), "statement timeout (200ms)")
}

// TestMissingTableAndColumn: a check on a missing table or column is
// ENOTFOUND naming it and the way out.
func TestMissingTableAndColumn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := mustMigrate(t)
	mustExec(t, db, "DROP TABLE leads")
	_, _, err := storetest.Leads(ctx, db, proactive.LeadQuery{Now: testNow})
	requireCode(t, proactive.ENOTFOUND, err)
	require.Contains(t, err.Error(), "table leads does not exist")
	require.Contains(t, err.Error(), "migrate")

	mustExec(t, db, "ALTER TABLE deals DROP COLUMN stage")
	_, _, err = storetest.Deals(ctx, db, proactive.DealQuery{Now: testNow})
	requireCode(t, proactive.ENOTFOUND, err)
	require.Contains(t, err.Error(), "table deals has no column stage")

	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	require.Contains(t, rep.Created, "table leads")
	require.True(t, strings.Contains(strings.Join(rep.Warnings, "\n"), "deals has no column stage"), "%q", rep.Warnings)
}

// TestOptionsReachTheSessions: the pool size and the statement timeout are
// what the options say, and every session runs in UTC under the product's
// application_name.
func TestOptionsReachTheSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := mustOpen(t)
	db := mustOpenURL(t, url, Options{MaxConns: 3, StatementTimeout: 1500 * time.Millisecond})
	require.Equal(t, int32(3), db.pool.Stat().MaxConns())
	var timeout, zone, app string
	require.NoError(t, db.pool.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('TimeZone'), current_setting('application_name')").
		Scan(&timeout, &zone, &app))
	require.Equal(t, "1500ms", timeout)
	require.Equal(t, "UTC", zone)
	require.Equal(t, ApplicationName, app)

	def := mustOpenURL(t, url, Options{})
	require.Equal(t, int32(DefaultMaxConns), def.pool.Stat().MaxConns())
	require.NoError(t, def.pool.QueryRow(ctx, "SELECT current_setting('statement_timeout')").Scan(&timeout))
	require.Equal(t, "1min", timeout)
}
