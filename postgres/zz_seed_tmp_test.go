package postgres

import (
	"context"
	proactive "github.com/ptd-agents/ptd-proactive"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestTmpSeedInto(t *testing.T) {
	url := os.Getenv("PTD_SEED_INTO_URL")
	if url == "" {
		t.Skip()
	}
	n, _ := strconv.Atoi(os.Getenv("PTD_SEED_CLIENTS"))
	if err := SeedBench(context.Background(), url, n, testNow, 1); err != nil {
		t.Fatal(err)
	}
}

func TestTmpTimeReaders(t *testing.T) {
	url := os.Getenv("PTD_READ_URL")
	if url == "" {
		t.Skip()
	}
	ctx := context.Background()
	db, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		out, sk, err := db.HealthTrends(ctx, proactive.HealthQuery{Now: testNow, WindowDays: 14, TrendDays: 7, MinDrop: 10})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("health %d %v %s", len(out), sk, time.Since(t0))
	}
}
