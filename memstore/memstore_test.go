package memstore_test

import (
	"testing"

	"github.com/google/uuid"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/memstore"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

func TestDesk(t *testing.T) {
	storetest.RunDesk(t, func(t *testing.T) proactive.Desk { return memstore.New(uuid.NewString) })
}
