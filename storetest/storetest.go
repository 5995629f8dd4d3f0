// Package storetest is the behaviour suite every proactive.Store must pass:
// the SQLite store and the PostgreSQL store run the same cases, so that
// the product behaves the same on both (CONTRACT §2–4, §6, §9 and
// docs/DESIGN.md).
//
// A store's test calls Run with a function that opens a fresh, migrated,
// empty store for one test:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) proactive.Store {
//			s := mustOpen(t)            // a new database for this test
//			t.Cleanup(func() { s.Close() })
//			if _, err := s.Migrate(t.Context()); err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The store must also implement Execer (test-only), which the suite uses to
// drop a table and to write rows the product never writes itself.
//
// Cases run in parallel, each on its own store. Data is seeded through
// InsertRows with time.Time values relative to a fixed moment, Now.
package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// Execer is the test-only hook the suite needs besides proactive.Store:
// ExecForTest runs SQL statements as they are on the store's database. The
// suite sends only SQL both dialects accept (DROP TABLE, a plain INSERT).
// The product never calls it.
type Execer interface {
	ExecForTest(ctx context.Context, sql string) error
}

// Now is the moment the suite's data is relative to and its scans run at.
func Now() time.Time { return time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC) }

// day is 24 hours.
const day = 24 * time.Hour

// opener opens a fresh, migrated, empty store for one test and arranges its
// closing (t.Cleanup).
type opener func(t *testing.T) proactive.Store

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) proactive.Store) {
	o := opener(open)
	t.Run("HealthTrends", func(t *testing.T) { testHealthTrends(t, o) })
	t.Run("StalledDeals", func(t *testing.T) { testStalledDeals(t, o) })
	t.Run("SyncFailures", func(t *testing.T) { testSyncFailures(t, o) })
	t.Run("WaitingLeads", func(t *testing.T) { testWaitingLeads(t, o) })
	t.Run("HealthSeries", func(t *testing.T) { testHealthSeries(t, o) })
	t.Run("ClientOwners", func(t *testing.T) { testClientOwners(t, o) })
	t.Run("AsOf", func(t *testing.T) { testAsOf(t, o) })
	t.Run("Streaming", func(t *testing.T) { testStreaming(t, o) })
	t.Run("ClientHistory", func(t *testing.T) { testClientHistory(t, o) })
	t.Run("Context", func(t *testing.T) { testContext(t, o) })
	t.Run("MissingTable", func(t *testing.T) { testMissingTable(t, o) })
	t.Run("HasRows", func(t *testing.T) { testHasRows(t, o) })
	t.Run("ListAlerts", func(t *testing.T) { testListAlerts(t, o) })
	t.Run("GetDismissAlert", func(t *testing.T) { testGetDismiss(t, o) })
	t.Run("Notifications", func(t *testing.T) { testNotifications(t, o) })
	t.Run("RetryNotifications", func(t *testing.T) { testRetryNotifications(t, o) })
	t.Run("Runs", func(t *testing.T) { testRuns(t, o) })
	t.Run("InsertRows", func(t *testing.T) { testInsertRows(t, o) })
	t.Run("Doctor", func(t *testing.T) { testDoctor(t, o) })
	t.Run("Migrate", func(t *testing.T) { testMigrate(t, o) })
}

// MustInsert inserts rows into a source table, with all its contract
// columns (a key a row lacks is NULL; a row without "id" gets a generated
// one), or fails the test.
func MustInsert(t *testing.T, s proactive.Store, table string, rows ...proactive.Row) {
	t.Helper()
	require.NoError(t, s.InsertRows(t.Context(), table, proactive.SourceColumns(table), rows), "insert into %s", table)
}

// MustExec runs SQL through the store's test-only Execer, failing the test
// when the store has none.
func MustExec(t *testing.T, s proactive.Store, sql string) {
	t.Helper()
	e, ok := s.(Execer)
	require.True(t, ok, "%T does not implement storetest.Execer (ExecForTest), which the suite needs", s)
	require.NoError(t, e.ExecForTest(t.Context(), sql), "exec %s", sql)
}

// TryExec runs SQL on the store's database and ignores its error: for
// statements one store needs and the other refuses (an ALTER TABLE of a
// column that may already exist).
func TryExec(t *testing.T, s proactive.Store, sql string) {
	t.Helper()
	if e, ok := s.(Execer); ok {
		_ = e.ExecForTest(t.Context(), sql)
	}
}

// withoutContacts removes what the embedded store's migrate adds for the
// contact email join (CONTRACT §11.1): the contacts table and
// deals.contact_email, then migrates again so that the store forgets them.
func withoutContacts(t *testing.T, s proactive.Store) {
	t.Helper()
	MustExec(t, s, "DROP TABLE IF EXISTS contacts")
	TryExec(t, s, "ALTER TABLE deals DROP COLUMN contact_email")
}

// withContacts makes sure the contacts table and deals.contact_email exist
// (PostgreSQL's migrate leaves a user's deals table alone).
func withContacts(t *testing.T, s proactive.Store) {
	t.Helper()
	MustExec(t, s, "CREATE TABLE IF NOT EXISTS contacts (id text, email text)")
	TryExec(t, s, "ALTER TABLE deals ADD COLUMN contact_email text")
}

// requireCode fails unless err carries the proactive error code.
func requireCode(t *testing.T, code string, err error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, code, proactive.ErrorCode(err), "error %q", err)
}

// ts renders a time for comparison: the instant in UTC, nanoseconds.
func ts(t time.Time) string {
	if t.IsZero() {
		return "zero"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// tsp renders an optional time for comparison.
func tsp(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return ts(*t)
}

// num renders a float for comparison, free of rounding noise.
func num(f float64) string { return fmt.Sprintf("%.6f", f) }

// nump renders an optional float for comparison.
func nump(f *float64) string {
	if f == nil {
		return "nil"
	}
	return num(*f)
}

// sortedBy sorts a copy of xs by key.
func sortedBy[T any](xs []T, key func(T) string) []T {
	out := append([]T(nil), xs...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
