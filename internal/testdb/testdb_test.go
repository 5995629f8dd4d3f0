package testdb

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	got, err := WithDatabase("postgres://u:pw@127.0.0.1:5432/postgres?sslmode=disable", "ptd_test_x")
	require.NoError(t, err)
	require.Equal(t, "postgres://u:pw@127.0.0.1:5432/ptd_test_x?sslmode=disable", got)
	_, err = WithDatabase("host=localhost dbname=x", "y")
	require.Error(t, err)
}

// TestMustDatabase creates a database, uses it, and checks that it is gone
// once the test that asked for it has ended.
func TestMustDatabase(t *testing.T) {
	t.Parallel()
	admin := AdminURL(t)
	var name string
	t.Run("uses it", func(t *testing.T) {
		u := MustDatabase(t)
		conn, err := pgx.Connect(context.Background(), u)
		require.NoError(t, err)
		// Left open on purpose: the drop must not wait for it.
		require.NoError(t, conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name))
		require.True(t, strings.HasPrefix(name, Prefix), name)
	})
	conn, err := pgx.Connect(context.Background(), admin)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	require.Zero(t, n, "database %s is dropped", name)
}
