package postgres

import (
	"testing"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// TestStore runs the suite both stores must pass, each case on a fresh,
// migrated database of its own.
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) proactive.Store {
		db, _ := mustMigrate(t)
		return db
	})
}
