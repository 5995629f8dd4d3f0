package postgres

import (
	"context"
	"testing"
	"time"

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

// TestDeskOnOneConnection runs the desk on a pool of one connection: what
// an Update needs besides its transaction (the type of the alert ids) it
// reads through the transaction, never waiting for a second connection.
func TestDeskOnOneConnection(t *testing.T) {
	t.Parallel()
	db := mustOpenURL(t, testdb.MustSchema(t), Options{MaxConns: 1})
	_, err := db.Migrate(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, db.Update(ctx, func(tx proactive.DeskTx) error {
		id, err := tx.InsertAlert(ctx, testAlert("health_drop_a@x.com_2025-12-10", proactive.SeverityHigh, testNow))
		if err != nil {
			return err
		}
		if _, err := tx.GetAlert(ctx, id); err != nil {
			return err
		}
		return tx.CloseAlert(ctx, id, testNow)
	}))
}
