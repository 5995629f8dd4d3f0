package postgres

import (
	"context"
	"testing"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/storetest"
	"github.com/stretchr/testify/require"
)

// TestStore runs the suite both stores must pass, each case on a fresh,
// migrated schema of its own (dropped after); the PostgreSQL-specific
// tests, which terminate backends, use a database each.
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) proactive.Store {
		db := mustOpenURL(t, testdb.MustSchema(t), Options{})
		_, err := db.Migrate(context.Background())
		require.NoError(t, err)
		return db
	})
}

// TestDesk runs the desk suite, each case on a fresh, migrated schema.
func TestDesk(t *testing.T) {
	t.Parallel()
	storetest.RunDesk(t, func(t *testing.T) proactive.Desk {
		db := mustOpenURL(t, testdb.MustSchema(t), Options{})
		_, err := db.Migrate(context.Background())
		require.NoError(t, err)
		return db
	})
}
